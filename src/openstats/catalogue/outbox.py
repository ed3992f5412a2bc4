"""The outbox in SQL: the messages to send (deliveries), who sends each one, and what
became of it.

Deliveries are queued in the transaction that makes their reason (an event, a new
subscription), so nothing is lost between the two; they are sent afterwards, outside any
transaction, by notify/deliver.py. Any number of processes may run that step at once: a
process claims a due delivery by moving its next attempt a lease ahead in a conditional
UPDATE (only one wins, as with releases.mark_published), sends it, then records the
result. A process that dies after sending and before recording leaves the claim to
expire and the delivery is sent again: at least once, never lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from openstats.catalogue.schema import deliveries, subscriptions, webhooks
from openstats.catalogue.values import as_utc, new_id, utc
from openstats.model.notifications import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    ReleaseEvent,
)


def _queue(conn: Connection, kind: DeliveryKind, target: str, at: datetime, *,
           event_id: str | None = None, webhook_id: str | None = None,
           subscription_id: str | None = None) -> None:
    conn.execute(insert(deliveries).values(
        id=new_id(), kind=kind.value, event_id=event_id, webhook_id=webhook_id,
        subscription_id=subscription_id, target=target, created=at,
        state=DeliveryState.PENDING.value, attempts=0, next_attempt=at, last_attempt=None,
        last_status="", delivered=None))


def queue_event(conn: Connection, event: ReleaseEvent, at: datetime) -> None:
    """A delivery of `event` to each webhook that wants it and each confirmed subscriber
    of its publication."""
    hooks = conn.execute(select(webhooks.c.id, webhooks.c.url).where(or_(
        webhooks.c.publication_id.is_(None),
        webhooks.c.publication_id == event.publication_id)))
    for hook in hooks:
        _queue(conn, DeliveryKind.WEBHOOK, hook.url, at, event_id=event.id,
               webhook_id=hook.id)
    people = conn.execute(select(subscriptions.c.id, subscriptions.c.email).where(
        subscriptions.c.publication_id == event.publication_id,
        subscriptions.c.confirmed.is_not(None)))
    for person in people:
        _queue(conn, DeliveryKind.EMAIL, person.email, at, event_id=event.id,
               subscription_id=person.id)


def queue_confirmation(conn: Connection, subscription_id: str, email: str,
                       at: datetime) -> None:
    _queue(conn, DeliveryKind.CONFIRM, email, at, subscription_id=subscription_id)


def _delivery(r: RowMapping) -> Delivery:
    return Delivery(
        id=r["id"], kind=DeliveryKind(r["kind"]), event_id=r["event_id"],
        webhook_id=r["webhook_id"], subscription_id=r["subscription_id"], target=r["target"],
        created=utc(r["created"]), state=DeliveryState(r["state"]), attempts=r["attempts"],
        next_attempt=utc(r["next_attempt"]), last_attempt=as_utc(r["last_attempt"]),
        last_status=r["last_status"] or "", delivered=as_utc(r["delivered"]))


def any_due(conn: Connection, at: datetime) -> bool:
    """Whether a delivery is due: a read, so an idle delivery loop takes no write lock."""
    return conn.execute(select(deliveries.c.id).where(
        deliveries.c.state == DeliveryState.PENDING.value, deliveries.c.next_attempt <= at)
        .limit(1)).first() is not None


def claim(conn: Connection, at: datetime, lease: timedelta, limit: int) -> list[Delivery]:
    """Up to `limit` pending deliveries due at `at`, claimed for this process until
    `at + lease` (run each claim in its own short transaction)."""
    due = conn.execute(select(deliveries).where(
        deliveries.c.state == DeliveryState.PENDING.value, deliveries.c.next_attempt <= at)
        .order_by(deliveries.c.next_attempt, deliveries.c.id).limit(limit)).mappings().all()
    claimed = []
    for r in due:
        done = conn.execute(update(deliveries).where(
            deliveries.c.id == r["id"], deliveries.c.state == DeliveryState.PENDING.value,
            # Re-checked on the row itself: a process that claimed it meanwhile has moved
            # next_attempt past `at`, so this one matches nothing (as mark_published).
            deliveries.c.next_attempt <= at).values(next_attempt=at + lease))
        if done.rowcount == 1:
            claimed.append(_delivery(r))
    return claimed


def delivered(conn: Connection, delivery: Delivery, at: datetime, status: str) -> None:
    conn.execute(update(deliveries).where(deliveries.c.id == delivery.id).values(
        state=DeliveryState.DELIVERED.value, attempts=deliveries.c.attempts + 1,
        last_attempt=at, last_status=status[:500], delivered=at))


def failed(conn: Connection, delivery: Delivery, at: datetime, status: str,
           retry_at: datetime | None) -> None:
    """An attempt that failed: tried again at `retry_at`, or (None) given up."""
    state = DeliveryState.PENDING if retry_at is not None else DeliveryState.FAILED
    conn.execute(update(deliveries).where(
        deliveries.c.id == delivery.id,
        deliveries.c.state == DeliveryState.PENDING.value).values(
        state=state.value, attempts=deliveries.c.attempts + 1, last_attempt=at,
        last_status=status[:500], next_attempt=retry_at or at))


def cancel_for(conn: Connection, *, webhook_id: str | None = None,
               subscription_id: str | None = None) -> None:
    """Pending deliveries to a webhook or subscriber that is being removed."""
    target = (deliveries.c.webhook_id == webhook_id if webhook_id is not None
              else deliveries.c.subscription_id == subscription_id)
    conn.execute(update(deliveries).where(
        target, deliveries.c.state == DeliveryState.PENDING.value).values(
        state=DeliveryState.CANCELLED.value))


def log(conn: Connection, *, kinds: tuple[DeliveryKind, ...] = (DeliveryKind.WEBHOOK,),
        limit: int = 200) -> list[Delivery]:
    """The newest deliveries first, for the delivery log."""
    rows = conn.execute(select(deliveries).where(
        deliveries.c.kind.in_([k.value for k in kinds]))
        .order_by(deliveries.c.created.desc(), deliveries.c.id).limit(limit)).mappings()
    return [_delivery(r) for r in rows]


def of_event(conn: Connection, event_id: str) -> list[Delivery]:
    rows = conn.execute(select(deliveries).where(deliveries.c.event_id == event_id)
                        .order_by(deliveries.c.created, deliveries.c.id)).mappings()
    return [_delivery(r) for r in rows]


def pending_count(conn: Connection) -> int:
    """Deliveries still to send (due now or later)."""
    return int(conn.execute(select(func.count()).select_from(deliveries).where(
        deliveries.c.state == DeliveryState.PENDING.value)).scalar_one())


def cancelled(conn: Connection, delivery: Delivery, at: datetime, status: str) -> None:
    """A delivery whose reason went away while it waited (its webhook was removed)."""
    conn.execute(update(deliveries).where(deliveries.c.id == delivery.id).values(
        state=DeliveryState.CANCELLED.value, last_attempt=at, last_status=status[:500]))
