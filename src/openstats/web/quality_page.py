"""The data-quality page of a data-set version: /data-catalogue/data-set/<id>/quality.

An openstats addition to EES's pages. It shows the version the data-set page would show
(the same `?version=`, the same published view, so nothing embargoed), with the report
the API's /quality answer gives (present/quality.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from openstats import http_cache
from openstats.catalogue import version_specs
from openstats.dependencies import platform, public_view
from openstats.present import quality
from openstats.present.pages import data_set_row
from openstats.web.pages import meta_of, not_found, templates

router = APIRouter()


@router.get("/data-catalogue/data-set/{data_set_id}/quality", response_class=HTMLResponse,
            name="data_set_quality_page")
def data_set_quality_page(request: Request, data_set_id: str,
                          version: str | None = None) -> Response:
    versions = public_view(request).versions_of(data_set_id.lower())
    found = version_specs.resolve(version, versions)
    if found is None:
        return not_found(request)
    meta = meta_of(request, found)
    report = quality.report(quality.version_quality(platform(request), found), meta)
    return http_cache.page(request, templates.TemplateResponse(
        request, "data_set_quality.html", {
            "ds": data_set_row(found), "report": report, "is_latest": found is versions[0],
            "preview_banner": found.preview}))
