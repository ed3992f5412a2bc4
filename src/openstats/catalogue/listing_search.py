"""The data catalogue's query in SQL: search, filters, sorting and paging over the rows of
catalogue/listing.py, run in the database at any size (SQLite FTS5, PostgreSQL full-text
search). `search` takes the Catalogue: the data catalogue page calls it as a service.

Readers with pre-release access also see the scheduled versions of their releases: the
query takes those rows too and keeps, per data set, the previewed one.
"""


from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    case,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from openstats.catalogue.schema import (
    catalogue_listing,
    themes,
)
from openstats.catalogue.values import utc

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue

SORTS = ("newest", "title", "relevance")
_TERM = re.compile(r"\w+", re.UNICODE)


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
    order: list[Any]
    if q.chosen_sort == "title":
        order = [func.lower(s.title), s.data_set_id]
    elif q.chosen_sort == "relevance" and score is not None:
        order = [score.desc(), func.lower(s.title), s.data_set_id]
    else:
        order = [s.published.desc(), s.title.desc(), s.data_set_id]
    page = max(1, q.page)
    if not q.terms:
        total = shared("count", lambda: _count(conn, found))
        rows = conn.execute(found.order_by(*order).limit(q.page_size)
                            .offset((page - 1) * q.page_size)).all()
        return CataloguePage([r.data_set_id for r in rows], total, options)
    # A search's matches are found once: the page's rows carry their total (a window over
    # every match), where counting first matched the search a second time, as costly as
    # the page (SQLite's FTS5 and PostgreSQL's prefix terms read every term's index).
    rows = conn.execute(found.add_columns(func.count().over().label("total"))
                        .order_by(*order).limit(q.page_size)
                        .offset((page - 1) * q.page_size)).all()
    if rows:
        total = int(rows[0].total)
    else:  # no row: none matched, or the page is past the last
        total = 0 if page == 1 else _count(conn, found)
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
