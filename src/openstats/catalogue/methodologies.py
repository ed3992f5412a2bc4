"""Methodologies and their versions in SQL, and which publication supersedes which.

A methodology belongs to a publication; its versions (0, then amendments) are drafts
until approved, then public either with a release version or from their moment (see
catalogue/published.py). Rights and states are the publishing services' to check
(publishing/methodologies.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from openstats.catalogue.schema import (
    methodologies,
    methodology_versions,
    publication_successors,
)
from openstats.catalogue.values import as_utc, new_id, now, utc
from openstats.model.catalogue import ReleaseState
from openstats.model.content import MethodologySection, MethodologyVersion

_MV = (select(methodology_versions, methodologies.c.publication_id, methodologies.c.slug)
       .join(methodologies, methodologies.c.id == methodology_versions.c.methodology_id))


def _version(r: RowMapping) -> MethodologyVersion:
    return MethodologyVersion(
        id=r["id"], methodology_id=r["methodology_id"], publication_id=r["publication_id"],
        slug=r["slug"], number=r["number"], created=utc(r["created"]), title=r["title"],
        summary=r["summary"] or "", sections=sections_from_json(r["sections"]),
        notes=r["notes"] or "", state=ReleaseState(r["state"]),
        with_release_version_id=r["with_release_version_id"],
        scheduled=as_utc(r["scheduled"]), approved_by=r["approved_by"])


def sections_from_json(text: str | None) -> tuple[MethodologySection, ...]:
    return tuple(MethodologySection(str(s["heading"]), str(s["body"]))
                 for s in json.loads(text or "[]"))


def sections_json(sections: tuple[MethodologySection, ...]) -> str:
    return json.dumps([{"heading": s.heading, "body": s.body} for s in sections],
                      ensure_ascii=False)


# --- reading ---------------------------------------------------------------------------------
def version(conn: Connection, version_id: str) -> MethodologyVersion | None:
    row = conn.execute(_MV.where(methodology_versions.c.id == version_id)).mappings().first()
    return _version(row) if row else None


def versions_of(conn: Connection, methodology_id: str) -> list[MethodologyVersion]:
    """A methodology's versions, first to latest."""
    rows = conn.execute(_MV.where(methodology_versions.c.methodology_id == methodology_id)
                        .order_by(methodology_versions.c.number)).mappings()
    return [_version(r) for r in rows]


def latest_version(conn: Connection, methodology_id: str) -> MethodologyVersion | None:
    found = versions_of(conn, methodology_id)
    return found[-1] if found else None


def find(conn: Connection, slug: str) -> str | None:
    """The id of the methodology with this slug."""
    row = conn.execute(select(methodologies.c.id).where(methodologies.c.slug == slug)).first()
    return str(row.id) if row else None


def of_publication(conn: Connection, publication_id: str) -> list[MethodologyVersion]:
    """The latest version of each of a publication's methodologies, by title."""
    ids = conn.execute(select(methodologies.c.id)
                       .where(methodologies.c.publication_id == publication_id)).scalars()
    found = [v for v in (latest_version(conn, i) for i in ids) if v is not None]
    return sorted(found, key=lambda v: v.title.lower())


def non_draft_versions(conn: Connection) -> list[MethodologyVersion]:
    """Every methodology version that is or will become public."""
    rows = conn.execute(_MV.where(methodology_versions.c.state != ReleaseState.DRAFT.value)
                        ).mappings()
    return [_version(r) for r in rows]


# --- writing ---------------------------------------------------------------------------------
def create(conn: Connection, publication_id: str, slug: str, title: str, summary: str = "",
           sections: tuple[MethodologySection, ...] = ()) -> MethodologyVersion:
    """A new methodology and its first version, a draft."""
    methodology_id = new_id()
    conn.execute(insert(methodologies).values(id=methodology_id, publication_id=publication_id,
                                              slug=slug, created=now()))
    return _insert_version(conn, methodology_id, 0, title, summary, sections)


def _insert_version(conn: Connection, methodology_id: str, number: int, title: str,
                    summary: str, sections: tuple[MethodologySection, ...]
                    ) -> MethodologyVersion:
    version_id = new_id()
    conn.execute(insert(methodology_versions).values(
        id=version_id, methodology_id=methodology_id, number=number, created=now(),
        title=title, summary=summary, sections=sections_json(sections), notes="",
        state=ReleaseState.DRAFT.value, with_release_version_id=None, scheduled=None,
        approved_by=None))
    made = version(conn, version_id)
    assert made is not None
    return made


def amend(conn: Connection, previous: MethodologyVersion) -> MethodologyVersion:
    """An amendment: a draft copying `previous`'s words."""
    return _insert_version(conn, previous.methodology_id, previous.number + 1, previous.title,
                           previous.summary, previous.sections)


def set_words(conn: Connection, mv: MethodologyVersion, *, title: str, summary: str,
              sections: tuple[MethodologySection, ...], notes: str) -> None:
    conn.execute(update(methodology_versions).where(methodology_versions.c.id == mv.id).values(
        title=title, summary=summary, sections=sections_json(sections), notes=notes))


def approve(conn: Connection, mv: MethodologyVersion, *, with_release_version_id: str | None,
            when: datetime | None, approved_by: str | None) -> None:
    """Approve for publication with a release version, or (None) from `when` on."""
    conn.execute(update(methodology_versions).where(methodology_versions.c.id == mv.id).values(
        state=ReleaseState.APPROVED.value, with_release_version_id=with_release_version_id,
        scheduled=None if with_release_version_id else utc(when or now()),
        approved_by=approved_by))


def unapprove(conn: Connection, mv: MethodologyVersion) -> None:
    conn.execute(update(methodology_versions).where(methodology_versions.c.id == mv.id).values(
        state=ReleaseState.DRAFT.value, with_release_version_id=None, scheduled=None,
        approved_by=None))


# --- superseded publications -------------------------------------------------------------
def successors(conn: Connection) -> dict[str, str]:
    """Publication id -> the id of the publication that supersedes it."""
    return {r.publication_id: r.superseded_by_id
            for r in conn.execute(select(publication_successors))}


def set_successor(conn: Connection, publication_id: str, superseded_by_id: str | None) -> None:
    conn.execute(delete(publication_successors).where(
        publication_successors.c.publication_id == publication_id))
    if superseded_by_id:
        conn.execute(insert(publication_successors).values(
            publication_id=publication_id, superseded_by_id=superseded_by_id))
