"""The table tool's result: the table page, its downloads, its chart (permalinks and
featured tables show the same page: web/permalink_pages.py).

A selection too big to show is no dead end: the page says how big it is, how to narrow
it, and offers the whole selection as CSV or XLSX, which are streamed from the engine a
page at a time with no cell limit. Flat files use an engine that caches no answers, so a
big download never fills the shared answer cache.

Charts are drawn on the server (`openstats.charts`) from the same table; the reader's
chart choices are GET fields, so they work without JavaScript and live in the URL.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from openstats import charts, http_cache
from openstats.charts import axes
from openstats.charts import data as chart_data
from openstats.dependencies import platform
from openstats.exports import formats, jsonstat
from openstats.exports import tables as table_exports
from openstats.model import footnotes
from openstats.present import blocks
from openstats.present.pages import DataSetRow
from openstats.query import flat, pivot, tables
from openstats.query.engine import QueryEngine, Version
from openstats.query.observations import batches, observations
from openstats.web import markdown
from openstats.web.pages import not_found, slug_file, templates
from openstats.web.tables import (
    breadcrumbs,
    cell_limit,
    location_tree,
    summary,
    version_for,
)

router = APIRouter()
templates.env.filters["chart_value"] = lambda value, data: (
    "no data" if value is None else axes.value_label(value, data.decimals, data.unit))
CHARTS: charts.ChartCache[str] = charts.ChartCache()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
OPEN_FORMATS = ("json-stat", "sdmx-csv", "parquet")  # besides CSV (its own, streamed)
DROPPED = ("Some rows and columns are not shown in this table because the data has no "
           "values for them.")


@cache
def export_engine() -> QueryEngine:
    """An engine that keeps no answers: flat downloads page through whole selections."""
    return QueryEngine(cache_bytes=0)


def build(request: Request, v: Version, sel: tables.Selection) -> pivot.Table:
    return pivot.build(platform(request).engine, v, sel, location_tree(request, v).labels)


def table_footnotes(request: Request, row: DataSetRow, v: Version, sel: tables.Selection
                    ) -> list[footnotes.ShownFootnote]:
    return blocks.table_footnotes(row.footnotes, platform(request).catalogue.metadata.get(row.id),
                                  v, sel)


def source_line(request: Request, row: DataSetRow) -> str:
    base = str(request.base_url).rstrip("/")
    return (f"Source: {row.publication_title}, {row.release_title}; data set "
            f"\"{row.title}\", version {row.version} "
            f"({base}/data-catalogue/data-set/{row.data_set_id})")


# --- charts ------------------------------------------------------------------------------
def map_level(request: Request, v: Version, sel: tables.Selection) -> str:
    """The level of the table's locations when a map can show them all, else ""."""
    levels = {v.locations[x]["level"] for x in sel.locations if x in v.locations}
    reference = platform(request).settings.reference_dir
    return chart_data.map_level(levels, reference / "boundaries" if reference else None)


def chart_for(request: Request, v: Version, sel: tables.Selection, table: pivot.Table,
              params: dict[str, str]) -> tuple[charts.ChartSpec, charts.ChartData, str]:
    """(spec, data, level for maps or "") from the reader's chart fields."""
    level = map_level(request, v, sel)
    spec = chart_data.spec_from(table, params, level)
    codes = {x: v.locations[x]["code"] or "" for x in sel.locations if x in v.locations}
    data = chart_data.chart_data(table, spec, codes)
    if spec.kind == "map":
        data = dataclasses.replace(data, level=level)
    return spec, data, level


def chart_svg(request: Request, row: DataSetRow, sel: tables.Selection,
              spec: charts.ChartSpec, data: charts.ChartData, width: float, prefix: str) -> str:
    reference = platform(request).settings.reference_dir
    # The layout (rows, cols) changes the table, not the chart: left out of the key.
    key = f"{row.id}|{sel.query_string(rows='', cols='')}|{spec.key()}|{width}|{prefix}"
    return CHARTS.get(key, lambda: charts.render_svg(
        spec, data, width=width, prefix=prefix,
        boundaries=reference / "boundaries" if reference else None))


def chart_context(request: Request, row: DataSetRow, v: Version, sel: tables.Selection,
                  table: pivot.Table) -> dict[str, Any]:
    params = dict(request.query_params)
    spec, data, level = chart_for(request, v, sel, table, params)
    options = chart_data.choices(table, level)
    return {
        "spec": spec, "data": data, "options": options,
        "wide": chart_svg(request, row, sel, spec, data, charts.WIDE, "chart-wide"),
        "narrow": chart_svg(request, row, sel, spec, data, charts.NARROW, "chart-narrow"),
        "download": urlencode([*sel.params(), *chart_data.spec_fields(spec)]),
        "credit": spec.kind == "map",
    }


