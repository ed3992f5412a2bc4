"""Release events in SQL: one per release version, written in the transaction that records
the version as published (workflow.publish_due), with the outbox rows that tell webhooks
and subscribers about it (catalogue/outbox.py), so an event and its deliveries exist
together or not at all. Never before the version's moment: publish_due records only
versions whose time has come.

The change feed and the Atom feeds read events back, oldest or newest first.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, RowMapping

from openstats.catalogue import data_sets, outbox, releases
from openstats.catalogue.schema import release_events
from openstats.catalogue.values import new_id, utc
from openstats.model.catalogue import ReleaseVersion
from openstats.model.notifications import AMENDED, PUBLISHED, EventDataSet, ReleaseEvent

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue


def record(conn: Connection, rv: ReleaseVersion, at: datetime) -> ReleaseEvent:
    """The event of `rv` becoming public, recorded at `at`, and its deliveries queued.

    The caller has just recorded `rv` as published (releases.mark_published returned
    True), so this runs once per version; the unique release_version_id makes sure.
    """
    assert rv.scheduled is not None and rv.scheduled <= at, "never before its time"
    held = []
    for item in releases.entries(conn, rv.id):
        version = data_sets.version(conn, item.version_id)
        assert version is not None
        held.append(EventDataSet(item.data_set_id, item.title, version.version))
    event = ReleaseEvent(
        id=new_id(), type=AMENDED if rv.is_amendment else PUBLISHED, time=at,
        published=rv.scheduled, publication_id=rv.publication_id,
        publication_slug=rv.publication_slug, publication_title=rv.publication_title,
        release_id=rv.release_id, release_slug=rv.slug, release_title=rv.title,
        release_version_id=rv.id, version_number=rv.number, notes=rv.notes,
        data_sets=tuple(held))
    conn.execute(insert(release_events).values(
        id=event.id, type=event.type, time=event.time, published=event.published,
        release_version_id=rv.id, publication_id=event.publication_id,
        publication_slug=event.publication_slug, publication_title=event.publication_title,
        release_id=event.release_id, release_slug=event.release_slug,
        release_title=event.release_title, version_number=event.version_number,
        notes=event.notes,
        data_sets=json.dumps([{"id": d.id, "title": d.title, "version": d.version}
                              for d in held], ensure_ascii=False)))
    outbox.queue_event(conn, event, at)
    return event


def _event(r: RowMapping) -> ReleaseEvent:
    return ReleaseEvent(
        id=r["id"], type=r["type"], time=utc(r["time"]), published=utc(r["published"]),
        publication_id=r["publication_id"], publication_slug=r["publication_slug"],
        publication_title=r["publication_title"], release_id=r["release_id"],
        release_slug=r["release_slug"], release_title=r["release_title"],
        release_version_id=r["release_version_id"], version_number=r["version_number"],
        notes=r["notes"] or "",
        data_sets=tuple(EventDataSet(d["id"], d["title"], d["version"])
                        for d in json.loads(r["data_sets"])))


def event(conn: Connection, event_id: str) -> ReleaseEvent | None:
    row = conn.execute(select(release_events).where(release_events.c.id == event_id)
                       ).mappings().first()
    return _event(row) if row else None


def since(conn: Connection, moment: datetime | None, *, publication_id: str | None = None,
          offset: int = 0, limit: int = 100) -> tuple[int, list[ReleaseEvent]]:
    """Events recorded at or after `moment` (all, if None), oldest first: how many there
    are, and the `limit` of them from `offset`."""
    where = []
    if moment is not None:
        where.append(release_events.c.time >= moment)
    if publication_id is not None:
        where.append(release_events.c.publication_id == publication_id)
    total = conn.execute(select(func.count()).select_from(release_events).where(*where)
                         ).scalar_one()
    rows = conn.execute(select(release_events).where(*where)
                        .order_by(release_events.c.time, release_events.c.id)
                        .offset(offset).limit(limit)).mappings()
    return int(total), [_event(r) for r in rows]


def latest(conn: Connection, *, publication_id: str | None = None,
           limit: int = 50) -> list[ReleaseEvent]:
    """The newest events first (of one publication, or of all)."""
    query = select(release_events)
    if publication_id is not None:
        query = query.where(release_events.c.publication_id == publication_id)
    rows = conn.execute(query.order_by(release_events.c.time.desc(),
                                       release_events.c.id.desc()).limit(limit)).mappings()
    return [_event(r) for r in rows]


def page_since(catalogue: Catalogue, moment: datetime | None, *,
               publication_id: str | None = None, offset: int = 0,
               limit: int = 100) -> tuple[int, list[ReleaseEvent]]:
    """`since`, for the change feed's route: in a connection of its own."""
    with catalogue.connect() as conn:
        return since(conn, moment, publication_id=publication_id, offset=offset, limit=limit)


def newest(catalogue: Catalogue, *, publication_id: str | None = None,
           limit: int = 50) -> list[ReleaseEvent]:
    """`latest`, for the Atom feeds' routes: in a connection of its own."""
    with catalogue.connect() as conn:
        return latest(conn, publication_id=publication_id, limit=limit)
