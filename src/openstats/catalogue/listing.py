"""The data catalogue's listing in SQL: search, filters, sorting and paging of every latest
data set run in the database, at any size (SQLite FTS5, PostgreSQL full-text search).

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

Readers with pre-release access also see the scheduled versions of their releases: the
query takes those rows too and keeps, per data set, the previewed one.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    bindparam,
    case,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
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
    themes,
)
from openstats.catalogue.values import as_utc, utc
from openstats.model.catalogue import ReleaseState
from openstats.model.metadata import VersionMeta

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue

SORTS = ("newest", "title", "relevance")
_TERM = re.compile(r"\w+", re.UNICODE)


# --- writing the rows ---------------------------------------------------------------------
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


# --- reading them ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogueQuery:
    search: str = ""
    theme: str = ""  # theme slug
    publication: str = ""  # publication slug
    release: str = ""  # release slug (of the chosen publication)
    level: str = ""  # geographic level code
    sort: str = ""  # newest | title | relevance; '' chooses (relevance when searching)
    page: int = 1
    page_size: int = 10

    @property
    def terms(self) -> list[str]:
        return [t.lower() for t in _TERM.findall(self.search)]

    @property
    def chosen_sort(self) -> str:
        if self.sort in SORTS and (self.sort != "relevance" or self.terms):
            return self.sort
        return "relevance" if self.terms else "newest"


@dataclass(frozen=True)
class CatalogueOptions:
    themes: list[tuple[str, str]]  # (slug, title)
    publications: list[tuple[str, str]]
    releases: list[tuple[str, str]]
    levels: list[str]  # codes


@dataclass(frozen=True)
class CataloguePage:
    data_set_ids: list[str]  # the page's data sets, in order
    total: int
    options: CatalogueOptions


def _visible(at: datetime, preview_releases: frozenset[str]) -> Any:
    c = catalogue_listing.c
    now_shown = (c.visible_from <= at) & or_(c.visible_until.is_(None), c.visible_until > at)
    if not preview_releases:
        return now_shown
    return or_(now_shown, c.release_id.in_(preview_releases) & (c.visible_from > at))


def shown_at(at: datetime) -> Any:
    """The listing rows everyone sees at `at` (no previews): each data set's latest public
    version, as a condition for other queries over the listing (catalogue/locations.py)."""
    return _visible(at, frozenset())


class ListingCache:
    """What every query at one moment shares, kept per (generation, epoch) of the
    published snapshot: the filters' options and the number of data sets shown. Between
    two scheduled moments and catalogue changes they are the same for every reader."""

    SIZE = 256  # entries: pages, options and counts of recent queries

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)
        return value


def search(catalogue: Catalogue, q: CatalogueQuery, at: datetime, moment: tuple[int, int],
           preview_releases: frozenset[str] = frozenset()) -> CataloguePage:
    """A page of the latest data sets matching `q`, as a reader sees them at `at`.

    `moment` is the published snapshot's (generation, epoch) at `at` (View.moment): the
    key under which what all queries of that moment share is cached."""
    def answer() -> CataloguePage:
        with catalogue.connect() as conn:
            return _search(conn, catalogue.listings, q, utc(at), moment, preview_releases)

    if preview_releases:
        return answer()  # a preview is one person's view: never shared
    # Every reader asking the same at the same moment gets the same page.
    return catalogue.listings.get(("page", *moment, q), answer)  # type: ignore[no-any-return]


def _search(conn: Connection, cache: ListingCache, q: CatalogueQuery, at: datetime,
            moment: tuple[int, int], preview_releases: frozenset[str]) -> CataloguePage:
    c = catalogue_listing.c
    if preview_releases:
        # Per data set, the previewed row (scheduled) takes the place of the public one.
        previewed = case((c.visible_from > at, 0), else_=1)
        ranked = select(catalogue_listing, func.row_number().over(
            partition_by=c.data_set_id, order_by=(previewed, c.visible_from)).label("rank")
        ).where(_visible(at, preview_releases)).subquery()
        source: Any = select(ranked).where(ranked.c.rank == 1).subquery()
        where: list[Any] = []
    else:
        # One flat query over the table, so its indexes serve the filters and the order.
        source, where = catalogue_listing, [_visible(at, preview_releases)]
    s = source.c

    def shared(name: str, make: Callable[[], Any]) -> Any:
        if preview_releases:
            return make()  # a preview is one person's view: not shared
        return cache.get((name, *moment, q.theme, q.publication, q.release, q.level), make)

    options = shared("options", lambda: _options(conn, source, where, q))
    if q.theme:
        theme_id = conn.execute(select(themes.c.id).where(themes.c.slug == q.theme)).scalar()
        where.append(s.theme_id == theme_id)
    if q.publication:
        where.append(s.publication_slug == q.publication)
    if q.release:
        where.append(s.release_slug == q.release)
    if q.level:
        where.append(s.levels.contains(f"|{q.level}|", autoescape=True))
    found = select(s.data_set_id).select_from(source).where(*where)
    score: Any = None
    if q.terms:
        found, score = _match(conn, found, s, q.terms)
    total = _count(conn, found) if q.terms else shared("count", lambda: _count(conn, found))
    order: list[Any]
    if q.chosen_sort == "title":
        order = [func.lower(s.title), s.data_set_id]
    elif q.chosen_sort == "relevance" and score is not None:
        order = [score.desc(), func.lower(s.title), s.data_set_id]
    else:
        order = [s.published.desc(), s.title.desc(), s.data_set_id]
    page = max(1, q.page)
    rows = conn.execute(found.order_by(*order).limit(q.page_size)
                        .offset((page - 1) * q.page_size))
    return CataloguePage([r.data_set_id for r in rows], total, options)


def _count(conn: Connection, found: Select[Any]) -> int:
    return int(conn.execute(select(func.count()).select_from(found.subquery())).scalar_one())


def _match(conn: Connection, found: Select[Any], s: Any,
           terms: list[str]) -> tuple[Select[Any], Any]:
    """Rows holding every term (as a word or the start of one), and a relevance score
    (higher is better)."""
    if conn.dialect.name == "postgresql":
        query = " & ".join(f"{t}:*" for t in terms)
        # The same expression as the GIN index of migration 0007, so the index serves it.
        simple: Any = literal_column("'simple'::regconfig")
        vector = func.to_tsvector(simple, s.search_text)
        tsq = func.to_tsquery(simple, literal(query))
        return found.where(vector.op("@@")(tsq)), func.ts_rank(vector, tsq)
    query = " ".join('"' + t.replace('"', '""') + '"*' for t in terms)
    fts = table("catalogue_listing_fts", column("rowid"), column("search_text"))
    hits = (select(fts.c.rowid.label("id"),
                   literal_column("bm25(catalogue_listing_fts)").label("rank"))
            .where(literal_column("catalogue_listing_fts").op("MATCH")(query))).subquery()
    # bm25 is lower for better matches: its negative is the score.
    return found.join(hits, hits.c.id == s.id), -hits.c.rank


def _options(conn: Connection, source: Any, where: list[Any],
             q: CatalogueQuery) -> CatalogueOptions:
    """What the filters offer: every theme, the publications of the chosen theme, the
    releases of the chosen publication, every geographic level."""
    # (The source is the listing table itself, or the previews' subquery.)
    s = source.c
    theme_rows = conn.execute(select(themes.c.slug, themes.c.title).distinct()
                              .select_from(source).join(themes, s.theme_id == themes.c.id)
                              .where(*where).order_by(themes.c.title)).all()
    # As EES's: the publications of the chosen theme (or of the chosen publication's),
    # never a list of every publication of a large catalogue.
    publication_rows: list[Any] = []
    if q.theme or q.publication:
        pubs = select(s.publication_slug, s.publication_title).distinct().where(*where)
        if q.theme:
            pubs = pubs.join(themes, themes.c.id == s.theme_id).where(themes.c.slug == q.theme)
        else:
            of_chosen = (select(s.theme_id).where(*where, s.publication_slug == q.publication)
                         .limit(1).scalar_subquery())
            pubs = pubs.where(s.theme_id == of_chosen)
        publication_rows = list(conn.execute(pubs.order_by(s.publication_title)).all())
    release_rows = conn.execute(select(s.release_slug, s.release_title).distinct()
                                .where(*where, s.publication_slug == q.publication)
                                .order_by(s.release_title)).all() if q.publication else []
    level_sets = conn.execute(select(s.levels).distinct().where(*where)).scalars().all()
    levels = sorted({code for text_ in level_sets for code in text_.strip("|").split("|")
                     if code})
    return CatalogueOptions([(r[0], r[1]) for r in theme_rows],
                            [(r[0], r[1]) for r in publication_rows],
                            [(r[0], r[1]) for r in release_rows], levels)
