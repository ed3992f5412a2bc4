"""Saved tables in the table tool: permalinks (a reader's table, frozen to the version it
was made from, also as CSV at the same address) and featured tables (`fast-track`, a
release's own tables, opened at the data set's latest version). Each shows the table page
of web/table_page.py."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats import http_cache
from openstats.catalogue import saved_tables
from openstats.dependencies import platform, public_view
from openstats.model.catalogue import Permalink
from openstats.present.pages import DataSetRow
from openstats.query import tables
from openstats.query.engine import Version
from openstats.web.pages import long_date, not_found, templates
from openstats.web.table_page import download, table_context
from openstats.web.tables import cell_limit, version_for

router = APIRouter()


@router.post("/data-tables/permalink")
async def make_permalink(request: Request) -> Response:
    # A plain urlencoded form; parsed here so no multipart library is needed.
    body = (await request.body()).decode("utf-8", errors="replace")
    sel = tables.Selection.from_params(parse_qsl(body, keep_blank_values=False))
    found = version_for(request, sel.data_set_id, sel.version)
    if found is None:
        return not_found(request)
    row, v, _ = found
    if tables.problems(v, sel, cell_limit(request)):
        return not_found(request)
    sel.version = row.version
    table_id = saved_tables.save_permalink(platform(request).catalogue, row.data_set_id,
                                           row.id, sel.as_json())
    return RedirectResponse(f"/data-tables/permalink/{table_id}", status_code=303)


def saved_permalink(request: Request, table_id: str
                    ) -> tuple[DataSetRow, Version, DataSetRow, tables.Selection,
                               Permalink] | None:
    saved = saved_tables.permalink(platform(request).catalogue, table_id)
    if saved is None:
        return None
    sel = tables.Selection.from_json(saved.selection)
    found = version_for(request, saved.data_set_id, sel.version)
    if found is None:
        return None
    row, v, latest = found
    return row, v, latest, sel, saved


@router.get("/data-tables/permalink/{table_id}", response_class=HTMLResponse)
def permalink(request: Request, table_id: str) -> Response:
    # As EES: a client asking for CSV gets the table's CSV at the same address.
    if "text/csv" in request.headers.get("accept", ""):
        return permalink_csv(request, table_id)
    # Frozen to its version, but the page also links to the latest: revalidated, not immutable.
    response = http_cache.page(request, render_permalink(request, table_id))
    response.headers["Vary"] = ", ".join(filter(None, [response.headers.get("Vary"), "Accept"]))
    return response


@router.get("/data-tables/permalink/{table_id}/csv")
def permalink_csv(request: Request, table_id: str) -> Response:
    found = saved_permalink(request, table_id)
    if found is None:
        return not_found(request)
    row, v, _, sel, _ = found
    response = download(request, row, v, sel, "csv")
    response.headers["Vary"] = ", ".join(filter(None, [response.headers.get("Vary"),
                                                       "Accept"]))
    return response


def render_permalink(request: Request, table_id: str) -> Response:
    found = saved_permalink(request, table_id)
    if found is None:
        return not_found(request)
    row, v, latest, sel, saved = found
    base = str(request.base_url).rstrip("/")
    return templates.TemplateResponse(request, "table_tool/table.html", table_context(
        request, row, v, latest, sel, permalink=True, created=long_date(saved.created),
        permalink_url=f"{base}/data-tables/permalink/{table_id}"))


@router.get("/data-tables/fast-track/{table_id}", response_class=HTMLResponse)
def fast_track(request: Request, table_id: str) -> Response:
    return http_cache.page(request, render_fast_track(request, table_id))


def render_fast_track(request: Request, table_id: str) -> Response:
    featured = public_view(request).featured_table(table_id)
    if featured is None:
        return not_found(request)
    table, item = featured
    found = version_for(request, item.data_set_id, item.version.version)
    if found is None:
        return not_found(request)
    row, v, latest = found
    sel = tables.spec_to_selection(v, row.data_set_id, table.spec.as_json())
    if tables.problems(v, sel, cell_limit(request)):
        return not_found(request)
    return templates.TemplateResponse(request, "table_tool/table.html", table_context(
        request, row, v, latest, sel, featured=table))
