"""Building a data block in the publishing side, with the table tool's steps: the data set,
its locations (grouped as the table tool groups them), the time period, filters and
indicators, then the chart; "Preview" shows the block's table and chart exactly as the
release page will (the same code, over the release's draft), "Save" stores it.

A block is stored as a spec in people's names (codes, period keys, option labels,
indicator columns; `query.tables.selection_to_spec`), like a featured table, so it means
the same in a later version of its data set.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats.admin.pages import page, refused, signed_in_form, text, to_login
from openstats.dependencies import current_user, platform
from openstats.model.catalogue import TableSpec
from openstats.model.content import CHART_LABELS, DataBlock
from openstats.model.public import PublicDataSet, PublicRelease
from openstats.model.users import User
from openstats.present import blocks
from openstats.publishing import content as service
from openstats.publishing import workflow
from openstats.publishing.workflow import Missing, Refused
from openstats.query import locations, tables
from openstats.standards import time_periods
from openstats.web import release_page
from openstats.web.tables import defaults

router = APIRouter(prefix="/admin")


def _draft(request: Request, user: User, release_id: str
           ) -> tuple[PublicRelease, dict[str, PublicDataSet]]:
    """The release's draft as it will be published, and its data sets."""
    info = workflow.release_for(platform(request).catalogue, user, release_id, "edit_release")
    view = platform(request).catalogue.snapshots.draft_view(frozenset({release_id}))
    found = view.release(info.latest.publication_slug, info.latest.slug)
    if found is None:
        raise Missing("release")
    return found, {d.data_set_id: d for d in view.release_data_sets(found)}


def builder(request: Request, user: User, release_id: str, block: DataBlock | None,
            section: str, params: list[tuple[str, str]], preview: bool,
            errors: dict[str, str] | None = None) -> Response:
    try:
        found, items = _draft(request, user, release_id)
    except Refused as e:
        return refused(request, e)
    p = platform(request)
    args = dict(params)
    data_set_id = args.get("data_set") or (block.data_set_id if block else "")
    context: dict[str, Any] = {
        "release_id": release_id, "release": found, "items": list(items.values()),
        "block": block, "section": section, "data_set_id": data_set_id,
        "name": args.get("name", block.name if block else ""),
        "chart": args.get("chart", block.chart if block else "horizontalbar"),
        "chart_indicator": args.get("chart_indicator", block.chart_indicator if block else ""),
        "charts": CHART_LABELS, "errors": errors or {}, "shown": None}
    item = items.get(data_set_id)
    if item is None:
        return page(request, "content_block.html", context)
    v = blocks.version_of(p, item)
    if block is not None and "from" not in args and block.data_set_id == data_set_id:
        sel = tables.spec_to_selection(v, data_set_id, block.spec.as_json())
    else:
        sel = defaults(v, tables.Selection.from_params(
            [("dataSetId", data_set_id), *[(k, val) for k, val in params
                                           if k != "dataSetId"]]))
    times = sorted(v.meta["time_periods"], key=lambda t: t["id"])
    context.update({
        "v": v, "sel": sel, "tree": locations.tree(p.engine, v),
        "times": [(tables.time_key(t), time_periods.label(t["period"], t["code"]))
                  for t in times],
        "start": sel.start or tables.time_key(times[0]),
        "end": sel.end or tables.time_key(times[-1]),
        "chosen_options": {o for opts in sel.filters.values() for o in opts},
        "chosen_levels": {v.locations[x]["level"] for x in sel.locations if x in v.locations},
        "chosen_indicators": set(sel.indicators)})
    if preview and not context["errors"]:
        why = tables.problems(v, sel, int(p.settings.table_cell_limit))
        if why:
            context["errors"] = why
        else:
            made = DataBlock(block.id if block else "preview", "", None, 0,
                             context["name"] or "Preview", data_set_id,
                             TableSpec.from_json(tables.selection_to_spec(v, sel)),
                             context["chart"], context["chart_indicator"])
            context["shown"] = release_page.block_view(request, found, items, made)
    return page(request, "content_block.html", context, 400 if context["errors"] else 200)


@router.get("/releases/{release_id}/content/blocks/new", response_class=HTMLResponse)
def new_block(request: Request, release_id: str, section: str = "headline") -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    return builder(request, user, release_id, None, section,
                   list(request.query_params.multi_items()), preview=False)


@router.get("/releases/{release_id}/content/blocks/{block_id}", response_class=HTMLResponse)
def edit_block(request: Request, release_id: str, block_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    try:
        _, said = service.content_of(platform(request).catalogue, user, release_id)
    except Refused as e:
        return refused(request, e)
    block = said.block(block_id)
    if block is None:
        return refused(request, Missing("data block"))
    return builder(request, user, release_id, block, block.section_id or "headline",
                   list(request.query_params.multi_items()), preview=True)


@router.post("/releases/{release_id}/content/blocks")
async def save_block(request: Request, release_id: str) -> Response:
    """Preview the block (nothing saved), choose its data set, or save it."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    params = [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k != "csrf_token"]
    block_id, section = text(form, "block_id"), text(form, "section") or "headline"
    old: DataBlock | None = None
    if block_id:
        try:
            _, said = service.content_of(platform(request).catalogue, user, release_id)
        except Refused as e:
            return refused(request, e)
        old = said.block(block_id)
    action = text(form, "action")
    if action != "save":
        return builder(request, user, release_id, old, section, [*params, ("from", "form")],
                       preview=action == "preview")
    try:
        found, items = _draft(request, user, release_id)
        item = items.get(text(form, "data_set"))
        if item is None:
            raise Refused("Choose one of this release's data sets.", title="Choose a data set")
        v = blocks.version_of(platform(request), item)
        sel = tables.Selection.from_params([("dataSetId", item.data_set_id), *params])
        why = tables.problems(v, sel, int(platform(request).settings.table_cell_limit))
        if why:
            return builder(request, user, release_id, old, section,
                           [*params, ("from", "form")], preview=False, errors=why)
        service.save_block(platform(request).catalogue, user, release_id, DataBlock(
            block_id, "", None if section == "headline" else section, 0,
            text(form, "name").strip(), item.data_set_id,
            TableSpec.from_json(tables.selection_to_spec(v, sel)),
            text(form, "chart") or "none", text(form, "chart_indicator")))
    except Refused as e:
        return refused(request, e)
    anchor = "headline-block" if section == "headline" else f"section-{section}"
    return RedirectResponse(f"/admin/releases/{release_id}/content#{anchor}", status_code=303)
