"""Releases, their versions, the data sets each version holds, and featured tables, in SQL.

A release version is written while it is a draft, then approved for a moment (public from
then, to the second), and recorded as published by the scheduler. An amendment is a new
version copying the one before (its words, data sets and featured tables), changed while
it is a draft; the versions before it stay as they were published. Who may do any of this
is decided by the publishing services (publishing/workflow.py), never here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from openstats.catalogue import content
from openstats.catalogue.schema import (
    publications,
    release_data_sets,
    release_versions,
    releases,
    saved_tables,
)
from openstats.catalogue.values import as_utc, new_id, now, utc
from openstats.model import footnotes
from openstats.model.catalogue import (
    Contact,
    FeaturedTable,
    Publication,
    ReleaseDataSet,
    ReleaseState,
    ReleaseVersion,
    TableSpec,
)


@dataclass(frozen=True)
class ReleaseWords:
    """What a publisher writes for a release version, besides its data sets."""

    title: str
    release_type: str
    next_update: str = ""
    data_guidance: str = ""
    notes: str = ""


_RV = (select(release_versions, releases.c.publication_id, releases.c.slug,
              publications.c.slug.label("publication_slug"))
       .join(releases, releases.c.id == release_versions.c.release_id)
       .join(publications, publications.c.id == releases.c.publication_id))


def release_version_of(r: RowMapping) -> ReleaseVersion:
    """A row of _RV as the typed object."""
    return ReleaseVersion(
        id=r["id"], release_id=r["release_id"], publication_id=r["publication_id"],
        publication_slug=r["publication_slug"], slug=r["slug"], number=r["number"],
        created=utc(r["created"]), title=r["title"], release_type=r["release_type"],
        next_update=r["next_update"] or "", data_guidance=r["data_guidance"] or "",
        notes=r["notes"] or "", theme_id=r["theme_id"],
        publication_title=r["publication_title"],
        publication_summary=r["publication_summary"] or "",
        contact=Contact(r["contact_team_name"] or "", r["contact_team_email"] or "",
                        r["contact_name"] or "", r["contact_telephone"] or ""),
        state=ReleaseState(r["state"]), scheduled=as_utc(r["scheduled"]),
        approved_by=r["approved_by"])


# --- reading ---------------------------------------------------------------------------------
def release_version(conn: Connection, release_version_id: str) -> ReleaseVersion | None:
    row = conn.execute(_RV.where(release_versions.c.id == release_version_id)).mappings().first()
    return release_version_of(row) if row else None


def versions_of_release(conn: Connection, release_id: str) -> list[ReleaseVersion]:
    """A release's versions, first to latest."""
    rows = conn.execute(_RV.where(release_versions.c.release_id == release_id)
                        .order_by(release_versions.c.number)).mappings()
    return [release_version_of(r) for r in rows]


def latest_version(conn: Connection, release_id: str) -> ReleaseVersion | None:
    rows = versions_of_release(conn, release_id)
    return rows[-1] if rows else None


def find_release(conn: Connection, publication_slug: str, release_slug: str) -> str | None:
    row = conn.execute(
        select(releases.c.id).join(publications, publications.c.id == releases.c.publication_id)
        .where(publications.c.slug == publication_slug, releases.c.slug == release_slug)).first()
    return str(row.id) if row else None


def latest_versions_of_publication(conn: Connection, publication_id: str
                                   ) -> list[ReleaseVersion]:
    """The latest version of each of a publication's releases, newest release first."""
    newest = (select(release_versions.c.release_id,
                     func.max(release_versions.c.number).label("number"))
              .group_by(release_versions.c.release_id).subquery())
    rows = conn.execute(
        _RV.join(newest, and_(newest.c.release_id == release_versions.c.release_id,
                              newest.c.number == release_versions.c.number))
        .where(releases.c.publication_id == publication_id)
        .order_by(releases.c.created.desc())).mappings()
    return [release_version_of(r) for r in rows]


def non_draft_versions(conn: Connection) -> list[ReleaseVersion]:
    """Every release version that is or will become public (what readers may ever see)."""
    rows = conn.execute(_RV.where(release_versions.c.state != ReleaseState.DRAFT.value)
                        ).mappings()
    return [release_version_of(r) for r in rows]


def draft_versions(conn: Connection, release_ids: frozenset[str]) -> list[ReleaseVersion]:
    if not release_ids:
        return []
    rows = conn.execute(_RV.where(release_versions.c.state == ReleaseState.DRAFT.value,
                                  release_versions.c.release_id.in_(release_ids))).mappings()
    return [release_version_of(r) for r in rows]