# --- the table page ----------------------------------------------------------------------
def table_context(request: Request, row: DataSetRow, v: Version, latest: DataSetRow,
                  sel: tables.Selection, **extra: Any) -> dict[str, Any]:
    table = build(request, v, sel)
    labels = location_tree(request, v).labels
    base = str(request.base_url).rstrip("/")
    body = tables.api_body(v, sel)
    api_url = f"{base}/api/v1/data-sets/{row.data_set_id}/query?dataSetVersion={row.version}"
    heading = [d for d in table.dims if not pivot.is_fixed(d)]
    placed = [d.key for d in table.row_dims] + [d.key for d in table.col_dims]
    return {
        "row": row, "v": v, "sel": sel, "table": table, "latest": latest,
        "is_latest": latest.id == row.id, "summary": summary(v, row, sel, labels),
        "crumbs": breadcrumbs(row), "footnotes": table_footnotes(request, row, v, sel),
        "source": source_line(request, row), "dropped": DROPPED if table.dropped else "",
        "layout": [(d.key, d.label, "rows" if d in table.row_dims else "cols",
                    placed.index(d.key) + 1) for d in heading],
        "chart": chart_context(request, row, v, sel, table),
        "query_string": sel.query_string(), "api_url": api_url,
        "api_body": json.dumps(body, indent=2),
        "python_code": python_code(api_url, body), "r_code": r_code(api_url, body),
        "path": request.url.path, "hidden": sel.params() if not extra.get("permalink")
        and not extra.get("featured") else [],
        **extra,
    }


def python_code(url: str, body: dict[str, Any]) -> str:
    return (f"import pandas as pd\nimport requests\n\nquery = {json.dumps(body, indent=4)}\n"
            f'answer = requests.post("{url}", json=query)\nanswer.raise_for_status()\n'
            'rows = pd.json_normalize(answer.json()["results"])\nprint(rows)\n')


def r_code(url: str, body: dict[str, Any]) -> str:
    return (f'library(httr)\nlibrary(jsonlite)\n\nquery <- \'{json.dumps(body)}\'\n'
            f'answer <- POST("{url}", body = query, content_type_json())\n'
            'rows <- fromJSON(content(answer, "text"))$results\nprint(rows)\n')


