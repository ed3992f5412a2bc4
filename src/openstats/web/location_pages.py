"""Location pages: /locations/<level>/<code> lists every public data set that has the
place, each linked into the table tool set to it. An openstats addition to EES's pages.

The level is a code as the public API writes it (NAT, REG, LA, ...; geography.LEVELS);
the place is named by any identifier the API accepts at that level (its code, secondary
code or public id: catalogue/locations.py).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats import http_cache
from openstats.catalogue import locations
from openstats.dependencies import platform
from openstats.present.locations import location_page
from openstats.standards import geography
from openstats.web.pages import templates

router = APIRouter()


@router.get("/locations/{level}/{identifier}", response_class=HTMLResponse)
def location(request: Request, level: str, identifier: str) -> Response:
    if level not in geography.BY_CODE:
        if level.upper() in geography.BY_CODE:
            return RedirectResponse(f"/locations/{level.upper()}/{quote(identifier, safe='')}",
                                    status_code=308)
        return templates.TemplateResponse(request, "location_unknown_level.html", {
            "level": level, "levels": geography.LEVELS}, status_code=404)
    p = platform(request)
    # Everyone's view, never a pre-release preview: the list comes from what is public.
    view = p.catalogue.snapshots.view()
    holders = locations.data_sets_with(p.catalogue, level, identifier, view.at, view.moment)
    page = location_page(level, identifier, holders, view, p.catalogue.metadata)
    return http_cache.page(request, templates.TemplateResponse(
        request, "location.html", {"page": page}))
