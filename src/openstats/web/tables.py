"""The table tool's steps at /data-tables: publication, data set, locations, time, filters.

Each step is a plain HTML form that works without JavaScript; the whole state lives in the
query string, so every step and every table has a URL. The locations step is one form:
its search button, its "select all" buttons and "Next step" all submit what is ticked,
so searching never loses a choice; with JavaScript the search filters the list as the
reader types and "select all" ticks in place. The table itself, its downloads, charts
and permalinks are in `table_page` and `permalink_pages`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats import http_cache
from openstats.catalogue import version_specs
from openstats.dependencies import platform, public_view
from openstats.present.pages import DataSetRow, data_set_row
from openstats.query import locations, tables
from openstats.query.availability import Availability, availability
from openstats.query.engine import Version
from openstats.standards import time_periods
from openstats.web.pages import not_found, templates

router = APIRouter()


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


def location_tree(request: Request, v: Version) -> locations.LocationTree:
    return locations.tree(platform(request).engine, v)


def defaults(v: Version, sel: tables.Selection) -> tables.Selection:
    """Fill what a reader has not chosen yet: Total where it exists, all indicators."""
    for f in v.meta["filters"]:
        if f["public_id"] not in sel.filters:
            total = [o["public_id"] for o in f["options"] if o["label"] == f.get("default")]
            sel.filters[f["public_id"]] = total
    return sel


def has_data_so_far(request: Request, v: Version, sel: tables.Selection, *,
                    with_times: bool) -> Availability:
    """What has data given the steps before this one (`query.availability`)."""
    return availability(platform(request).engine, v,
                        tables.request_so_far(v, sel, with_times=with_times))


def summary(v: Version, row: DataSetRow, sel: tables.Selection,
            labels: dict[str, str]) -> list[dict[str, str]]:
    """What has been chosen so far, with links back to change it."""
    out = [{"key": "Publication", "value": row.publication_title,
            "href": f"/data-tables?publication={row.publication_slug}"},
           {"key": "Data set", "value": row.title,
            "href": f"/data-tables?publication={row.publication_slug}"}]
    names = [labels.get(x, v.locations[x]["name"]) for x in sel.locations if x in v.locations]
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


def breadcrumbs(row: DataSetRow | None = None) -> list[tuple[str, str]]:
    crumbs = [("Home", "/"), ("Create your own tables", "/data-tables")]
    if row is not None:
        crumbs.append((row.title, f"/data-catalogue/data-set/{row.data_set_id}"))
    return crumbs


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
                "error": error, "crumbs": breadcrumbs()[:1]})
        latest = [data_set_row(d) for d in view.latest_data_sets()
                  if d.release.publication_slug == publication]
        error = "Choose a data set" if args.get("from") == "data-set" else ""
        return templates.TemplateResponse(request, "table_tool/data_set.html", {
            "publication": latest[0], "data_sets": sorted(latest, key=lambda r: r.title),
            "error": error, "crumbs": breadcrumbs()})
    found = version_for(request, sel.data_set_id, sel.version)
    if found is None:
        return not_found(request)
    row, v, _ = found
    tree = location_tree(request, v)
    step = args.get("step", "locations")
    submitted = args.get("from", "")
    if submitted != "filters":  # a submitted filters form says exactly what was chosen
        sel = defaults(v, sel)
    errors: dict[str, str] = {}
    if submitted == "locations" and step == "time" and not sel.locations:
        errors["locations"] = "Select at least one location"
        step = "locations"
    elif submitted == "time" and not tables.periods_between(v, sel.start, sel.end):
        errors["start"] = "Select a start and an end time period"
        step = "time"
    elif submitted == "filters" and "select_all_filter" in args:
        # "Select all" on one filter: show the step again with all its options that have
        # data ticked.
        fid = args["select_all_filter"]
        if fid in v.filters:
            has_data = set(has_data_so_far(request, v, sel, with_times=True).options.get(
                fid, []))
            sel.filters[fid] = [o["public_id"] for o in v.filters[fid]["options"]
                                if o["public_id"] in has_data]
        step = "filters"
    elif submitted == "filters":
        errors = tables.problems(v, sel, cell_limit(request))
        if not errors or set(errors) == {"size"}:
            # Too big to show is no dead end: the table page offers the files.
            return RedirectResponse("/data-tables/table?" + sel.query_string(), status_code=303)
        step = "filters"
    context = {"row": row, "v": v, "sel": sel, "errors": errors,
               "summary": summary(v, row, sel, tree.labels), "crumbs": breadcrumbs(row),
               "hidden": [(k, val) for k, val in sel.params()]}
    if step == "time":
        # Only the periods with data for the chosen locations: no empty tables.
        with_data = set(has_data_so_far(request, v, sel, with_times=False).time_period_ids)
        every = sorted(v.meta["time_periods"], key=lambda t: t["id"])
        times = [t for t in every if t["id"] in with_data] or every
        keys = [tables.time_key(t) for t in times]
        return templates.TemplateResponse(request, "table_tool/time.html", {
            **context, "times": [(tables.time_key(t), time_periods.label(t["period"], t["code"]))
                              for t in times],
            "start": sel.start if sel.start in keys else keys[0],
            "end": sel.end if sel.end in keys else keys[-1],
            "not_offered": len(every) - len(times),
            "hidden": [(k, val) for k, val in sel.params() if k not in ("start", "end")]})
    if step == "filters":
        so_far = has_data_so_far(request, v, sel, with_times=True)
        options = {o for ids in so_far.options.values() for o in ids}
        indicators = set(so_far.indicators)
        all_ids = {o["public_id"] for f in v.meta["filters"] for o in f["options"]} | {
            i["public_id"] for i in v.meta["indicators"]}
        chosen = (set(sel.indicators) if submitted == "filters" or sel.indicators
                  else {i["public_id"] for i in v.meta["indicators"]})
        return templates.TemplateResponse(request, "table_tool/filters.html", {
            **context, "hidden": [(k, val) for k, val in sel.params()
                                  if not k.startswith("filter_") and k != "indicators"],
            "chosen_indicators": chosen & indicators, "indicators_with_data": indicators,
            "options_with_data": options, "some_empty": bool(all_ids - options - indicators),
            "chosen_options": {o for opts in sel.filters.values() for o in opts} & options})
    return locations_step(request, args, sel, tree, context)


def locations_step(request: Request, args: dict[str, str], sel: tables.Selection,
                   tree: locations.LocationTree, context: dict[str, Any]) -> Response:
    """Step 3: levels, LAs under their regions, a search that keeps every tick."""
    search = args.get("location_search", "").strip()
    chosen = list(dict.fromkeys(sel.locations))
    level_code, _, group_label = args.get("select_all", "").partition("|")
    for level in tree.levels:
        if level.code == level_code:
            for g in level.groups:
                if g.label == group_label or not group_label:
                    chosen += [o.public_id for o in g.options if o.public_id not in chosen]
    words = search.lower().split()

    def matches(o: locations.LocationOption) -> bool:
        return all(w in o.label.lower() for w in words)

    levels = []
    shown: set[str] = set()
    for level in tree.levels:
        groups = [(g.label, [o for o in g.options if matches(o)]) for g in level.groups]
        groups = [(label, options) for label, options in groups if options]
        if groups:
            levels.append({"code": level.code, "label": level.label, "groups": groups,
                           "chosen": sum(1 for g in level.groups for o in g.options
                                         if o.public_id in chosen)})
            shown |= {o.public_id for _, options in groups for o in options}
    kept = [(x, tree.labels.get(x, x)) for x in chosen if x not in shown]
    return templates.TemplateResponse(request, "table_tool/locations.html", {
        **context, "levels": levels, "chosen": set(chosen), "kept": kept,
        "location_search": search,
        "open_all": bool(search) or sum(level.size for level in tree.levels) <= 40,
        "hidden": [(k, val) for k, val in sel.params() if k != "locations"]})
