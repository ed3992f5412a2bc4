"""The table tool at /data-tables: five GET-form steps, the table, its downloads and links.

Each step is a plain HTML form that works without JavaScript; the whole state lives in the
query string, so every step and every table has a URL. Tables are built by
`query.tables`, which asks the same query engine as the public API.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats import http_cache
from openstats.catalogue import saved_tables, version_specs
from openstats.dependencies import platform, public_view
from openstats.exports import tables as table_exports
from openstats.model import footnotes
from openstats.present.pages import DataSetRow, data_set_row
from openstats.query import tables
from openstats.query.engine import Version
from openstats.standards import geography, time_periods
from openstats.web.charts import charts
from openstats.web.pages import long_date, not_found, slug_file, templates

router = APIRouter()
STEPS = ("publication", "data-set", "locations", "time", "filters", "table")


def cell_limit(request: Request) -> int:
    return int(platform(request).settings.table_cell_limit)


def version_for(request: Request, data_set_id: str, version: str = ""
                ) -> tuple[DataSetRow, Version, DataSetRow] | None:
    """(public version, indexed version, latest public version) or None when not public."""
    versions = public_view(request).versions_of(data_set_id.lower())
    found = version_specs.resolve(version or None, versions)
    if found is None:
        return None
    p = platform(request)
    meta = p.catalogue.metadata.get_json(found.version_id)
    v = p.engine.version(found.version_id,
                         p.storage.file(found.version.storage_key, "data.parquet"), meta)
    return data_set_row(found), v, data_set_row(versions[0])


def defaults(v: Version, sel: tables.Selection) -> tables.Selection:
    """Fill what a reader has not chosen yet: Total where it exists, all indicators."""
    for f in v.meta["filters"]:
        if f["public_id"] not in sel.filters:
            total = [o["public_id"] for o in f["options"] if o["label"] == f.get("default")]
            sel.filters[f["public_id"]] = total
    return sel


def summary(v: Version, row: DataSetRow, sel: tables.Selection) -> list[dict[str, str]]:
    """What has been chosen so far, with links back to change it."""
    out = [{"key": "Publication", "value": row.publication_title,
            "href": f"/data-tables?publication={row.publication_slug}"},
           {"key": "Data set", "value": row.title,
            "href": f"/data-tables?publication={row.publication_slug}"}]
    names = [v.locations[x]["name"] for x in sel.locations if x in v.locations]
    if names:
        out.append({"key": "Locations", "value": ", ".join(names[:10]) + (
            f" and {len(names) - 10} more" if len(names) > 10 else ""),
            "href": "/data-tables?" + sel.query_string(step="locations")})
    times = tables.periods_between(v, sel.start, sel.end)
    if times:
        first, last = (time_periods.label(t["period"], t["code"]) for t in (times[0], times[-1]))
        out.append({"key": "Time period", "value": f"{first} to {last}",
                    "href": "/data-tables?" + sel.query_string(step="time")})
    return out


@router.get("/data-tables", response_class=HTMLResponse)
def table_tool(request: Request) -> Response:
    return http_cache.page(request, table_tool_step(request))


def table_tool_step(request: Request) -> Response:
    """One step of the table tool, chosen by the query string."""
    params = list(request.query_params.multi_items())
    args = dict(params)
    sel = tables.Selection.from_params(params)
    view = public_view(request)
    if not sel.data_set_id:
        publication = args.get("publication", "")
        if not publication or not view.releases_of(publication):
            search = args.get("q", "").strip().lower()
            themes = [{"title": t.title, "publications": [
                {"title": pub.title, "slug": pub.slug, "summary": pub.summary} for pub in pubs
                if not search or search in pub.title.lower()]} for t, pubs in view.themes()]
            error = "Choose a publication" if args.get("from") == "publication" else ""
            return templates.TemplateResponse(request, "table_tool/publication.html", {
                "themes": [t for t in themes if t["publications"]], "q": args.get("q", ""),
                "error": error})
        latest = [data_set_row(d) for d in view.latest_data_sets()
                  if d.release.publication_slug == publication]
        error = "Choose a data set" if args.get("from") == "data-set" else ""
        return templates.TemplateResponse(request, "table_tool/data_set.html", {
            "publication": latest[0], "data_sets": sorted(latest, key=lambda r: r.title),
            "error": error})
    found = version_for(request, sel.data_set_id, sel.version)
    if found is None:
        return not_found(request)
    row, v, _ = found
    step = args.get("step", "locations")
    submitted = args.get("from", "")
    if submitted != "filters":  # a submitted filters form says exactly what was chosen
        sel = defaults(v, sel)
    errors: dict[str, str] = {}
    if submitted == "locations" and not sel.locations and "select_all" not in args:
        errors["locations"] = "Select at least one location"
        step = "locations"
    elif submitted == "time" and not tables.periods_between(v, sel.start, sel.end):
        errors["start"] = "Select a start and an end time period"
        step = "time"
    elif submitted == "filters" and "select_all_filter" in args:
        # "Select all" on one filter: show the step again with all its options ticked.
        fid = args["select_all_filter"]
        if fid in v.filters:
            sel.filters[fid] = [o["public_id"] for o in v.filters[fid]["options"]]
        step = "filters"
    elif submitted == "filters":
        errors = tables.problems(v, sel, cell_limit(request))
        if not errors:
            return RedirectResponse("/data-tables/table?" + sel.query_string(), status_code=303)
        step = "filters"
    context = {"row": row, "v": v, "sel": sel, "errors": errors, "summary": summary(v, row, sel),
               "hidden": [(k, val) for k, val in sel.params()]}
    if step == "time":
        times = sorted(v.meta["time_periods"], key=lambda t: t["id"])
        return templates.TemplateResponse(request, "table_tool/time.html", {
            **context, "times": [(tables.time_key(t), time_periods.label(t["period"], t["code"]))
                              for t in times],
            "start": sel.start or tables.time_key(times[0]),
            "end": sel.end or tables.time_key(times[-1]),
            "hidden": [(k, val) for k, val in sel.params() if k not in ("start", "end")]})
    if step == "filters":
        return templates.TemplateResponse(request, "table_tool/filters.html", {
            **context, "hidden": [(k, val) for k, val in sel.params()
                                  if not k.startswith("filter_") and k != "indicators"],
            "chosen_indicators": set(sel.indicators) if submitted == "filters" or sel.indicators
            else {i["public_id"] for i in v.meta["indicators"]},
            "chosen_options": {o for opts in sel.filters.values() for o in opts}})
    # Step 3: locations, grouped by level, with search and select-all.
    search = args.get("location_search", "").strip().lower()
    chosen = set(sel.locations)
    if "select_all" in args:
        chosen |= {loc["public_id"] for loc in v.meta["locations"]
                   if loc["level"] == args["select_all"]}
    groups = []
    for level in sorted({loc["level"] for loc in v.meta["locations"]},
                        key=lambda c: geography.LEVEL_ORDER[c]):
        options = sorted((loc for loc in v.meta["locations"] if loc["level"] == level
                          and (not search or search in loc["name"].lower())),
                         key=lambda loc: loc["name"])
        if options:
            groups.append({"code": level, "label": geography.BY_CODE[level].label,
                           "options": options})
    return templates.TemplateResponse(request, "table_tool/locations.html", {
        **context, "groups": groups, "chosen": chosen, "location_search": args.get(
            "location_search", ""),
        "hidden": [(k, val) for k, val in sel.params() if k != "locations"]})


def _table_context(request: Request, row: DataSetRow, v: Version, latest: DataSetRow,
                   sel: tables.Selection, **extra: Any) -> dict[str, Any]:
    table = tables.build(platform(request).engine, v, sel)
    dims = tables.dimensions(v, sel)
    rows_dims, cols_dims = tables.layout(dims, sel)
    base = str(request.base_url).rstrip("/")
    body = tables.api_body(v, sel)
    api_url = f"{base}/api/v1/data-sets/{row.data_set_id}/query?dataSetVersion={row.version}"
    return {
        "row": row, "v": v, "sel": sel, "table": table, "latest": latest,
        "is_latest": latest.id == row.id, "summary": summary(v, row, sel),
        "footnotes": footnotes.for_table(
            row.footnotes, platform(request).catalogue.metadata.get(row.id),
            {f["column"]: {o["label"] for o in f["options"]
                           if o["public_id"] in set(sel.filters.get(f["public_id"], []))}
             for f in v.meta["filters"]},
            {i["column"] for i in v.meta["indicators"] if i["public_id"] in sel.indicators}),
        "layout": [(d, table.dim_labels[d], "rows" if d in rows_dims else "cols",
                    (rows_dims + cols_dims).index(d) + 1) for d in dims],
        "charts": charts(table.series),
        "query_string": sel.query_string(), "api_url": api_url,
        "api_body": json.dumps(body, indent=2),
        "python_code": python_code(api_url, body), "r_code": r_code(api_url, body),
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
    if errors:
        return RedirectResponse("/data-tables?" + sel.query_string(step="filters", **{
            "from": "filters"}), status_code=303)
    return templates.TemplateResponse(request, "table_tool/table.html",
                                      _table_context(request, row, v, latest, sel))


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


@router.get("/data-tables/table.{kind}")
def table_download(request: Request, kind: str) -> Response:
    sel = tables.Selection.from_params(list(request.query_params.multi_items()))
    found = version_for(request, sel.data_set_id, sel.version)
    if found is None or kind not in ("csv", "xlsx", "ods"):
        return not_found(request)
    row, v, _ = found
    if tables.problems(v, sel, cell_limit(request)):
        return not_found(request)
    name = f"{slug_file(row.title)}_table.{kind}"
    # The table is a function of the version and the selection: tag those, not the bytes
    # (spreadsheet files carry the time they were written), and answer 304 unbuilt.
    etag = http_cache.etag_of("table", kind, name, row.id, sel.query_string())
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               **http_cache.headers_for(request, etag, pinned=http_cache.pins_version(
                   sel.version))}
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    table = tables.build(platform(request).engine, v, sel)
    content, media = {
        "csv": (table_exports.to_csv, "text/csv"),
        "xlsx": (table_exports.to_xlsx,
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "ods": (table_exports.to_ods, "application/vnd.oasis.opendocument.spreadsheet"),
    }[kind]
    return Response(content(table), media_type=media, headers=headers)


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
    with platform(request).catalogue.transaction() as conn:
        table_id = saved_tables.save_permalink(conn, row.data_set_id, row.id, sel.as_json())
    return RedirectResponse(f"/data-tables/permalink/{table_id}", status_code=303)


@router.get("/data-tables/permalink/{table_id}", response_class=HTMLResponse)
def permalink(request: Request, table_id: str) -> Response:
    # Frozen to its version, but the page also links to the latest: revalidated, not immutable.
    return http_cache.page(request, render_permalink(request, table_id))


def render_permalink(request: Request, table_id: str) -> Response:
    with platform(request).catalogue.connect() as conn:
        saved = saved_tables.permalink(conn, table_id)
    if saved is None:
        return not_found(request)
    sel = tables.Selection.from_json(saved.selection)
    found = version_for(request, saved.data_set_id, sel.version)
    if found is None:
        return not_found(request)
    row, v, latest = found
    return templates.TemplateResponse(request, "table_tool/table.html", _table_context(
        request, row, v, latest, sel, permalink=True, created=long_date(saved.created)))


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
    return templates.TemplateResponse(request, "table_tool/table.html", _table_context(
        request, row, v, latest, sel, featured=table))
