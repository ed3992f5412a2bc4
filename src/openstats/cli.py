"""The command line: openstats screen | import | load | load-demo | publish | deliver |
webhook | user | serve | db.

Each command imports what it uses inside its function, on purpose: `openstats screen` or
`--help` must not pay for loading the web stack, and the tests start these commands
hundreds of times.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from openstats.errors import OpenstatsError
from openstats.notify import commands as notify_commands
from openstats.settings import Settings

if TYPE_CHECKING:  # the platform is imported where a command needs it (start-up time)
    from openstats.ingest.service import ImportResult
    from openstats.platform import Platform

app = typer.Typer(help="openstats: publish official statistics as open data.",
                  no_args_is_help=True, add_completion=False)
err = Console(stderr=True)
out = Console()

# How long `serve` keeps an idle HTTP connection open (see serve).
KEEP_ALIVE_SECONDS = 75

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (default: $OPENSTATS_DATA_DIR or ./.openstats)"),
]


@app.callback()
def main_callback() -> None:
    """openstats: publish official statistics as open data."""


def settings_for(data_dir: Path | None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()


@app.command()
def screen(
    data: Annotated[Path, typer.Argument(help="The data CSV")],
    meta: Annotated[Path, typer.Argument(help="The meta CSV (NAME.meta.csv)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Check a data file and its meta file against the open data standards.

    Exit status: 0 no errors, 1 errors found, 2 usage error.
    """
    from openstats.standards.screening.screen import screen as run_screen

    settings = settings_for(data_dir)
    for path in (data, meta):
        if not path.is_file():
            err.print(f"{path}: file not found")
            raise typer.Exit(2)
    with run_screen(data, meta, reference_dir=settings.reference_dir,
                    memory_limit=settings.memory_limit) as s:
        report = s.report
        if as_json:
            sys.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            print_report(report, lookups_checked=s.lookups_checked)
    raise typer.Exit(0 if report.ok else 1)


@app.command("import")
def import_command(
    data: Annotated[Path, typer.Argument(help="The data CSV")],
    meta: Annotated[Path, typer.Argument(help="The meta CSV (NAME.meta.csv)")],
    title: Annotated[str | None, typer.Option(help="Data set title (default: file name)")] = None,
    data_set_id: Annotated[str | None, typer.Option(
        "--data-set-id", help="Add a version to this data set (default: a new one)")] = None,
    data_dir: DataDir = None,
) -> None:
    """Screen and import a pair as a new (unpublished) data-set version."""
    import uuid

    from openstats.errors import ScreeningFailed

    for path in (data, meta):
        if not path.is_file():
            err.print(f"{path}: file not found")
            raise typer.Exit(2)
    if data_set_id is not None:
        try:
            data_set_id = str(uuid.UUID(data_set_id))
        except ValueError:
            err.print(f"--data-set-id: '{data_set_id}' is not a UUID")
            raise typer.Exit(2) from None
    settings = settings_for(data_dir)
    title_text = title or data.name.removesuffix(".csv")

    try:
        if data_set_id is None:
            result = import_new_data_set(settings, data, meta, title_text)
        else:
            result = import_version(settings, data, meta, data_set_id, title_text)
    except ScreeningFailed as e:
        from openstats.standards.findings import Report

        if isinstance(e.report, Report):
            print_report(e.report)
        err.print(str(e), markup=False)
        raise typer.Exit(1) from None
    verb = "imported as" if result.created else "unchanged: already"
    out.print(f"{data.name}: {verb} data set {result.data_set_id} version {result.version}, "
              f"{result.row_count:,} rows", highlight=False)


def import_version(settings: Settings, data: Path, meta: Path, data_set_id: str,
                   title: str) -> ImportResult:
    """A new version of a data set, unless the files are its latest version already."""
    from openstats.ingest.service import import_pair
    from openstats.platform import open_platform

    platform = open_platform(settings)
    try:
        return import_pair(platform.catalogue, platform.storage, platform.settings, data, meta,
                           data_set_id=data_set_id, publication_id=None, title=title)
    finally:
        platform.close()


def import_new_data_set(settings: Settings, data: Path, meta: Path, title: str) -> ImportResult:
    """The first version of a new data set. No version exists that these files could
    repeat, so the screener answers before the catalogue is opened: a refused pair never
    loads the catalogue's stack (SQLAlchemy, Alembic, pyarrow: most of the second that a
    refused import took)."""
    import uuid

    from openstats.ingest.screened import refuse_blocked, screened
    from openstats.storage import open_storage

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    storage = open_storage(settings)  # first, as in open_platform: a bad setting fails early
    with screened(settings, storage, data, meta) as s:
        refuse_blocked(s)
        # Imported only now, for a pair the screener passed: the point of this function.
        from openstats.ingest.service import import_screened
        from openstats.platform import open_platform

        platform = open_platform(settings, storage=storage)
        try:
            return import_screened(platform.catalogue, storage, s,
                                   data_set_id=str(uuid.uuid4()), publication_id=None,
                                   title=title)
        finally:
            platform.close()


