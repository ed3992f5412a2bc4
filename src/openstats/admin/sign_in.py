"""Signing in and out of the publishing side."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats import sessions
from openstats.admin import oidc
from openstats.admin.pages import bad_csrf, form_of, page, text
from openstats.catalogue import accounts
from openstats.catalogue.accounts import AccountError
from openstats.dependencies import platform

router = APIRouter(prefix="/admin")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/admin") -> Response:  # noqa: A002
    return page(request, "login.html", {"next": next if next.startswith("/admin") else "/admin",
                                        "error": "", "oidc": oidc.configured(request)})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await form_of(request)
    if form is None:
        return bad_csrf(request)
    target = text(form, "next", "/admin")
    try:
        user = accounts.authenticate(platform(request).catalogue, text(form, "email"),
                                     text(form, "password"))
    except AccountError as e:
        return page(request, "login.html", {"next": target, "error": e.message,
                                            "email": text(form, "email"),
                                            "oidc": oidc.configured(request)}, status=400)
    response = RedirectResponse(target if target.startswith("/admin") else "/admin",
                                status_code=303)
    # A new session (and CSRF token) at sign-in, so a planted cookie is worth nothing.
    sessions.write(request, response, {"uid": user.id})
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await form_of(request)
    if form is None:
        return bad_csrf(request)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response
