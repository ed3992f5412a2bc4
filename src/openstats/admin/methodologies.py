"""A publication's methodologies in the publishing side (write, preview, amend, approve with
a release or at once) and whether another publication supersedes it.

Routes parse forms and call publishing/methodologies.py, which checks every right.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from openstats.admin.pages import page, refused, signed_in_form, text, to_login
from openstats.dependencies import current_user, platform
from openstats.model.catalogue import ReleaseState
from openstats.model.content import MethodologySection
from openstats.model.public import PublicMethodology
from openstats.model.users import User, allowed
from openstats.publishing import methodologies as service
from openstats.publishing import publications
from openstats.publishing.workflow import Refused

router = APIRouter(prefix="/admin")


@router.get("/publications/{publication_id}/methodologies", response_class=HTMLResponse)
def list_page(request: Request, publication_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    c = platform(request).catalogue
    try:
        pub = publications.publication_for(c, user, publication_id)
        found = service.of_publication(c, user, publication_id)
    except Refused as e:
        return refused(request, e)
    return page(request, "content_methodologies.html", {
        "pub": pub, "methodologies": found,
        "others": [p for p in publications.my_publications(c, user) if p.id != publication_id],
        "can_edit": allowed(user, "edit_release", publication_id),
        "can_supersede": allowed(user, "create_publication", publication_id)})


@router.post("/publications/{publication_id}/methodologies")
async def create(request: Request, publication_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        made = service.create(platform(request).catalogue, user, publication_id,
                              text(form, "title"))
    except Refused as e:
        return refused(request, e)
    return RedirectResponse(f"/admin/methodologies/{made}", status_code=303)


@router.post("/publications/{publication_id}/superseded-by")
async def superseded_by(request: Request, publication_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        service.set_successor(platform(request).catalogue, user, publication_id,
                              text(form, "successor"))
    except Refused as e:
        return refused(request, e)
    return RedirectResponse(f"/admin/publications/{publication_id}/methodologies",
                            status_code=303)


def _sections(form: FormData) -> tuple[MethodologySection, ...]:
    """The sections in the form's order; a section with neither heading nor text goes."""
    headings = [v for k, v in form.multi_items() if k == "heading" and isinstance(v, str)]
    bodies = [v for k, v in form.multi_items() if k == "body" and isinstance(v, str)]
    return tuple(MethodologySection(h.strip(), b) for h, b in zip(headings, bodies, strict=False)
                 if h.strip() or b.strip())


def methodology_page(request: Request, user: User, methodology_id: str,
                     preview: dict[str, object] | None = None) -> Response:
    c = platform(request).catalogue
    try:
        versions = service.versions(c, user, methodology_id)
        latest = versions[-1]
        releases = service.publication_releases(c, user, latest.publication_id)
    except Refused as e:
        return refused(request, e)
    shown = preview or {"title": latest.title, "summary": latest.summary,
                        "sections": latest.sections, "notes": latest.notes}
    public = c.snapshots.view().methodology(latest.slug)
    return page(request, "content_methodology.html", {
        "m": latest, "versions": versions, "shown": shown, "preview": preview is not None,
        "releases": releases, "public": public if isinstance(public, PublicMethodology) else None,
        "draft": latest.state is ReleaseState.DRAFT,
        "can_edit": allowed(user, "edit_release", latest.publication_id),
        "can_approve": allowed(user, "approve", latest.publication_id)})


@router.get("/methodologies/{methodology_id}", response_class=HTMLResponse)
def show(request: Request, methodology_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    return methodology_page(request, user, methodology_id)


@router.post("/methodologies/{methodology_id}")
async def act(request: Request, methodology_id: str) -> Response:
    """Preview or save the words; amend; approve; take an approval back."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    c = platform(request).catalogue
    action = text(form, "action")
    try:
        if action == "preview":
            return methodology_page(request, user, methodology_id, {
                "title": text(form, "title"), "summary": text(form, "summary"),
                "sections": _sections(form), "notes": text(form, "notes")})
        if action == "save":
            service.edit(c, user, methodology_id, title=text(form, "title"),
                         summary=text(form, "summary"), sections=_sections(form),
                         notes=text(form, "notes"))
        elif action == "amend":
            service.amend(c, user, methodology_id)
        elif action == "approve":
            service.approve(c, user, methodology_id, text(form, "release_id") or None)
        elif action == "unapprove":
            service.unapprove(c, user, methodology_id)
    except Refused as e:
        return refused(request, e)
    return RedirectResponse(f"/admin/methodologies/{methodology_id}", status_code=303)
