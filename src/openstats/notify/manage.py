"""The services people use to be told about releases: webhooks (administrators, and the
`openstats webhook` commands) and email alerts (anyone, double opt-in).

Every problem with what was typed is a `Refused` naming the field, before anything is
stored; adding or removing a webhook is written to the audit log with the change.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from openstats.catalogue import audit, outbox, publications, subscribers
from openstats.catalogue.db import Catalogue
from openstats.catalogue.values import now
from openstats.model.notifications import Delivery, DeliveryKind, Subscription, Webhook
from openstats.model.users import User, allowed
from openstats.publishing.workflow import Missing, NotAllowed, Refused

MIN_SECRET = 16
# Pending subscriptions' confirmation links work for this long; then subscribe again.
CONFIRM_WITHIN = timedelta(days=7)
# Enough to catch typing slips; the confirmation mail is the real check of an address.
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def _may_manage(by: User | None) -> None:
    """`by` None is the operator at the command line, who may do anything."""
    if by is not None and not allowed(by, "manage_webhooks"):
        raise NotAllowed()


def url_problem(url: str) -> str:
    """Why a webhook URL cannot be used ('' when it can)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ("Enter a webhook URL that starts with http:// or https://, for example "
                "https://example.org/hooks/openstats")
    if any(c.isspace() for c in url):
        return "Enter a webhook URL without spaces"
    return ""


def add_webhook(catalogue: Catalogue, by: User | None, url: str, secret: str,
                publication_slug: str = "") -> Webhook:
    _may_manage(by)
    url, secret, publication_slug = url.strip(), secret.strip(), publication_slug.strip()
    problems = []
    if why := url_problem(url):
        problems.append(("url", why + "."))
    if len(secret) < MIN_SECRET:
        problems.append(("secret", f"Enter a secret of {MIN_SECRET} characters or more: the "
                                   "receiver uses it to check each request's signature."))
    with catalogue.transaction() as conn:
        publication_id = None
        if publication_slug:
            found = publications.publication_by_slug(conn, publication_slug)
            if found is None:
                problems.append(("publication", f"There is no publication {publication_slug!r}"
                                                ": enter a publication's slug, or none for "
                                                "every publication."))
            else:
                publication_id = found.id
        if problems:
            raise Refused(" ".join(m for _, m in problems), title="Check the webhook",
                          problems=tuple(problems))
        made = subscribers.add_webhook(conn, url, secret, publication_id,
                                       by.email if by else "command line", now())
        audit.record(conn, by, "add_webhook", "webhook", made.id,
                     url + (f" ({publication_slug})" if publication_slug else ""))
    return made


def remove_webhook(catalogue: Catalogue, by: User | None, webhook_id: str) -> Webhook:
    _may_manage(by)
    with catalogue.transaction() as conn:
        found = subscribers.webhook(conn, webhook_id)
        if found is None:
            raise Missing("webhook")
        subscribers.remove_webhook(conn, webhook_id)
        audit.record(conn, by, "remove_webhook", "webhook", webhook_id, found.url)
    return found


def webhooks(catalogue: Catalogue, by: User | None) -> list[Webhook]:
    _may_manage(by)
    with catalogue.connect() as conn:
        return subscribers.all_webhooks(conn)


def delivery_log(catalogue: Catalogue, by: User | None, limit: int = 200) -> list[Delivery]:
    """The newest webhook deliveries first (mails are not listed: their addresses are
    personal data an administrator has no need to see)."""
    _may_manage(by)
    with catalogue.connect() as conn:
        return outbox.log(conn, kinds=(DeliveryKind.WEBHOOK,), limit=limit)


# --- email alerts ---------------------------------------------------------------------------
def subscribe(catalogue: Catalogue, publication_id: str, email: str) -> None:
    """Ask for alerts of a (public) publication: a confirmation mail is queued unless the
    address is already confirmed. The answer is the same either way, so the form does
    not tell anyone whether an address is subscribed."""
    email = email.strip().lower()
    if len(email) > 320 or not EMAIL.fullmatch(email):
        raise Refused("Enter an email address in the correct format, like name@example.com.",
                      title="Enter a valid email address", field="email")
    with catalogue.transaction() as conn:
        subscribers.subscribe(conn, email, publication_id, now())


def _by_token(catalogue: Catalogue, token: str) -> Subscription:
    with catalogue.connect() as conn:
        found = subscribers.by_token(conn, token.strip()) if token.strip() else None
    if found is None:
        raise Refused("This link is not valid: it may have been mistyped, replaced by a "
                      "newer one, or the subscription has already ended.",
                      title="This link is not valid", status=404, field="token")
    return found


def confirm(catalogue: Catalogue, token: str) -> Subscription:
    """Follow a confirmation link: the subscription starts (again: no harm)."""
    found = _by_token(catalogue, token)
    if found.confirmed is None and found.created + CONFIRM_WITHIN < now():
        raise Refused("This confirmation link has expired. Ask for email alerts again on "
                      "the publication's page.", title="This link has expired", status=410,
                      field="token")
    with catalogue.transaction() as conn:
        subscribers.confirm(conn, found, now())
    return found


def confirmed(catalogue: Catalogue, token: str) -> Subscription:
    """The confirmed subscription an unsubscribe link names."""
    found = _by_token(catalogue, token)
    if found.confirmed is None:
        raise Refused("This subscription was never confirmed, so no alerts are sent to it. "
                      "Ignore the confirmation email and nothing more will be sent.",
                      title="This subscription is not confirmed", status=409, field="token")
    return found


def unsubscribe(catalogue: Catalogue, token: str) -> Subscription:
    found = confirmed(catalogue, token)
    with catalogue.transaction() as conn:
        subscribers.unsubscribe(conn, found)
    return found
