"""The delivery step: send what the outbox holds that is due, and record what happened.

Runs after publishing, never inside it: from `openstats publish --due` and
`openstats deliver`, and every OPENSTATS_DELIVERY_SECONDS in `openstats serve` (its own
thread, apart from the scheduler's, so a slow receiver never holds up a publication).
A failed attempt is tried again after OPENSTATS_DELIVERY_RETRY_SECONDS, then twice as
long each time (at most six hours apart), until OPENSTATS_DELIVERY_ATTEMPTS attempts have
failed; then it is marked failed and shown so in the delivery log in /admin/webhooks.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from openstats.catalogue import events, outbox, subscribers
from openstats.catalogue.db import Catalogue
from openstats.catalogue.values import now
from openstats.model.notifications import Delivery, DeliveryKind
from openstats.notify import mail
from openstats.notify.webhook_post import SendFailed, post
from openstats.present.events import event_json
from openstats.settings import Settings

log = logging.getLogger("openstats.deliver")
MAX_DELAY = timedelta(hours=6)
BATCH = 50  # deliveries claimed at once (each claim is one short transaction)
SENDERS = 4  # deliveries sent at once: one slow receiver does not hold up the others


@dataclass(frozen=True)
class Outcome:
    delivered: int
    failed: int  # attempts that failed this time (most will be tried again)


class Gone(Exception):
    """What a delivery was for no longer exists (a webhook or subscription removed)."""


def retry_at(settings: Settings, delivery: Delivery, at: datetime) -> datetime | None:
    """When to try a delivery again after its attempt at `at` failed; None: give up."""
    if delivery.attempts + 1 >= settings.delivery_attempts:
        return None
    delay = timedelta(seconds=settings.delivery_retry_seconds * 2 ** delivery.attempts)
    return at + min(delay, MAX_DELAY)


def _send(catalogue: Catalogue, settings: Settings, d: Delivery) -> str:
    base = settings.public_url
    with catalogue.connect() as conn:
        event = events.event(conn, d.event_id) if d.event_id else None
        hook = subscribers.webhook(conn, d.webhook_id) if d.webhook_id else None
        person = (subscribers.subscription(conn, d.subscription_id)
                  if d.subscription_id else None)
    if d.kind is DeliveryKind.WEBHOOK:
        if hook is None or event is None:
            raise Gone("the webhook was removed")
        return post(hook.url, hook.secret, event_json(event, base), settings.delivery_timeout)
    if person is None:
        raise Gone("unsubscribed")
    if not settings.smtp_url:
        raise SendFailed("email is off: OPENSTATS_SMTP_URL is not set")
    server = mail.server_of(settings.smtp_url)
    if d.kind is DeliveryKind.CONFIRM:
        public = catalogue.snapshots.view().publication_by_id(person.publication_id)
        if public is None:
            raise Gone("the publication is no longer public")
        message = mail.confirmation(settings.smtp_from, person.email, public.title, base,
                                    person.token)
    else:
        if event is None:
            raise Gone("no such event")
        message = mail.alert(settings.smtp_from, person.email, event, base, person.token)
    return mail.send(server, message, settings.delivery_timeout, settings.smtp_ca_file)


def _attempt(catalogue: Catalogue, settings: Settings, d: Delivery) -> bool:
    """Send one claimed delivery and record the result; whether it was delivered."""
    try:
        status = _send(catalogue, settings, d)
    except Gone as e:
        with catalogue.transaction() as conn:
            outbox.cancelled(conn, d, now(), f"not sent: {e}")
        return False
    except (SendFailed, mail.BadSmtpUrl) as e:
        at = now()
        with catalogue.transaction() as conn:
            outbox.failed(conn, d, at, str(e), retry_at(settings, d, at))
        log.warning("delivery %s to %s failed: %s", d.id, d.target, e)
        return False
    with catalogue.transaction() as conn:
        outbox.delivered(conn, d, now(), status)
    return True


def deliver_due(catalogue: Catalogue, settings: Settings, *, rounds: int = 20) -> Outcome:
    """Send every delivery due now (up to `rounds` batches), several at once."""
    lease = timedelta(seconds=max(60.0, 3 * settings.delivery_timeout))
    delivered = failed = 0
    with ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="openstats-send") as pool:
        for _ in range(rounds):
            with catalogue.connect() as conn:
                if not outbox.any_due(conn, now()):
                    break
            with catalogue.transaction(immediate=True) as conn:
                claimed = outbox.claim(conn, now(), lease, BATCH)
            if not claimed:
                break
            for ok in pool.map(lambda d: _attempt(catalogue, settings, d), claimed):
                delivered, failed = delivered + ok, failed + (not ok)
    return Outcome(delivered, failed)
