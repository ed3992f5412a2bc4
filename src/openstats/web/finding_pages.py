"""Find statistics, methodologies and the glossary: the reader's ways into releases.

`/find-statistics` shows one page of `catalogue.finding.find` (all the searching,
filtering, sorting and paging is there); its whole state is in the URL, so every page
of results has an address and works without JavaScript. `/methodology/<slug>` and
`/glossary` show what the published View holds, visible exactly when it may be.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from openstats import http_cache
from openstats.catalogue import finding
from openstats.dependencies import public_view
from openstats.web.pages import not_found, templates

router = APIRouter()


@router.get("/find-statistics", response_class=HTMLResponse)
def find_statistics(request: Request, search: str = "", theme: str = "",
                    release_type: str = "", sort: str = "", page: str = "1") -> Response:
    query = finding.FindQuery(search=search.strip(), theme=theme, release_type=release_type,
                              sort=sort if sort in finding.SORTS else "",
                              page=int(page) if page.isdigit() else 1)
    found = finding.find(public_view(request), query)
    state = {k: v for k, v in {"search": query.search, "theme": theme,
                                "release_type": release_type, "sort": query.sort}.items() if v}

    def link(**changes: Any) -> str:
        chosen = {k: v for k, v in {**state, **changes}.items() if v}
        return "/find-statistics" + (f"?{urlencode(chosen)}" if chosen else "")

    return http_cache.page(request, templates.TemplateResponse(request, "find_statistics.html", {
        "found": found, "state": state, "link": link, "search": query.search,
        "sorts": finding.SORTS,
        "theme_title": next((t for s, t, _ in found.themes if s == theme), theme),
        "type_title": next((t for s, t, _ in found.release_types if s == release_type),
                           release_type),
    }))


@router.get("/methodology/{slug}", response_class=HTMLResponse)
def methodology(request: Request, slug: str) -> Response:
    view = public_view(request)
    found = view.methodology(slug)
    if found is None:
        return not_found(request)
    publication = view.publication_by_id(found.version.publication_id)
    return http_cache.page(request, templates.TemplateResponse(request, "methodology.html", {
        "m": found, "publication": publication, "preview_banner": found.preview}))


@router.get("/glossary", response_class=HTMLResponse)
def glossary(request: Request) -> Response:
    terms = public_view(request).glossary()
    letters: dict[str, list[Any]] = {}
    for term in terms:
        first = term.term[:1].upper()
        letters.setdefault(first if first.isalpha() else "#", []).append(term)
    return http_cache.page(request, templates.TemplateResponse(request, "glossary.html", {
        "letters": letters}))
