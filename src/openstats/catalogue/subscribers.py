"""Who is told about release events, in SQL: webhooks, and email subscriptions with their
double opt-in (pending until the confirmation link is followed). Checking what people
typed (a URL's scheme, an email address) is notify/manage.py's; this module only stores.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from openstats.catalogue import outbox
from openstats.catalogue.schema import subscriptions, webhooks
from openstats.catalogue.values import as_utc, new_id, utc
from openstats.model.notifications import Subscription, Webhook


# --- webhooks --------------------------------------------------------------------------------
def _webhook(r: Row[tuple[object, ...]]) -> Webhook:
    return Webhook(r.id, r.url, r.secret, r.publication_id, utc(r.created), r.created_by or "")


def add_webhook(conn: Connection, url: str, secret: str, publication_id: str | None,
                created_by: str, at: datetime) -> Webhook:
    made = Webhook(new_id(), url, secret, publication_id, at, created_by)
    conn.execute(insert(webhooks).values(id=made.id, url=url, secret=secret,
                                         publication_id=publication_id, created=at,
                                         created_by=created_by))
    return made


def all_webhooks(conn: Connection) -> list[Webhook]:
    return [_webhook(r) for r in conn.execute(
        select(webhooks).order_by(webhooks.c.created, webhooks.c.id))]


def webhook(conn: Connection, webhook_id: str) -> Webhook | None:
    row = conn.execute(select(webhooks).where(webhooks.c.id == webhook_id)).first()
    return _webhook(row) if row else None


def remove_webhook(conn: Connection, webhook_id: str) -> bool:
    """Remove a webhook, and its deliveries not yet sent; False if there is none."""
    outbox.cancel_for(conn, webhook_id=webhook_id)
    return bool(conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id)
                             ).rowcount == 1)


# --- email subscriptions -----------------------------------------------------------------------
def _subscription(r: Row[tuple[object, ...]]) -> Subscription:
    return Subscription(r.id, r.email, r.publication_id, r.token, utc(r.created),
                        as_utc(r.confirmed))


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters, 256 bits


def subscribe(conn: Connection, email: str, publication_id: str, at: datetime
              ) -> Subscription:
    """A subscription of `email` (lower-case) to a publication's alerts. A new one, or one
    still pending, gets a fresh token and a confirmation mail queued; a confirmed one is
    left as it is (nothing is sent: the page says the same either way)."""
    row = conn.execute(select(subscriptions).where(
        subscriptions.c.email == email,
        subscriptions.c.publication_id == publication_id)).first()
    if row is not None and row.confirmed is not None:
        return _subscription(row)
    token = new_token()
    if row is None:
        subscription_id = new_id()
        conn.execute(insert(subscriptions).values(
            id=subscription_id, email=email, publication_id=publication_id, token=token,
            created=at, confirmed=None))
    else:
        subscription_id = row.id
        outbox.cancel_for(conn, subscription_id=subscription_id)  # the old link is void
        conn.execute(update(subscriptions).where(subscriptions.c.id == subscription_id)
                     .values(token=token, created=at))
    outbox.queue_confirmation(conn, subscription_id, email, at)
    return Subscription(subscription_id, email, publication_id, token, at, None)


def by_token(conn: Connection, token: str) -> Subscription | None:
    row = conn.execute(select(subscriptions).where(subscriptions.c.token == token)).first()
    return _subscription(row) if row else None


def subscription(conn: Connection, subscription_id: str) -> Subscription | None:
    row = conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id)
                       ).first()
    return _subscription(row) if row else None


def confirm(conn: Connection, found: Subscription, at: datetime) -> None:
    conn.execute(update(subscriptions).where(subscriptions.c.id == found.id,
                                             subscriptions.c.confirmed.is_(None))
                 .values(confirmed=at))


def unsubscribe(conn: Connection, found: Subscription) -> None:
    """Remove a subscription and every mail to it not yet sent."""
    outbox.cancel_for(conn, subscription_id=found.id)
    conn.execute(delete(subscriptions).where(subscriptions.c.id == found.id))


def confirmed_count(conn: Connection, publication_id: str | None = None) -> int:
    query = select(subscriptions.c.id).where(subscriptions.c.confirmed.is_not(None))
    if publication_id is not None:
        query = query.where(subscriptions.c.publication_id == publication_id)
    return len(conn.execute(query).all())