# --- creating and writing ----------------------------------------------------------------------
def create_release(conn: Connection, publication: Publication, words: ReleaseWords, *,
                   slug: str, release_id: str | None = None) -> ReleaseVersion:
    """A new release and its first version, a draft carrying the publication's words."""
    release_id = release_id or new_id()
    conn.execute(insert(releases).values(id=release_id, publication_id=publication.id,
                                         slug=slug, created=now()))
    rv_id = new_id()
    conn.execute(insert(release_versions).values(
        id=rv_id, release_id=release_id, number=0, created=now(),
        state=ReleaseState.DRAFT.value, scheduled=None, approved_by=None,
        **_word_values(words), **_publication_values(publication)))
    made = release_version(conn, rv_id)
    assert made is not None
    return made


def new_version(conn: Connection, previous: ReleaseVersion) -> ReleaseVersion:
    """An amendment: a draft copying `previous` (words, data sets, featured tables, and
    its content: headline, key statistics, sections, notes, glossary terms)."""
    rv_id = new_id()
    conn.execute(insert(release_versions).values(
        id=rv_id, release_id=previous.release_id, number=previous.number + 1, created=now(),
        title=previous.title, release_type=previous.release_type,
        next_update=previous.next_update, data_guidance=previous.data_guidance, notes="",
        theme_id=previous.theme_id, publication_title=previous.publication_title,
        publication_summary=previous.publication_summary,
        contact_team_name=previous.contact.team_name,
        contact_team_email=previous.contact.team_email, contact_name=previous.contact.name,
        contact_telephone=previous.contact.telephone, state=ReleaseState.DRAFT.value,
        scheduled=None, approved_by=None))
    for entry in entries(conn, previous.id):
        put_entry(conn, replace(entry, release_version_id=rv_id))
    for table in featured_tables(conn, frozenset({previous.id})):
        conn.execute(insert(saved_tables).values(
            id=new_id(), kind="featured", data_set_id=table.data_set_id, version_id=None,
            release_version_id=rv_id, name=table.name, description=table.description,
            selection=_spec_json(table.spec), position=table.position, created=now()))
    content.copy(conn, previous.id, rv_id)
    made = release_version(conn, rv_id)
    assert made is not None
    return made


def set_words(conn: Connection, rv: ReleaseVersion, words: ReleaseWords) -> None:
    conn.execute(update(release_versions).where(release_versions.c.id == rv.id)
                 .values(**_word_values(words)))


def set_publication_words(conn: Connection, rv: ReleaseVersion, publication: Publication) -> None:
    """The publication's words this release version will publish (its working copy now)."""
    conn.execute(update(release_versions).where(release_versions.c.id == rv.id)
                 .values(**_publication_values(publication)))


def words_of(rv: ReleaseVersion) -> ReleaseWords:
    return ReleaseWords(rv.title, rv.release_type, rv.next_update, rv.data_guidance, rv.notes)


def _word_values(words: ReleaseWords) -> dict[str, str]:
    return {"title": words.title, "release_type": words.release_type,
            "next_update": words.next_update, "data_guidance": words.data_guidance,
            "notes": words.notes}


def _publication_values(publication: Publication) -> dict[str, str]:
    return {"theme_id": publication.theme_id, "publication_title": publication.title,
            "publication_summary": publication.summary,
            "contact_team_name": publication.contact.team_name,
            "contact_team_email": publication.contact.team_email,
            "contact_name": publication.contact.name,
            "contact_telephone": publication.contact.telephone}


# --- the data sets a version holds -------------------------------------------------------------
def _entry(r: RowMapping) -> ReleaseDataSet:
    return ReleaseDataSet(r["release_version_id"], r["data_set_id"], r["version_id"],
                          r["title"], r["summary"] or "", footnotes.loads(r["footnotes"]),
                          r["position"])


def entries(conn: Connection, release_version_id: str) -> list[ReleaseDataSet]:
    rows = conn.execute(select(release_data_sets)
                        .where(release_data_sets.c.release_version_id == release_version_id)
                        .order_by(release_data_sets.c.position, release_data_sets.c.title)
                        ).mappings()
    return [_entry(r) for r in rows]


def entries_of(conn: Connection, release_version_ids: set[str]
               ) -> dict[str, list[ReleaseDataSet]]:
    out: dict[str, list[ReleaseDataSet]] = {rv: [] for rv in release_version_ids}
    if not release_version_ids:
        return out
    rows = conn.execute(select(release_data_sets).where(
        release_data_sets.c.release_version_id.in_(release_version_ids))
        .order_by(release_data_sets.c.position, release_data_sets.c.title)).mappings()
    for r in rows:
        out[r.release_version_id].append(_entry(r))
    return out


def entry(conn: Connection, release_version_id: str, data_set_id: str) -> ReleaseDataSet | None:
    row = conn.execute(select(release_data_sets).where(
        release_data_sets.c.release_version_id == release_version_id,
        release_data_sets.c.data_set_id == data_set_id)).mappings().first()
    return _entry(row) if row else None


