"""The counts of observation-level diffs import wrote (ingest/diff.py), by version pair."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Connection

from openstats.catalogue.schema import version_diffs
from openstats.model.catalogue import DiffCounts as Counts


def add(conn: Connection, version_id: str, from_version_id: str, counts: Counts) -> None:
    conn.execute(version_diffs.insert().values(
        version_id=version_id, from_version_id=from_version_id, added=counts.added,
        removed=counts.removed, changed=counts.changed))


def stored(conn: Connection, version_id: str, from_version_id: str) -> Counts | None:
    """The counts import wrote for this pair; None when it wrote no diff for it."""
    row = conn.execute(select(version_diffs.c.added, version_diffs.c.removed,
                              version_diffs.c.changed)
                       .where(version_diffs.c.version_id == version_id,
                              version_diffs.c.from_version_id == from_version_id)).first()
    return Counts(row.added, row.removed, row.changed) if row else None


def forget(conn: Connection, version_id: str) -> None:
    """Before a version's row goes (a replaced draft): the diffs naming it go too."""
    conn.execute(delete(version_diffs).where(or_(
        version_diffs.c.version_id == version_id,
        version_diffs.c.from_version_id == version_id)))
