"""Pre-release access in SQL: named people who may see a release before its time.

A grant is for a release; it shows that release's scheduled version in the window before
its moment (the window is the caller's: Settings.pre_release_hours). Releases loaded from
a manifest are scheduled the same way as approved ones, so grants work for both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from openstats.catalogue import releases
from openstats.catalogue.schema import pre_release_access
from openstats.catalogue.values import as_utc
from openstats.model.catalogue import ReleaseState


def grant(conn: Connection, user_id: str, release_id: str) -> bool:
    """Give a person early sight of a release; False if they already had it."""
    if conn.execute(select(pre_release_access).where(
            pre_release_access.c.user_id == user_id,
            pre_release_access.c.release_id == release_id)).first():
        return False
    conn.execute(insert(pre_release_access).values(user_id=user_id, release_id=release_id))
    return True


def visible_early(conn: Connection, user_id: str, window: timedelta,
                  at: datetime) -> frozenset[str]:
    """Releases this person may see early now: granted, and their latest version scheduled
    within `window` from `at`."""
    granted = [r.release_id for r in conn.execute(
        select(pre_release_access.c.release_id).where(pre_release_access.c.user_id == user_id))]
    out = set()
    for release_id in granted:
        latest = releases.latest_version(conn, release_id)
        if latest is None or latest.state is not ReleaseState.APPROVED:
            continue
        when = as_utc(latest.scheduled)
        if when is not None and at < when <= at + window:
            out.add(release_id)
    return frozenset(out)
