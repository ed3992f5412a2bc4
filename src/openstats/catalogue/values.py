"""Small values every catalogue module makes: the time now (UTC), times as UTC, new ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; we store and compare everything in UTC."""
    if value is None:
        return None
    return utc(value)


def utc(value: datetime) -> datetime:
    """A time in UTC (naive ones are UTC already, as SQLite returns them)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    return str(uuid.uuid4())