def too_big_context(request: Request, row: DataSetRow, v: Version,
                    sel: tables.Selection, message: str) -> dict[str, Any]:
    """How big the table would be, what makes it so, and how to narrow it."""
    limit = cell_limit(request)
    cells = tables.cell_count(v, sel)
    counts = [("Locations", len(sel.locations), "locations"),
              ("Time periods", len(tables.periods_between(v, sel.start, sel.end)), "time"),
              *((f["label"], len(sel.filters.get(f["public_id"], [])), "filters")
                for f in v.meta["filters"]),
              ("Indicators", len(sel.indicators), "filters")]
    advice = []
    for label, n, step in counts:
        if n > 1:
            fits = max(1, n * limit // cells)
            if fits < n:
                advice.append((label, n, fits, "/data-tables?" + sel.query_string(step=step)))
    return {"row": row, "v": v, "sel": sel, "message": message, "cells": cells, "limit": limit,
            "counts": counts, "advice": advice, "query_string": sel.query_string(),
            "summary": summary(v, row, sel, location_tree(request, v).labels),
            "crumbs": breadcrumbs(row)}


@router.get("/data-tables/table", response_class=HTMLResponse)
def table_page(request: Request) -> Response:
    return http_cache.page(request, render_table_page(request))


def render_table_page(request: Request) -> Response:
    sel = tables.Selection.from_params(list(request.query_params.multi_items()))
    args = dict(request.query_params)
    if "layout" in args:
        sel.rows, sel.cols = layout_from_form(request)
        return RedirectResponse("/data-tables/table?" + sel.query_string(), status_code=303)
    found = version_for(request, sel.data_set_id, sel.version)
    if found is None:
        return not_found(request)
    row, v, latest = found
    errors = tables.problems(v, sel, cell_limit(request))
    if "size" in errors and len(errors) == 1:
        return templates.TemplateResponse(request, "table_tool/too_big.html", too_big_context(
            request, row, v, sel, errors["size"]))
    if errors:
        return RedirectResponse("/data-tables?" + sel.query_string(step="filters", **{
            "from": "filters"}), status_code=303)
    return templates.TemplateResponse(request, "table_tool/table.html",
                                      table_context(request, row, v, latest, sel))


def layout_from_form(request: Request) -> tuple[list[str], list[str]]:
    """Rows and columns from the layout form: a placement and a position per dimension."""
    placed = []
    for key, value in request.query_params.multi_items():
        if key.startswith("place_"):
            d = key[len("place_"):]
            order = request.query_params.get(f"order_{d}", "99")
            placed.append((int(order) if order.isdigit() else 99, d, value))
    placed.sort()
    return ([d for _, d, where in placed if where == "rows"],
            [d for _, d, where in placed if where == "cols"])


# --- downloads ---------------------------------------------------------------------------
def download(request: Request, row: DataSetRow, v: Version, sel: tables.Selection,
             kind: str) -> Response:
    """The selection as CSV (flat, any size), XLSX (as shown, or flat when too big to
    show), ODS (as shown), or one of the API's open formats (JSON-stat, SDMX-CSV, Parquet)."""
    too_big = "size" in tables.problems(v, sel, cell_limit(request))
    if kind == "ods" and too_big:
        return RedirectResponse("/data-tables/table?" + sel.query_string(), status_code=303)
    name = f"{slug_file(row.title)}_table.{kind}"
    # The file is a function of the version and the selection: tag those, not the bytes
    # (spreadsheet files carry the time they were written), and answer 304 unbuilt.
    etag = http_cache.etag_of("table", kind, name, row.id, sel.query_string())
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               **http_cache.headers_for(request, etag, pinned=http_cache.pins_version(
                   sel.version))}
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    if kind in OPEN_FORMATS:
        # The API's file formats, from the same query the table stands for.
        fmt = formats.FORMATS[kind]
        headers["Content-Disposition"] = (f'attachment; filename="{slug_file(row.title)}'
                                          f'_table.{fmt.extension}"')
        req = flat.request(v, sel)
        if kind != "json-stat":  # flat files: streamed, any size
            return StreamingResponse(formats.stream(
                fmt, batches(export_engine(), v, req), data_set_id=row.data_set_id,
                version=row.version), media_type=fmt.media_type, headers=headers)
        base = str(request.base_url).rstrip("/")
        try:
            body = formats.render(fmt, observations(export_engine(), v, req),
                                  data_set_id=row.data_set_id, version=row.version,
                                  label=f"{row.title} (version {row.version})",
                                  href=f"{base}/data-catalogue/data-set/{row.data_set_id}")
        except jsonstat.TooBig:
            return RedirectResponse("/data-tables/table?" + sel.query_string(),
                                    status_code=303)
        return Response(body, media_type=fmt.media_type, headers=headers)
    if kind == "csv" or too_big:
        cols = flat.columns(v, sel)
        rows = flat.rows(export_engine(), v, sel, cols)
        # The first row before the first byte: a version that cannot be read is an error
        # page, not a download cut off after its header.
        first = list(itertools.islice(rows, 1))
        rows = itertools.chain(first, rows)
        if kind == "csv":
            return StreamingResponse(table_exports.csv_stream(cols.names, rows),
                                     media_type="text/csv; charset=utf-8", headers=headers)
        units = {i["column"]: (i.get("decimal_places"), i["unit"])
                 for i in v.meta["indicators"] if i["unit"] != "numberstring"}
        handle = table_exports.flat_xlsx(cols.names, rows, units)
        return StreamingResponse(table_exports.file_chunks(handle), media_type=XLSX,
                                 headers=headers)
    table = build(request, v, sel)
    notes = table_exports.TableNotes(
        source_line(request, row),
        [(f"{n.applies_to}: " if n.applies_to else "") + markdown.plain(n.text)
         for n in table_footnotes(request, row, v, sel)], DROPPED if table.dropped else "")
    if kind == "xlsx":
        return Response(table_exports.to_xlsx(table, notes), media_type=XLSX, headers=headers)
    return Response(table_exports.to_ods(table, notes), media_type=ODS, headers=headers)


def selection_download(request: Request, kind: str) -> Response:
    sel = tables.Selection.from_params(list(request.query_params.multi_items()))
    found = version_for(request, sel.data_set_id, sel.version)
    if found is None or kind not in ("csv", "xlsx", "ods", *OPEN_FORMATS):
        return not_found(request)
    row, v, _ = found
    if set(tables.problems(v, sel, cell_limit(request))) - {"size"}:
        # Something is missing from the selection: finish it, rather than a dead end.
        return RedirectResponse("/data-tables?" + sel.query_string(step="filters", **{
            "from": "filters"}), status_code=303)
    return download(request, row, v, sel, kind)


@router.get("/data-tables/table.{kind}")
def table_download(request: Request, kind: str) -> Response:
    return selection_download(request, kind)


@router.get("/data-tables/chart.{kind}")
def chart_download(request: Request, kind: str) -> Response:
    """The chart as an SVG or PNG file, drawn as on the page (desktop width)."""
    sel = tables.Selection.from_params(list(request.query_params.multi_items()))
    found = version_for(request, sel.data_set_id, sel.version)
    if found is None or kind not in ("svg", "png"):
        return not_found(request)
    row, v, _ = found
    if tables.problems(v, sel, cell_limit(request)):
        return not_found(request)
    table = build(request, v, sel)
    spec, data, _ = chart_for(request, v, sel, table, dict(request.query_params))
    svg = chart_svg(request, row, sel, spec, data, charts.WIDE, "chart")
    if not svg:
        return not_found(request)
    name = f"{slug_file(row.title)}_chart.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "svg":
        return Response(svg, media_type="image/svg+xml", headers=headers)
    return Response(charts.render_png(svg), media_type="image/png", headers=headers)
