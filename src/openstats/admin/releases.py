"""A release in the publishing side: its page, its words, its data sets' words and
footnotes, amendments, approval and the schedule, pre-release access, and previews.

Routes parse forms and answer; every check of rights and state is the publishing
service's (publishing/workflow.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats.admin.pages import LONDON, message, page, refused, signed_in_form, text, to_login
from openstats.catalogue import data_sets, publications, releases
from openstats.dependencies import current_user, platform
from openstats.model.catalogue import ReleaseState
from openstats.model.footnotes import Footnote
from openstats.model.metadata import VersionMeta
from openstats.model.users import allowed
from openstats.publishing import checklist, workflow
from openstats.publishing.workflow import Refused
from openstats.web import pages

router = APIRouter(prefix="/admin")
ACTIONS = ("upload", "edit_release", "approve", "unschedule", "grant_pre_release")


def back_to(release_id: str) -> Response:
    return RedirectResponse(f"/admin/releases/{release_id}", status_code=303)


@router.get("/releases/{release_id}", response_class=HTMLResponse)
def release_page(request: Request, release_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    p = platform(request)
    try:
        info = workflow.release_for(p.catalogue, user, release_id)
    except Refused as e:
        return refused(request, e)
    latest = info.latest
    now = datetime.now(UTC)
    with p.catalogue.connect() as conn:
        pub = publications.publication(conn, latest.publication_id)
        numbers = {v.id: v.version for v in data_sets.versions_by_id(
            conn, {e.version_id for e in info.entries}).values()}
        # A version some public release version holds is published; else it is new here.
        public_versions = {e.version_id for e in info.entries if any(
            rv is not None and rv.public_at(now) for rv in (
                releases.release_version(conn, held.release_version_id)
                for held in releases.holding(conn, e.version_id)))}
    return page(request, "release_admin.html", {
        "release": latest, "release_id": release_id, "pub": pub, "versions": info.versions,
        "entries": info.entries, "numbers": numbers, "published_versions": public_versions,
        "footnote_targets": {e.data_set_id: footnote_targets(p.catalogue.metadata.get(
            e.version_id)) for e in info.entries},
        "draft": latest.state is ReleaseState.DRAFT,
        "scheduled": latest.scheduled_after(now),
        "public": latest.public_at(now),
        "can": {a: allowed(user, a, latest.publication_id) for a in ACTIONS},
        "now_london": now.astimezone(LONDON),
        "checklist": checklist.for_release(p.catalogue, user, release_id,
                                           p.settings.data_dir / "uploads"),
    })


def footnote_targets(meta: VersionMeta) -> list[tuple[str, str]]:
    """(value, label) of everything a footnote can be attached to."""
    out = [("", "The whole data set")]
    for f in meta.filters:
        out.append((f"filter:{f.column}", f"Filter: {f.label}"))
        out += [(f"option:{f.column}:{o.label}", f"{f.label}: {o.label}") for o in f.options]
    out += [(f"indicator:{i.column}", f"Indicator: {i.label}") for i in meta.indicators]
    return out


@router.post("/releases/{release_id}/guidance")
async def edit_guidance(request: Request, release_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        workflow.edit_release_words(platform(request).catalogue, user, release_id,
                                    data_guidance=text(form, "data_guidance"),
                                    next_update=text(form, "next_update"))
    except Refused as e:
        return refused(request, e)
    return back_to(release_id)


@router.post("/releases/{release_id}/amend")
async def amend(request: Request, release_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, _ = signed
    try:
        workflow.amend(platform(request).catalogue, user, release_id)
    except Refused as e:
        return refused(request, e)
    return back_to(release_id)


@router.post("/releases/{release_id}/data-sets/{data_set_id}/details")
async def edit_data_set(request: Request, release_id: str, data_set_id: str) -> Response:
    """A data set's title and summary in the release's draft."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        workflow.edit_data_set(platform(request).catalogue, user, release_id, data_set_id,
                               text(form, "title"), text(form, "summary"))
    except Refused as e:
        return refused(request, e)
    return back_to(release_id)


@router.post("/releases/{release_id}/data-sets/{data_set_id}/footnotes")
async def add_footnote(request: Request, release_id: str, data_set_id: str) -> Response:
    """Attach a footnote to a data set, a filter, a filter option or an indicator."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    target = text(form, "target")
    kind, _, rest = target.partition(":")
    column, _, option = rest.partition(":")
    if kind not in ("", "filter", "option", "indicator"):
        return message(request, "The footnote cannot be added",
                       "Choose what the footnote applies to from the list.")
    note = Footnote(text(form, "text").strip(),
                    filter=column if kind in ("filter", "option") else "",
                    option=option if kind == "option" else "",
                    indicator=column if kind == "indicator" else "")
    try:
        workflow.add_footnote(platform(request).catalogue, user, release_id, data_set_id, note)
    except Refused as e:
        return refused(request, e)
    return back_to(release_id)


def _when(form_when: str, date: str, time: str) -> datetime | str:
    """The publish moment (UTC) a form asks for, or the reason it cannot be read."""
    if form_when == "now":
        return datetime.now(UTC)
    value = f"{date} {time.strip()}"
    try:
        local = datetime.strptime(value, "%Y-%m-%d %H:%M:%S" if value.count(":") == 2
                                  else "%Y-%m-%d %H:%M")
    except ValueError:
        return ("Give the publish date as YYYY-MM-DD and the time as HH:MM or HH:MM:SS "
                "(UK time).")
    when = local.replace(tzinfo=LONDON).astimezone(UTC)
    if when <= datetime.now(UTC):
        return "To publish straight away, choose 'Publish now'."
    return when


@router.post("/releases/{release_id}/approve")
async def approve(request: Request, release_id: str) -> Response:
    """Publish now, or schedule for a date and time in UK time."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    when = _when(text(form, "when"), text(form, "date"), text(form, "time"))
    if isinstance(when, str):
        title = ("Choose a time in the future" if "straight away" in when
                 else "Enter a date and time")
        return message(request, title, when)
    notes = text(form, "notes") if "notes" in form else None
    try:
        # Refused (workflow.NotReady, listing them) while the release checklist has errors.
        workflow.approve(platform(request).catalogue, user, release_id, when, notes,
                         uploads=platform(request).settings.data_dir / "uploads")
    except Refused as e:
        return refused(request, e)
    return back_to(release_id)


@router.post("/releases/{release_id}/unschedule")
async def unschedule(request: Request, release_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, _ = signed
    try:
        workflow.unschedule(platform(request).catalogue, user, release_id)
    except Refused as e:
        return refused(request, e)
    return back_to(release_id)


@router.post("/releases/{release_id}/pre-release")
async def pre_release(request: Request, release_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        said = workflow.grant_pre_release(platform(request).catalogue, user, release_id,
                                          text(form, "email"))
    except Refused as e:
        return refused(request, e)
    return message(request, "Pre-release access given", said, 200)


@router.get("/releases/{release_id}/preview/{data_set_id}", response_class=HTMLResponse)
def preview(request: Request, release_id: str, data_set_id: str) -> Response:
    """The data-set page exactly as it will look, drafts included."""
    user = current_user(request)
    if user is None:
        return to_login(request)
    try:
        workflow.release_for(platform(request).catalogue, user, release_id)
    except Refused as e:
        return refused(request, e)
    view = platform(request).catalogue.snapshots.draft_view(frozenset({release_id}))
    return pages.render_data_set_page(request, data_set_id, version=None, preview=None,
                                      view=view)
