"""Typed objects of notifications: a release event, the webhooks and email subscriptions
told about events, and the deliveries (outbox rows) that tell them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

PUBLISHED = "release.published"
AMENDED = "release.amended"
EVENT_TYPES = (PUBLISHED, AMENDED)


@dataclass(frozen=True)
class EventDataSet:
    """A data set of the release version, as it was published: its id, title, version."""

    id: str
    title: str
    version: str


@dataclass(frozen=True)
class ReleaseEvent:
    """A release version that has become public (recorded once, never before its time)."""

    id: str
    type: str  # PUBLISHED for a release's first version, AMENDED for each amendment
    time: datetime  # when it was recorded as public (at or after `published`)
    published: datetime  # the release version's moment
    publication_id: str
    publication_slug: str
    publication_title: str
    release_id: str
    release_slug: str
    release_title: str
    release_version_id: str
    version_number: int
    notes: str
    data_sets: tuple[EventDataSet, ...]


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    secret: str
    publication_id: str | None  # None: every publication's events
    created: datetime
    created_by: str


@dataclass(frozen=True)
class Subscription:
    """An email address's alerts for one publication; `confirmed` None until the person
    follows the confirmation link (double opt-in)."""

    id: str
    email: str
    publication_id: str
    token: str
    created: datetime
    confirmed: datetime | None


class DeliveryKind(StrEnum):
    WEBHOOK = "webhook"  # an event POSTed to a webhook
    EMAIL = "email"  # an event mailed to a confirmed subscriber
    CONFIRM = "confirm"  # the confirmation link mailed to a new subscriber


class DeliveryState(StrEnum):
    PENDING = "pending"  # to be sent at next_attempt (or again, after a failure)
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the last attempt
    CANCELLED = "cancelled"  # its webhook or subscription was removed before it went


@dataclass(frozen=True)
class Delivery:
    id: str
    kind: DeliveryKind
    event_id: str | None
    webhook_id: str | None
    subscription_id: str | None
    target: str  # URL or email address
    created: datetime
    state: DeliveryState
    attempts: int
    next_attempt: datetime
    last_attempt: datetime | None
    last_status: str  # "HTTP 200", "connection refused", "250 OK", ...
    delivered: datetime | None
