"""The data catalogue's listing in SQL: the rows that search, filters, sorting and paging of
every latest data set run over in the database, at any size (catalogue/listing_search.py).

`catalogue_listing` holds one row per data set per stretch of time in which it shows the
same version with the same words: from the moment a release version holding it goes
public (`visible_from`) until the moment another one takes its place (`visible_until`,
NULL while none is scheduled). The rows follow the visibility rule of
catalogue/published.py exactly (the data set's highest public version, with the words of
the latest public release version holding it), computed for every scheduled moment in
advance, so a query at any instant — `visible_from <= now < visible_until` — needs no job to
have run. They are rewritten whenever a release's versions change what is or will be
public (`refresh_release`, called with `bump_generation`), and rebuilt whole by
`rebuild` (a migration, or `openstats db reindex`).

The query over these rows (search, filters, sorting, paging) is catalogue/listing_search.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    bindparam,
    delete,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from openstats.catalogue import questions
from openstats.catalogue.schema import (
    catalogue_listing,
    catalogue_listing_terms,
    data_set_versions,
    publications,
    release_data_sets,
    release_versions,
    releases,
)
from openstats.catalogue.values import as_utc
from openstats.model.catalogue import ReleaseState
from openstats.model.metadata import VersionMeta

if TYPE_CHECKING:
    pass



@dataclass(frozen=True)
class _Held:
    """One non-draft release version's entry for a data set."""

    scheduled: datetime
    number: int
    release_version_id: str
    release_id: str
    version_id: str
    major: int
    minor: int
    title: str
    summary: str
    row: dict[str, Any] = field(compare=False)


def search_text(title: str, summary: str, meta: VersionMeta) -> str:
    """What catalogue search looks through: title (twice: it weighs more), summary,
    variables (column and description) and filter options."""
    parts = [title, title, summary]
    for f in meta.filters:
        parts.append(f"{f.column} {f.label} {f.hint}")
        parts += [o.label for o in f.options]
    parts += [f"{i.column} {i.label}" for i in meta.indicators]
    return " ".join(parts).lower()


def refresh_release(conn: Connection, release_id: str) -> None:
    """Rewrite the rows of every data set any version of this release holds."""
    rows = conn.execute(select(release_data_sets.c.data_set_id).distinct()
                        .join(release_versions, release_versions.c.id
                              == release_data_sets.c.release_version_id)
                        .where(release_versions.c.release_id == release_id))
    refresh(conn, {r.data_set_id for r in rows})


def ensure_built(conn: Connection) -> None:
    """Build the listing if it is empty while release versions hold data sets (a catalogue
    upgraded to the revision that made the table)."""
    if conn.execute(select(catalogue_listing.c.id).limit(1)).first() is not None:
        return
    if conn.execute(select(release_data_sets.c.data_set_id).join(
            release_versions, release_versions.c.id == release_data_sets.c.release_version_id)
            .where(release_versions.c.state != ReleaseState.DRAFT.value).limit(1)).first():
        rebuild(conn)


def rebuild(conn: Connection) -> None:
    """Rewrite every row (after a migration, or `openstats db reindex`)."""
    _clear(conn, None)
    ids = {r.data_set_id for r in conn.execute(
        select(release_data_sets.c.data_set_id).distinct())}
    refresh(conn, ids, cleared=True)


def refresh(conn: Connection, data_set_ids: Iterable[str], cleared: bool = False) -> None:
    """Rewrite the rows of these data sets from their non-draft release versions."""
    ids = sorted(set(data_set_ids))
    if not ids:
        return
    if not cleared:
        _clear(conn, ids)
    metas: dict[str, VersionMeta] = {}
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        held: dict[str, list[_Held]] = {}
        for r in conn.execute(_held_query(chunk)).mappings():
            scheduled = as_utc(r["scheduled"])
            if scheduled is None:
                continue
            held.setdefault(r["data_set_id"], []).append(_Held(
                scheduled, r["number"], r["release_version_id"], r["release_id"],
                r["version_id"], r["version_major"], r["version_minor"], r["title"],
                r["summary"] or "", dict(r)))
        new_rows = []
        for data_set_id, items in held.items():
            for start, end, words, published in _stretches(items):
                version_id = words.version_id
                if version_id not in metas:
                    metas[version_id] = VersionMeta.from_json(json.loads(
                        words.row["metadata"]))
                meta = metas[version_id]
                new_rows.append({
                    "data_set_id": data_set_id, "version_id": version_id,
                    "release_version_id": words.release_version_id,
                    "release_id": words.release_id,
                    "publication_id": words.row["publication_id"],
                    "theme_id": words.row["theme_id"], "visible_from": start,
                    "visible_until": end, "title": words.title, "summary": words.summary,
                    "publication_title": words.row["publication_title"],
                    "publication_slug": words.row["publication_slug"],
                    "release_title": words.row["release_title"],
                    "release_slug": words.row["release_slug"], "published": published,
                    "levels": "|" + "|".join(meta.geographic_levels) + "|",
                    "search_text": search_text(words.title, words.summary, meta)})
        if new_rows:
            conn.execute(insert(catalogue_listing), new_rows)
            _write_terms(conn, chunk, metas)
            if conn.dialect.name == "sqlite":
                # The full-text index holds a copy of search_text, by row id (migration
                # 0007); PostgreSQL indexes the column itself.
                conn.execute(text(
                    "INSERT INTO catalogue_listing_fts (rowid, search_text) SELECT id, "
                    "search_text FROM catalogue_listing WHERE data_set_id IN :ids")
                    .bindparams(bindparam("ids", expanding=True)), {"ids": chunk})


