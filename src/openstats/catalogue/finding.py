"""Find statistics: search, filter, sort and page the live publications of a published View.

The one function `find(view, query)` holds every rule of the /find-statistics page (what
a search matches and how it ranks, what each filter keeps, the sort orders, paging), so
that it can later become SQL over a search index for tens of thousands of publications
without the page changing: the page only builds a `FindQuery` and shows a `FindPage`.

Each publication is found by the words of its latest visible release version (title,
summary, theme, release title and type). A publication superseded by another that is
public says so (`Found.successor`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from openstats.catalogue.publications import slugify
from openstats.catalogue.published import View
from openstats.model.public import PublicPublication, PublicRelease

SORTS: dict[str, str] = {"newest": "Newest", "oldest": "Oldest", "title": "A to Z",
                         "relevance": "Relevance"}
PAGE_SIZE = 10


@dataclass(frozen=True)
class FindQuery:
    search: str = ""
    theme: str = ""  # theme slug
    release_type: str = ""  # slug of a release type ("official-statistics")
    sort: str = ""  # a key of SORTS; "" for the default (relevance when searching)
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class Found:
    publication: PublicPublication
    latest: PublicRelease
    successor: PublicPublication | None


@dataclass(frozen=True)
class FindPage:
    results: tuple[Found, ...]
    total: int
    page: int  # the page shown (the one asked, kept within 1..pages)
    pages: int
    sort: str  # the order used
    themes: tuple[tuple[str, str, int], ...]  # (slug, title, publications) to filter by
    release_types: tuple[tuple[str, str, int], ...]  # (slug, type, publications)


def _text(p: PublicPublication) -> tuple[str, str]:
    """(title, everything else) a search looks through, lower case."""
    latest = p.latest_release
    rest = " ".join([p.summary, p.theme.title, latest.title, latest.version.release_type])
    return p.title.lower(), rest.lower()


def _score(p: PublicPublication, terms: list[str]) -> int:
    """0 unless every term is found; more for terms in the title."""
    title, rest = _text(p)
    if not all(t in title or t in rest for t in terms):
        return 0
    return sum(3 * title.count(t) + rest.count(t) for t in terms)


def _count(items: list[tuple[str, str]]) -> tuple[tuple[str, str, int], ...]:
    counts: dict[tuple[str, str], int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return tuple((slug, label, n) for (slug, label), n in sorted(counts.items(),
                                                                 key=lambda x: x[0][1]))


def find(view: View, query: FindQuery) -> FindPage:
    """The page of publications a query asks for, and what it can be filtered by."""
    publications = view.publications()
    themes = _count([(p.theme.slug, p.theme.title) for p in publications])
    release_types = _count([(slugify(t), t) for t in
                            (p.latest_release.version.release_type for p in publications)])
    if query.theme:
        publications = [p for p in publications if p.theme.slug == query.theme]
    if query.release_type:
        publications = [p for p in publications
                        if slugify(p.latest_release.version.release_type) == query.release_type]
    terms = query.search.lower().split()
    scores = {p.id: _score(p, terms) for p in publications} if terms else {}
    if terms:
        publications = [p for p in publications if scores[p.id] > 0]
    sort = query.sort if query.sort in SORTS else ("relevance" if terms else "newest")
    if sort == "relevance" and not terms:
        sort = "newest"

    def published(p: PublicPublication) -> tuple[object, ...]:
        return (p.latest_release.first_published, p.title.lower())

    if sort == "title":
        publications.sort(key=lambda p: p.title.lower())
    elif sort == "oldest":
        publications.sort(key=published)
    elif sort == "relevance":
        publications.sort(key=lambda p: (-scores[p.id], p.title.lower()))
    else:
        # Newest first, and among equals A to Z: a stable sort on the date after the title.
        publications.sort(key=lambda p: p.title.lower())
        publications.sort(key=lambda p: p.latest_release.first_published, reverse=True)
    size = max(1, query.page_size)
    total = len(publications)
    pages = max(1, math.ceil(total / size))
    page = min(max(query.page, 1), pages)
    shown = publications[(page - 1) * size: page * size]
    return FindPage(tuple(Found(p, p.latest_release, view.successor(p.id)) for p in shown),
                    total, page, pages, sort, themes, release_types)
