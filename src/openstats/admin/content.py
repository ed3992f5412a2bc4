"""A release's content in the publishing side: summary, headline, key statistics, sections,
release notes, pre-release access list and glossary terms, with markdown previews, and a
preview of the whole release page as it will be published.

Every form works without JavaScript: "Preview" re-shows the form with the markdown
rendered (nothing saved), "Save" writes the draft. Routes parse forms and call the
publishing services (publishing/content.py); data blocks are built in
admin/data_blocks.py with the table tool's steps.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from openstats.admin.pages import page, refused, signed_in_form, text, to_login
from openstats.admin.pages import templates as admin_templates
from openstats.catalogue.values import now
from openstats.dependencies import current_user, platform
from openstats.model.catalogue import ReleaseState
from openstats.model.content import KeyStatistic
from openstats.model.users import User, allowed
from openstats.publishing import checklist, workflow
from openstats.publishing import content as service
from openstats.publishing.workflow import Refused
from openstats.web import pages as web_pages
from openstats.web import release_page, table_page  # noqa: F401 - registers chart_value
from openstats.web.pages import not_found

router = APIRouter(prefix="/admin")
# The publishing side shows release content as the public pages do: the same filters.
admin_templates.env.filters.update({name: web_pages.templates.env.filters[name] for name in (
    "markdown", "markdown_text", "long_date", "chart_value")})


def content_url(release_id: str, anchor: str = "") -> str:
    return f"/admin/releases/{release_id}/content" + (f"#{anchor}" if anchor else "")


def back(release_id: str, anchor: str = "") -> Response:
    return RedirectResponse(content_url(release_id, anchor), status_code=303)


def content_page(request: Request, user: User, release_id: str,
                 previews: dict[str, Any] | None = None, status: int = 200) -> Response:
    p = platform(request)
    try:
        latest, said = service.content_of(p.catalogue, user, release_id)
        info = workflow.release_for(p.catalogue, user, release_id)
        found = checklist.for_release(p.catalogue, user, release_id,
                                      p.settings.data_dir / "uploads")
    except Refused as e:
        return refused(request, e)
    metas = {e.data_set_id: p.catalogue.metadata.get(e.version_id) for e in info.entries}
    return page(request, "content_release.html", {
        "release": latest, "release_id": release_id, "content": said,
        "entries": info.entries, "metas": metas, "checklist": found,
        "draft": latest.state is ReleaseState.DRAFT,
        "can_edit": allowed(user, "edit_release", latest.publication_id),
        "previews": previews or {}, "today": now().date().isoformat(),
        "titles": {e.data_set_id: e.title for e in info.entries},
    }, status)


@router.get("/releases/{release_id}/content", response_class=HTMLResponse)
def show(request: Request, release_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    return content_page(request, user, release_id)


async def _form(request: Request) -> tuple[User, FormData] | Response:
    return await signed_in_form(request)


def _done(request: Request, user: User, release_id: str, anchor: str,
          action: Any) -> Response:
    try:
        action()
    except Refused as e:
        return refused(request, e)
    return back(release_id, anchor)


@router.post("/releases/{release_id}/content/words")
async def words(request: Request, release_id: str) -> Response:
    """Summary, headline and pre-release access list: preview or save."""
    signed = await _form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    fields = {k: text(form, k) for k in ("summary", "headline", "pre_release_access_list")
              if k in form}
    if text(form, "action") == "preview":
        return content_page(request, user, release_id, {f"words.{k}": v for k, v in
                                                         fields.items()})
    return _done(request, user, release_id, "headlines", lambda: service.edit_words(
        platform(request).catalogue, user, release_id, **fields))


def _stat_from(form: FormData, stat_id: str) -> KeyStatistic:
    filters = {k[len("filter_"):]: v for k, v in form.items()
               if k.startswith("filter_") and isinstance(v, str) and v}
    return KeyStatistic(stat_id, "", 0, text(form, "title").strip(), text(form, "data_set"),
                        text(form, "indicator"), text(form, "location"),
                        text(form, "time_period"), filters, text(form, "trend").strip(),
                        text(form, "guidance_title").strip(), text(form, "guidance_text"))


@router.post("/releases/{release_id}/content/key-statistics")
async def add_key_statistic(request: Request, release_id: str) -> Response:
    signed = await _form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    return _done(request, user, release_id, "key-statistics", lambda: service.save_key_statistic(
        platform(request).catalogue, user, release_id, _stat_from(form, "")))


@router.post("/releases/{release_id}/content/key-statistics/{stat_id}")
async def edit_key_statistic(request: Request, release_id: str, stat_id: str) -> Response:
    """Save, move (up/down) or remove a key statistic."""
    signed = await _form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    c = platform(request).catalogue
    action = text(form, "action")
    if action in ("up", "down"):
        return _done(request, user, release_id, "key-statistics",
                     lambda: service.move_key_statistic(c, user, release_id, stat_id,
                                                        -1 if action == "up" else 1))
    if action == "remove":
        return _done(request, user, release_id, "key-statistics",
                     lambda: service.remove_key_statistic(c, user, release_id, stat_id))
    return _done(request, user, release_id, "key-statistics", lambda: service.save_key_statistic(
        c, user, release_id, _stat_from(form, stat_id)))


@router.post("/releases/{release_id}/content/sections")
async def add_section(request: Request, release_id: str) -> Response:
    signed = await _form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    return _done(request, user, release_id, "sections", lambda: service.save_section(
        platform(request).catalogue, user, release_id, "", text(form, "heading"),
        text(form, "body")))


@router.post("/releases/{release_id}/content/sections/{section_id}")
async def edit_section(request: Request, release_id: str, section_id: str) -> Response:
    """Preview, save, move (up/down) or remove a section."""
    signed = await _form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    c = platform(request).catalogue
    action = text(form, "action")
    if action == "preview":
        return content_page(request, user, release_id, {
            f"section.{section_id}": text(form, "body"),
            f"section.{section_id}.heading": text(form, "heading")})
    if action in ("up", "down"):
        return _done(request, user, release_id, "sections", lambda: service.move_section(
            c, user, release_id, section_id, -1 if action == "up" else 1))
    if action == "remove":
        return _done(request, user, release_id, "sections",
                     lambda: service.remove_section(c, user, release_id, section_id))
    return _done(request, user, release_id, f"section-{section_id}", lambda: service.save_section(
        c, user, release_id, section_id, text(form, "heading"), text(form, "body")))


@router.post("/releases/{release_id}/content/blocks/{block_id}/order")
async def order_block(request: Request, release_id: str, block_id: str) -> Response:
    """Move (up/down) or remove a data block."""
    signed = await _form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    c = platform(request).catalogue
    action = text(form, "action")
    if action == "remove":
        return _done(request, user, release_id, "sections",
                     lambda: service.remove_block(c, user, release_id, block_id))
    return _done(request, user, release_id, "sections", lambda: service.move_block(
        c, user, release_id, block_id, -1 if action == "up" else 1))


@router.post("/releases/{release_id}/content/notes")
async def notes(request: Request, release_id: str) -> Response:
    """Add a release note (an entry of the public "Updates"), or remove one."""
    signed = await _form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    c = platform(request).catalogue
    if text(form, "remove"):
        return _done(request, user, release_id, "notes",
                     lambda: service.remove_note(c, user, release_id, text(form, "remove")))
    try:
        on = date.fromisoformat(text(form, "on"))
    except ValueError:
        return refused(request, Refused("Give the date as YYYY-MM-DD.",
                                        title="Enter a date"))
    return _done(request, user, release_id, "notes",
                 lambda: service.add_note(c, user, release_id, on, text(form, "reason")))


@router.post("/releases/{release_id}/content/glossary")
async def glossary(request: Request, release_id: str) -> Response:
    """Add or change a glossary term (public with this release), or remove one."""
    signed = await _form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    c = platform(request).catalogue
    if text(form, "remove"):
        return _done(request, user, release_id, "glossary",
                     lambda: service.remove_term(c, user, release_id, text(form, "remove")))
    return _done(request, user, release_id, "glossary", lambda: service.save_term(
        c, user, release_id, text(form, "term"), text(form, "definition"),
        text(form, "slug")))


@router.get("/releases/{release_id}/content/preview", response_class=HTMLResponse)
def preview(request: Request, release_id: str) -> Response:
    """The release page exactly as it will look, drafts included."""
    user = current_user(request)
    if user is None:
        return to_login(request)
    try:
        info = workflow.release_for(platform(request).catalogue, user, release_id)
    except Refused as e:
        return refused(request, e)
    view = platform(request).catalogue.snapshots.draft_view(frozenset({release_id}))
    found = view.release(info.latest.publication_slug, info.latest.slug)
    if found is None or not view.release_data_sets(found):
        return not_found(request)
    response = web_pages.templates.TemplateResponse(
        request, "release.html", release_page.release_context(request, view, found))
    response.headers["cache-control"] = "no-store"
    return response