def _write_terms(conn: Connection, ids: list[str], metas: dict[str, VersionMeta]) -> None:
    """The phrases questions may name each new row by (catalogue/questions.py)."""
    terms: dict[str, list[questions.Term]] = {}
    rows = []
    for r in conn.execute(select(catalogue_listing.c.id, catalogue_listing.c.data_set_id,
                                 catalogue_listing.c.version_id)
                          .where(catalogue_listing.c.data_set_id.in_(ids))):
        if r.version_id not in terms:
            terms[r.version_id] = questions.terms_of(metas[r.version_id])
        rows += [{"listing_id": r.id, "data_set_id": r.data_set_id, "kind": t.kind,
                  "phrase": t.phrase, "label": t.label, "ref": t.ref}
                 for t in terms[r.version_id]]
    for start in range(0, len(rows), 20_000):
        conn.execute(insert(catalogue_listing_terms), rows[start:start + 20_000])


def _clear(conn: Connection, ids: list[str] | None) -> None:
    if conn.dialect.name == "sqlite":
        if ids is None:
            conn.execute(text("DELETE FROM catalogue_listing_fts"))
        else:
            conn.execute(text("DELETE FROM catalogue_listing_fts WHERE rowid IN (SELECT id "
                              "FROM catalogue_listing WHERE data_set_id IN :ids)")
                         .bindparams(bindparam("ids", expanding=True)), {"ids": ids})
    where = catalogue_listing.c.data_set_id.in_(ids) if ids is not None else literal(True)
    terms = (catalogue_listing_terms.c.data_set_id.in_(ids) if ids is not None
             else literal(True))
    conn.execute(delete(catalogue_listing_terms).where(terms))
    conn.execute(delete(catalogue_listing).where(where))


def _held_query(ids: list[str]) -> Select[Any]:
    e, rv, v = release_data_sets, release_versions, data_set_versions
    return (select(e.c.data_set_id, e.c.version_id, e.c.title, e.c.summary,
                   rv.c.id.label("release_version_id"), rv.c.release_id, rv.c.number,
                   rv.c.scheduled, rv.c.theme_id, rv.c.publication_title,
                   rv.c.title.label("release_title"), releases.c.slug.label("release_slug"),
                   releases.c.publication_id, publications.c.slug.label("publication_slug"),
                   v.c.version_major, v.c.version_minor, v.c.metadata)
            .join(rv, rv.c.id == e.c.release_version_id)
            .join(releases, releases.c.id == rv.c.release_id)
            .join(publications, publications.c.id == releases.c.publication_id)
            .join(v, v.c.id == e.c.version_id)
            .where(e.c.data_set_id.in_(ids), rv.c.state != ReleaseState.DRAFT.value,
                   rv.c.scheduled.is_not(None)))


def _stretches(items: list[_Held]) -> list[tuple[datetime, datetime | None, _Held, datetime]]:
    """(from, until, words, version's first public moment) for each stretch of time a data
    set shows the same version with the same words."""
    moments = sorted({i.scheduled for i in items})
    out: list[tuple[datetime, datetime | None, _Held, datetime]] = []
    for n, moment in enumerate(moments):
        public = [i for i in items if i.scheduled <= moment]
        top = max((i.major, i.minor) for i in public)
        holding = [i for i in public if (i.major, i.minor) == top]
        words = max(holding, key=lambda i: (i.scheduled, i.number))
        first = min(i.scheduled for i in holding)
        until = moments[n + 1] if n + 1 < len(moments) else None
        if out and out[-1][2] == words and out[-1][3] == first:
            out[-1] = (out[-1][0], until, words, first)  # the same as before: one stretch
        else:
            out.append((moment, until, words, first))
    return out