@app.command()
def load(
    manifest: Annotated[Path, typer.Argument(help="A release manifest (RELEASE.toml)")],
    data_dir: DataDir = None,
) -> None:
    """Load a whole release from a manifest; loading it again changes nothing."""
    run_load(manifest, settings_for(data_dir))


@app.command("load-demo")
def load_demo(data_dir: DataDir = None) -> None:
    """Load the seed publication (Children in need: A focus on re-referrals) and, where
    ../shared/real is found, a second one of DfE's real local-authority data."""
    from openstats import demo

    settings = settings_for(data_dir)
    run_load(demo.MANIFEST, settings)
    shared = demo.shared_dir(settings.reference_dir)
    if shared is None:
        out.print("Real data not found (set OPENSTATS_SHARED_DIR): loaded the seed "
                  "publication only.")
        return
    run_load(demo.real_manifest(shared, settings.data_dir / "demo"), settings)


def run_load(manifest: Path, settings: Settings) -> None:
    from openstats.errors import ManifestError, ScreeningFailed
    from openstats.platform import open_platform
    from openstats.publishing.manifest import load_manifest
    from openstats.standards.findings import Report

    platform = open_platform(settings, sweep=True)
    try:
        result = load_manifest(platform, manifest)
    except ManifestError as e:
        for problem in e.errors:
            err.print(f"{manifest}: {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except ScreeningFailed as e:
        for report in e.report if isinstance(e.report, list) else [e.report]:
            if isinstance(report, Report) and not report.ok:
                print_report(report)
        err.print(f"{manifest}: {e}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
        platform.close()
    for title, version in result.versions.items():
        state = "new version" if title in result.created else "unchanged"
        out.print(f"{title}: {state} {version}", highlight=False)


@app.command()
def publish(
    due: Annotated[bool, typer.Option("--due", help="Mark approved releases whose time has "
                                      "come as published (for cron)")] = False,
    data_dir: DataDir = None,
) -> None:
    """Publish releases whose scheduled time has come (visibility itself is exact anyway)."""
    if not due:
        err.print("Use --due to publish the releases whose time has come.")
        raise typer.Exit(2)
    from openstats.notify.deliver import deliver_due
    from openstats.platform import open_platform
    from openstats.publishing import workflow

    platform = open_platform(settings_for(data_dir))
    try:
        released = workflow.publish_due(platform.catalogue)
        out.print(f"{len(released)} release(s) published", highlight=False)
        # After the publishing has committed: a receiver that is slow or down delays only
        # this step, and what it misses stays in the outbox for the next run.
        sent = deliver_due(platform.catalogue, platform.settings)
    finally:
        platform.close()
    out.print(f"{sent.delivered} notification(s) sent, {sent.failed} failed (retried later)",
              highlight=False)


app.add_typer(notify_commands.webhook_app, name="webhook")
app.command("deliver")(notify_commands.deliver)

user_app = typer.Typer(help="Accounts for the publishing side.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@contextmanager
def account_command(data_dir: Path | None) -> Iterator[Platform]:
    """The platform for a `user` command; an AccountError becomes its message and exit
    status 1."""
    from openstats.errors import AccountError
    from openstats.platform import open_platform

    platform = open_platform(settings_for(data_dir))
    try:
        yield platform
    except AccountError as e:
        err.print(str(e), markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
        platform.close()


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The person's email address")],
    role: Annotated[str, typer.Option(help="admin, publisher or approver")] = "publisher",
    name: Annotated[str, typer.Option(help="The person's name")] = "",
    publication: Annotated[str | None, typer.Option(
        help="Slug of a publication they work on")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an account; the password is read from standard input (not the command line).

    Nothing is created if anything is wrong, an unknown --publication included.
    """
    from openstats.publishing import accounts

    password = sys.stdin.readline().rstrip("\n")
    with account_command(data_dir) as platform:
        accounts.create_user_in(platform.catalogue, email, password, role, name, publication)
    out.print(f"Created {role} account for {email}", highlight=False)


@user_app.command("end-sessions")
def user_end_sessions(
    email: Annotated[str, typer.Argument(help="The person's email address")],
    data_dir: DataDir = None,
) -> None:
    """Sign someone out everywhere at once (a lost laptop, someone leaving)."""
    from openstats.publishing import accounts

    with account_command(data_dir) as platform:
        user, ended = accounts.end_sessions_of(platform.catalogue, email)
    out.print(f"Ended {ended} session(s) of {user.email}", highlight=False)


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Argument(help="The person's email address")],
    data_dir: DataDir = None,
) -> None:
    """Give an account a new password, read from standard input; ends its sessions."""
    from openstats.publishing import accounts

    password = sys.stdin.readline().rstrip("\n")
    with account_command(data_dir) as platform:
        accounts.set_password(platform.catalogue, email, password)
    out.print(f"New password set for {email.strip().lower()}; its sessions have ended",
              highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(
        help="Worker processes (for production: about one per CPU core)", min=1)] = 1,
    graceful_timeout: Annotated[float, typer.Option(
        help="On SIGTERM, seconds to let in-flight requests finish before cancelling them"
    )] = 30.0,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    data_dir: DataDir = None,
) -> None:
    """Serve the website, the table tool, the public API and the publishing side.

    Logs are JSON, one object per line, on standard output. SIGTERM stops taking new
    connections, lets requests in flight finish, stops the scheduler and exits.
    """
    import logging
    import logging.config
    import os
    import shutil
    import tempfile

    import uvicorn

    from openstats.logs import log_config

    settings = settings_for(data_dir)
    # Each worker is a new process that builds its app from the environment alone
    # (openstats.app:app_from_env), so what the options chose goes there.
    os.environ["OPENSTATS_DATA_DIR"] = str(settings.data_dir.resolve())
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers write their metrics to files here, and /metrics (answered by any one
        # of them) adds up all the files. A new folder each start: no stale counts.
        metrics_dir = tempfile.mkdtemp(prefix="openstats-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    logging_config = log_config(log_level)
    logging.config.dictConfig(logging_config)
    logging.getLogger("openstats").info(
        f"Serving on http://{host}:{port}/", extra={"workers": workers})
    try:
        uvicorn.run("openstats.app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_config=logging_config, log_level=log_level.lower(),
                    access_log=False,
                    timeout_graceful_shutdown=round(graceful_timeout),
                    # The C HTTP parser and libuv event loop (both dependencies): about
                    # a millisecond less per request than h11 and asyncio's own loop.
                    http="httptools", loop="uvloop",
                    # Keep idle connections open longer than the clients and proxies that
                    # reuse them (httpx 5 s, nginx and load balancers 60 s). With uvicorn's
                    # own 5 s, a client reusing a connection just as the server closed it got
                    # "server disconnected without a response" (seen once under load in CI).
                    timeout_keep_alive=KEEP_ALIVE_SECONDS)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


db_app = typer.Typer(help="The catalogue database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Bring the catalogue database to the newest schema (safe while others start too).

    Uses OPENSTATS_DATABASE_URL, or the SQLite file in the data folder.
    """
    from openstats.platform import upgrade_database

    revision = upgrade_database(settings_for(data_dir))
    out.print(f"Catalogue database at schema revision {revision}", highlight=False)


@db_app.command("reindex")
def db_reindex(data_dir: DataDir = None) -> None:
    """Rebuild the data catalogue's listing from the catalogue (after rows were written
    by hand, or to check that it follows them)."""
    from openstats.platform import rebuild_listing

    rebuild_listing(settings_for(data_dir))
    out.print("The data catalogue's listing is rebuilt", highlight=False)


def print_report(report: object, lookups_checked: bool = True) -> None:
    from openstats.standards.findings import Report

    assert isinstance(report, Report)
    for rule_id, findings in report.by_rule().items():
        first = findings[0]
        total = report.counts[rule_id]
        colour = "red" if first.severity == "error" else "yellow"
        out.print(f"[{colour}]{first.severity.upper()}[/] {rule_id}: {total} found",
                  highlight=False)
        for f in findings:
            out.print(f"  {f.location()}: {f.message}", highlight=False, markup=False)
        if report.unlisted(rule_id):
            out.print(f"  ... and {report.unlisted(rule_id)} more", highlight=False)
        out.print(f"  What to do: {first.advice}", highlight=False, markup=False)
    if not lookups_checked:
        out.print("Note: geography lookups were not checked (set OPENSTATS_REFERENCE_DIR).")
    errors, warnings = report.count_of("error"), report.count_of("warning")
    verdict = "[green]passed[/]" if report.ok else "[red]failed[/]"
    out.print(f"{report.data_file} + {report.meta_file}: {verdict}, {report.row_count or 0} rows, "
              f"{errors} errors, {warnings} warnings")


def main() -> None:
    try:
        app()
    except OpenstatsError as e:
        # One line, however long (a full disk, an unreachable database): not wrapped, so
        # that a log or a script reads it whole.
        err.print(str(e), markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
