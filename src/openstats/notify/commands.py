"""`openstats webhook add | list | remove` and `openstats deliver`: webhooks from the
command line (as an administrator does at /admin/webhooks), and the delivery step on its
own, for cron. Heavy imports wait inside each command, as in cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

webhook_app = typer.Typer(help="Webhooks told about each release as it is published.",
                          no_args_is_help=True)

# The same option as cli.py's commands take.
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (default: $OPENSTATS_DATA_DIR or ./.openstats)"),
]


@webhook_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The receiver's http:// or https:// URL")],
    secret: Annotated[str, typer.Option(help="Shared secret (16+ characters) that signs "
                                        "each POST: X-Openstats-Signature")],
    publication: Annotated[str, typer.Option(
        help="Slug of the one publication to hear about (default: every one)")] = "",
    data_dir: DataDir = None,
) -> None:
    """Add a webhook: a signed JSON POST to URL for each release published or amended."""
    from openstats.cli import err, out, settings_for
    from openstats.notify import manage
    from openstats.platform import open_platform
    from openstats.publishing.workflow import Refused

    platform = open_platform(settings_for(data_dir))
    try:
        made = manage.add_webhook(platform.catalogue, None, url, secret, publication)
    except Refused as e:
        labels = {"url": "URL", "secret": "--secret", "publication": "--publication"}
        for field, message in e.problems or (("", e.message),):
            err.print(f"{labels.get(field, 'webhook')}: {message}", markup=False,
                      highlight=False)
        raise typer.Exit(1) from None
    finally:
        platform.close()
    out.print(f"webhook {made.id} added: {made.url}"
              + (f" (publication {publication})" if publication else " (every publication)"),
              markup=False, highlight=False)


@webhook_app.command("list")
def list_webhooks(data_dir: DataDir = None) -> None:
    """List the webhooks: id, URL and publication (secrets are not shown)."""
    from openstats.catalogue import publications
    from openstats.cli import out, settings_for
    from openstats.notify import manage
    from openstats.platform import open_platform

    platform = open_platform(settings_for(data_dir))
    try:
        hooks = manage.webhooks(platform.catalogue, None)
        with platform.catalogue.connect() as conn:
            slugs = {p.id: p.slug for p in publications.all_publications(conn)}
    finally:
        platform.close()
    for h in hooks:
        scope = slugs.get(h.publication_id, "?") if h.publication_id else "every publication"
        out.print(f"{h.id}\t{h.url}\t{scope}", markup=False, highlight=False)
    if not hooks:
        out.print("No webhooks.")


@webhook_app.command("remove")
def remove(
    webhook_id: Annotated[str, typer.Argument(help="The webhook's id (see `webhook list`)")],
    data_dir: DataDir = None,
) -> None:
    """Remove a webhook; what it was still to be sent is not sent."""
    from openstats.cli import err, out, settings_for
    from openstats.notify import manage
    from openstats.platform import open_platform
    from openstats.publishing.workflow import Refused

    platform = open_platform(settings_for(data_dir))
    try:
        gone = manage.remove_webhook(platform.catalogue, None, webhook_id.strip())
    except Refused:
        err.print(f"There is no webhook {webhook_id}: see `openstats webhook list`.",
                  markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
        platform.close()
    out.print(f"webhook {gone.id} removed: {gone.url}", markup=False, highlight=False)


def deliver(data_dir: DataDir = None) -> None:
    """Send the webhooks and email alerts that are due (retries included)."""
    from openstats.cli import out, settings_for
    from openstats.notify.deliver import deliver_due
    from openstats.platform import open_platform

    platform = open_platform(settings_for(data_dir))
    try:
        sent = deliver_due(platform.catalogue, platform.settings)
    finally:
        platform.close()
    out.print(f"{sent.delivered} notification(s) sent, {sent.failed} failed (retried later)",
              highlight=False)
