"""A release in the publishing side: its page, its words, its data sets' words and
footnotes, amendments, approval and the schedule, pre-release access, and previews.

Routes parse forms and answer; every check of rights and state is the publishing
service's (publishing/workflow.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from openstats.admin.pages import (
    LONDON,
    Problem,
    done,
    form_refused,
    london,
    refused,
    signed_in_form,
    signed_in_page,
    text,
    to_login,
)
from openstats.dependencies import current_user, platform
from openstats.model.catalogue import ReleaseState
from openstats.model.footnotes import Footnote
from openstats.model.metadata import VersionMeta
from openstats.model.users import User, allowed
from openstats.publishing import checklist, overview, uploads, workflow
from openstats.publishing.workflow import Refused
from openstats.web import pages

router = APIRouter(prefix="/admin")
ACTIONS = ("upload", "edit_release", "approve", "unschedule", "grant_pre_release")


def release_context(request: Request, user: User, release_id: str) -> dict[str, Any]:
    """What the release's page shows (raises Refused when the person may not see it).
    Form routes show it again, with their form's problems, when a form is refused."""
    p = platform(request)
    info = workflow.release_for(p.catalogue, user, release_id)
    latest = info.latest
    at = datetime.now(UTC)
    held = overview.release_data_sets(p.catalogue, info, at)
    local = at.astimezone(LONDON)
    return {
        "release": latest, "release_id": release_id, "pub": held.publication,
        "versions": info.versions, "entries": info.entries, "numbers": held.numbers,
        "published_versions": held.published,
        "footnote_targets": {e.data_set_id: footnote_targets(p.catalogue.metadata.get(
            e.version_id)) for e in info.entries},
        "entries_options": [(e.data_set_id, e.title) for e in info.entries],
        "uploads": uploads.waiting(p, release_id),
        "draft": latest.state is ReleaseState.DRAFT,
        "scheduled": latest.scheduled_after(at),
        "public": latest.public_at(at),
        "can": {a: allowed(user, a, latest.publication_id) for a in ACTIONS},
        "now_london": local,
        "checklist": checklist.for_release(p.catalogue, user, release_id,
                                           p.settings.data_dir / "uploads"),
        # The approve form offers a moment in the future: the next 09:30, UK time.
        "default_publish": default_publish(local),
    }


def default_publish(local_now: datetime) -> datetime:
    """The next 09:30 in UK time (the usual hour for official statistics), tomorrow's
    when today's has passed or is under an hour away."""
    today = local_now.replace(hour=9, minute=30, second=0, microsecond=0)
    if today - local_now >= timedelta(hours=1):
        return today
    return (today + timedelta(days=1)).replace(tzinfo=LONDON)


@router.get("/releases/{release_id}", response_class=HTMLResponse)
def release_page(request: Request, release_id: str) -> Response:
    return signed_in_page(request, "release_admin.html",
                          lambda user: release_context(request, user, release_id))


def refused_form(request: Request, e: Refused, user: User, release_id: str, name: str,
                 form: FormData) -> Response:
    """A refused form of the release's page: the page again, with the form's problems."""
    return form_refused(request, e, name, form, "release_admin.html",
                        lambda: release_context(request, user, release_id))


def footnote_targets(meta: VersionMeta) -> list[tuple[str, str]]:
    """(value, label) of everything a footnote can be attached to."""
    out = [("", "The whole data set")]
    for f in meta.filters:
        out.append((f"filter:{f.column}", f"Filter: {f.label}"))
        out += [(f"option:{f.column}:{o.label}", f"{f.label}: {o.label}") for o in f.options]
    out += [(f"indicator:{i.column}", f"Indicator: {i.label}") for i in meta.indicators]
    return out


def back_to(request: Request, release_id: str, said: str) -> Response:
    return done(request, f"/admin/releases/{release_id}", said)


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
        return refused_form(request, e, user, release_id, "guidance", form)
    return back_to(request, release_id, "Data guidance saved")