def put_entry(conn: Connection, item: ReleaseDataSet) -> None:
    """Hold a data-set version in a release version, with its words (replacing any)."""
    values = {"version_id": item.version_id, "title": item.title, "summary": item.summary,
              "footnotes": footnotes.dumps(item.footnotes), "position": item.position}
    done = conn.execute(update(release_data_sets).where(
        release_data_sets.c.release_version_id == item.release_version_id,
        release_data_sets.c.data_set_id == item.data_set_id).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(release_data_sets).values(
            release_version_id=item.release_version_id, data_set_id=item.data_set_id, **values))


def remove_entry(conn: Connection, release_version_id: str, data_set_id: str) -> None:
    conn.execute(delete(release_data_sets).where(
        release_data_sets.c.release_version_id == release_version_id,
        release_data_sets.c.data_set_id == data_set_id))


def holding(conn: Connection, version_id: str) -> list[ReleaseDataSet]:
    """Every release version's entry holding a data-set version."""
    rows = conn.execute(select(release_data_sets)
                        .where(release_data_sets.c.version_id == version_id)).mappings()
    return [_entry(r) for r in rows]


# --- featured tables ------------------------------------------------------------------------
def _spec_json(spec: TableSpec) -> str:
    return json.dumps(spec.as_json(), sort_keys=True, ensure_ascii=False)


def featured_tables(conn: Connection, release_version_ids: frozenset[str]
                    ) -> list[FeaturedTable]:
    if not release_version_ids:
        return []
    rows = conn.execute(select(saved_tables).where(
        saved_tables.c.kind == "featured",
        saved_tables.c.release_version_id.in_(release_version_ids))
        .order_by(saved_tables.c.data_set_id, saved_tables.c.position))
    return [FeaturedTable(r.id, r.data_set_id, r.release_version_id, r.name, r.description,
                          TableSpec.from_json(json.loads(r.selection)), r.position)
            for r in rows]


def replace_featured(conn: Connection, release_version_id: str, data_set_id: str,
                     tables: list[tuple[str, str, TableSpec]]) -> bool:
    """A data set's featured tables in a release version become exactly `tables`
    (name, description, spec); False when they already were (nothing written)."""
    current = [(t.name, t.description, _spec_json(t.spec))
               for t in featured_tables(conn, frozenset({release_version_id}))
               if t.data_set_id == data_set_id]
    wanted = [(name, description, _spec_json(spec)) for name, description, spec in tables]
    if current == wanted:
        return False  # loading the same manifest again changes nothing
    conn.execute(delete(saved_tables).where(saved_tables.c.kind == "featured",
                                            saved_tables.c.release_version_id == release_version_id,
                                            saved_tables.c.data_set_id == data_set_id))
    for position, (name, description, spec) in enumerate(wanted):
        conn.execute(insert(saved_tables).values(
            id=new_id(), kind="featured", data_set_id=data_set_id, version_id=None,
            release_version_id=release_version_id, name=name, description=description,
            selection=spec, position=position, created=now()))
    return True


# --- the workflow's states ------------------------------------------------------------------
def schedule(conn: Connection, rv: ReleaseVersion, when: datetime,
             approved_by: str | None) -> None:
    """Approve a version for `when` (UTC): public from that moment."""
    conn.execute(update(release_versions).where(release_versions.c.id == rv.id).values(
        state=ReleaseState.APPROVED.value, scheduled=utc(when), approved_by=approved_by))


def unschedule(conn: Connection, rv: ReleaseVersion) -> None:
    """Take an approval back: the version is a draft again."""
    conn.execute(update(release_versions).where(release_versions.c.id == rv.id).values(
        state=ReleaseState.DRAFT.value, scheduled=None, approved_by=None))


def due(conn: Connection, at: datetime) -> list[ReleaseVersion]:
    """Approved versions whose moment has come, not yet recorded as published."""
    rows = conn.execute(_RV.where(release_versions.c.state == ReleaseState.APPROVED.value)
                        ).mappings()
    return [rv for rv in (release_version_of(r) for r in rows)
            if rv.scheduled is not None and rv.scheduled <= at]


def mark_published(conn: Connection, rv: ReleaseVersion) -> bool:
    """Record that a version's moment came; False if another process already did.

    Every replica's scheduler may find the same version due at the same moment. The UPDATE
    is conditional on the state it read: on PostgreSQL a concurrent one waits for the row
    lock, re-reads the row and matches nothing; SQLite runs writers one at a time anyway.
    """
    done = conn.execute(update(release_versions).where(
        release_versions.c.id == rv.id,
        release_versions.c.state == ReleaseState.APPROVED.value).values(
        state=ReleaseState.PUBLISHED.value))
    return bool(done.rowcount == 1)
