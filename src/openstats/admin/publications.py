"""The publishing side's home, themes and publications, and creating a release."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats.admin.pages import page, refused, signed_in_form, text, to_login
from openstats.catalogue import publications, releases
from openstats.catalogue.releases import ReleaseWords
from openstats.dependencies import current_user, platform
from openstats.model.catalogue import RELEASE_TYPES, Contact
from openstats.model.users import allowed
from openstats.publishing import workflow
from openstats.publishing.workflow import Refused

router = APIRouter(prefix="/admin")


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    catalogue = platform(request).catalogue
    with catalogue.connect() as conn:
        themes = publications.all_themes(conn)
    return page(request, "dashboard.html", {
        "publications": workflow.my_publications(catalogue, user), "themes": themes,
        "can_create": allowed(user, "create_publication")})


@router.post("/themes")
async def create_theme(request: Request) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        workflow.create_theme(platform(request).catalogue, user, text(form, "title"))
    except Refused as e:
        return refused(request, e)
    return RedirectResponse("/admin", status_code=303)


@router.post("/publications")
async def create_publication(request: Request) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        publication_id = workflow.create_publication(
            platform(request).catalogue, user, text(form, "theme_id"), text(form, "title"),
            text(form, "summary"),
            Contact(text(form, "team_name"), text(form, "team_email"),
                    text(form, "contact_name")))
    except Refused as e:
        return refused(request, e)
    return RedirectResponse(f"/admin/publications/{publication_id}", status_code=303)


@router.get("/publications/{publication_id}", response_class=HTMLResponse)
def publication_page(request: Request, publication_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    catalogue = platform(request).catalogue
    try:
        pub = workflow.publication_for(catalogue, user, publication_id)
    except Refused as e:
        return refused(request, e)
    with catalogue.connect() as conn:
        latest = releases.latest_versions_of_publication(conn, publication_id)
    return page(request, "publication.html", {
        "pub": pub, "releases": latest, "types": RELEASE_TYPES,
        "can_create": allowed(user, "create_release", publication_id)})


@router.post("/publications/{publication_id}/releases")
async def create_release(request: Request, publication_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        made = workflow.create_release(
            platform(request).catalogue, user, publication_id,
            ReleaseWords(text(form, "title").strip(), text(form, "release_type"),
                         text(form, "next_update")))
    except Refused as e:
        return refused(request, e)
    return RedirectResponse(f"/admin/releases/{made.release_id}", status_code=303)