@router.post("/releases/{release_id}/amend")
async def amend(request: Request, release_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        made = workflow.amend(platform(request).catalogue, user, release_id)
    except Refused as e:
        return refused_form(request, e, user, release_id, "amend", form)
    return back_to(request, release_id, f"Amendment {made.number} started: make your "
                   "changes, then approve it to publish them")


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
        return refused_form(request, e, user, release_id, f"details-{data_set_id}", form)
    return back_to(request, release_id, f"Saved the title and summary of "
                   f"'{text(form, 'title').strip()}'")


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
    note = Footnote(text(form, "text").strip(),
                    filter=column if kind in ("filter", "option") else "",
                    option=option if kind == "option" else "",
                    indicator=column if kind == "indicator" else "")
    try:
        if kind not in ("", "filter", "option", "indicator"):
            raise Refused("Choose what the footnote applies to from the list.",
                          title="The footnote cannot be added", field="target")
        workflow.add_footnote(platform(request).catalogue, user, release_id, data_set_id, note)
    except Refused as e:
        return refused_form(request, e, user, release_id, f"footnote-{data_set_id}", form)
    return back_to(request, release_id, "Footnote added")


def _when(form_when: str, date: str, time: str) -> datetime | list[Problem]:
    """The publish moment (UTC) a form asks for, or what is wrong with it."""
    if form_when == "now":
        return datetime.now(UTC)
    if form_when != "later":
        return [Problem("when", "Choose 'Publish now' or 'On a date and time'.")]
    problems = []
    try:
        day = datetime.strptime(date.strip(), "%Y-%m-%d").date()
    except ValueError:
        problems.append(Problem("date", "Enter the publish date as YYYY-MM-DD, for example "
                                        "2025-11-20."))
    try:
        clock = datetime.strptime(time.strip(), "%H:%M:%S" if time.count(":") == 2
                                  else "%H:%M").time()
    except ValueError:
        problems.append(Problem("time", "Enter the publish time as HH:MM or HH:MM:SS (UK "
                                        "time), for example 09:30."))
    if problems:
        return problems
    when = datetime.combine(day, clock, tzinfo=LONDON).astimezone(UTC)
    if when <= datetime.now(UTC):
        return [Problem("date", f"The publish time must be in the future ({london(when)} "
                                "has passed). To publish straight away, choose 'Publish "
                                "now'.")]
    return when


@router.post("/releases/{release_id}/approve")
async def approve(request: Request, release_id: str) -> Response:
    """Publish now, or schedule for a date and time in UK time."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    when = _when(text(form, "when"), text(form, "date"), text(form, "time"))
    if isinstance(when, list):
        return refused_form(request, Refused("", problems=tuple(
            (p.field, p.message) for p in when)), user, release_id, "approve", form)
    notes = text(form, "notes") if "notes" in form else None
    try:
        # Refused (workflow.NotReady, listing them) while the release checklist has errors.
        workflow.approve(platform(request).catalogue, user, release_id, when, notes,
                         uploads=platform(request).settings.data_dir / "uploads")
    except Refused as e:
        return refused_form(request, e, user, release_id, "approve", form)
    if when <= datetime.now(UTC):
        # Public from this moment: recorded as published at once, with its release event
        # (webhooks and alerts go out from the outbox); the scheduler would within a tick.
        workflow.publish_due(platform(request).catalogue)
        return back_to(request, release_id, "Approved and published: the release is public")
    return back_to(request, release_id, f"Approved: the release will be published on "
                   f"{london(when)}")


@router.post("/releases/{release_id}/unschedule")
async def unschedule(request: Request, release_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        workflow.unschedule(platform(request).catalogue, user, release_id)
    except Refused as e:
        return refused_form(request, e, user, release_id, "unschedule", form)
    return back_to(request, release_id, "Unscheduled: the release is a draft again, and "
                   "will not be published until it is approved")


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
        return refused_form(request, e, user, release_id, "pre-release", form)
    return back_to(request, release_id, f"Pre-release access given: {said}")


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
