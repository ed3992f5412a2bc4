"""The publishing side's home (your publications), themes, creating a publication, a
publication's page and creating a release (named as EES names them: the period covered,
its year and an optional label)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from openstats.admin.pages import (
    done,
    form_refused,
    page,
    signed_in_form,
    signed_in_page,
    text,
    to_login,
)
from openstats.dependencies import current_user, platform
from openstats.model.catalogue import RELEASE_TYPES, Contact
from openstats.model.users import User, allowed
from openstats.publishing import overview, publications, workflow
from openstats.publishing.workflow import NewRelease, NotAllowed, Refused
from openstats.standards import time_periods

router = APIRouter(prefix="/admin")

# The coverage select's groups: (group, [(code, label)]), in EES's order.
COVERAGE_OPTIONS = [(group, [(c, time_periods.BY_CODE[c].label) for c in codes])
                    for group, codes in time_periods.COVERAGE_GROUPS]


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    catalogue = platform(request).catalogue
    themes = {t.id: t.title for t in publications.themes(catalogue)}
    return page(request, "dashboard.html", {
        "publications": publications.my_publications(catalogue, user), "themes": themes,
        "can_create": allowed(user, "create_publication")})


# --- themes -------------------------------------------------------------------------------
def themes_context(request: Request, user: User) -> dict[str, Any]:
    if not allowed(user, "create_theme"):
        raise NotAllowed()
    return {"themes": publications.themes(platform(request).catalogue)}


@router.get("/themes", response_class=HTMLResponse)
def themes_page(request: Request) -> Response:
    return signed_in_page(request, "themes.html", lambda user: themes_context(request, user))


@router.post("/themes")
async def create_theme(request: Request) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        publications.create_theme(platform(request).catalogue, user, text(form, "title"))
    except Refused as e:
        return form_refused(request, e, "theme", form, "themes.html",
                            lambda: themes_context(request, user))
    return done(request, "/admin/themes", f"Theme '{text(form, 'title').strip()}' created")


# --- publications -------------------------------------------------------------------------
def new_publication_context(request: Request, user: User) -> dict[str, Any]:
    if not allowed(user, "create_publication"):
        raise NotAllowed()
    themes = publications.themes(platform(request).catalogue)
    return {"themes": themes, "theme_options": [(t.id, t.title) for t in themes]}


@router.get("/publications/new", response_class=HTMLResponse)
def new_publication(request: Request) -> Response:
    return signed_in_page(request, "publication_new.html",
                          lambda user: new_publication_context(request, user))


@router.post("/publications")
async def create_publication(request: Request) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        publication_id = publications.create_publication(
            platform(request).catalogue, user, text(form, "theme_id"), text(form, "title"),
            text(form, "summary"),
            Contact(text(form, "team_name"), text(form, "team_email"),
                    text(form, "contact_name")))
    except Refused as e:
        return form_refused(request, e, "publication", form, "publication_new.html",
                            lambda: new_publication_context(request, user))
    return done(request, f"/admin/publications/{publication_id}",
                f"Publication '{text(form, 'title').strip()}' created")


def publication_context(request: Request, user: User, publication_id: str) -> dict[str, Any]:
    catalogue = platform(request).catalogue
    pub = publications.publication_for(catalogue, user, publication_id)
    found = overview.publication_releases(catalogue, pub)
    return {"pub": pub, "theme": found.theme, "releases": found.releases,
            "types": [(t, t) for t in RELEASE_TYPES], "coverages": COVERAGE_OPTIONS,
            "can_create": allowed(user, "create_release", publication_id)}


@router.get("/publications/{publication_id}", response_class=HTMLResponse)
def publication_page(request: Request, publication_id: str) -> Response:
    return signed_in_page(request, "publication.html",
                          lambda user: publication_context(request, user, publication_id))


@router.post("/publications/{publication_id}/releases")
async def create_release(request: Request, publication_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        made = workflow.create_release(
            platform(request).catalogue, user, publication_id,
            NewRelease(text(form, "coverage"), text(form, "year"), text(form, "label"),
                       text(form, "release_type"), text(form, "next_update")))
    except Refused as e:
        return form_refused(request, e, "release", form, "publication.html",
                            lambda: publication_context(request, user, publication_id))
    return done(request, f"/admin/releases/{made.release_id}",
                f"Release '{made.title}' created: upload its data sets next")
