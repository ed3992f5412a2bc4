"""Signing in and out, your own password, and the accounts administrators manage.

Sign-in with a password (catalogue/sign_in.py throttles it by client address and
account); sign-out ends the server-side session; changing a password ends every
session of that person (this browser gets a new one); an administrator can create
accounts and end all of someone's sessions. Single sign-on is admin/oidc.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats import sessions, urls
from openstats.admin import oidc
from openstats.admin.routes import (
    bad_csrf,
    forbidden,
    form_of,
    page,
    platform,
    signed_in_form,
    to_login,
)
from openstats.catalogue import accounts, sign_in
from openstats.catalogue import sessions as stored_sessions
from openstats.catalogue.accounts import AccountError
from openstats.security import client_address, parse_networks

router = APIRouter(prefix="/admin")


def client_of(request: Request) -> str:
    """The address sign-in failures count against, read as the rate limiter reads it
    (X-Forwarded-For only from OPENSTATS_TRUSTED_PROXIES)."""
    trusted = parse_networks(platform(request).settings.trusted_proxies)
    return client_address(request.scope, trusted)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/admin") -> Response:  # noqa: A002
    return page(request, "login.html", {"next": urls.admin_target(next), "error": "",
                                        "oidc": oidc.configured(request)})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await form_of(request)
    if form is None:
        return bad_csrf(request)
    target = urls.admin_target(str(form.get("next", "")))
    try:
        user = sign_in.authenticate(platform(request).catalogue, str(form.get("email", "")),
                                    str(form.get("password", "")), client_of(request))
    except AccountError as e:
        return page(request, "login.html", {"next": target, "error": e.message,
                                            "email": form.get("email", ""),
                                            "oidc": oidc.configured(request)}, status=400)
    response = RedirectResponse(target, status_code=303)
    sessions.sign_in(request, response, user["id"])
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await form_of(request)
    if form is None:
        return bad_csrf(request)
    response = RedirectResponse("/admin/login", status_code=303)
    sessions.sign_out(request, response)
    return response


# --- your account ------------------------------------------------------------------------
@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, changed: str = "") -> Response:
    user = sessions.signed_in_user(request)
    if user is None:
        return to_login(request)
    return page(request, "account.html", {"error": "", "changed": changed == "password"})


@router.post("/account/password")
async def change_password(request: Request) -> Response:
    user, form, refusal = await signed_in_form(request)
    if refusal is not None:
        return refusal
    new, again = str(form.get("new_password", "")), str(form.get("new_password_again", ""))
    try:
        if new != again:
            raise AccountError("The new passwords do not match: type the same one twice.")
        sign_in.change_password(platform(request).catalogue, user, str(form.get(
            "current_password", "")), new, client_of(request))
    except AccountError as e:
        return page(request, "account.html", {"error": e.message, "changed": False}, 400)
    # Every session of this person has ended, this one too: this browser gets a new one.
    response = RedirectResponse("/admin/account?changed=password", status_code=303)
    sessions.sign_in(request, response, user["id"])
    return response


# --- accounts, for administrators ----------------------------------------------------------
def _admin(request: Request) -> tuple[dict[str, Any] | None, Response | None]:
    user = sessions.signed_in_user(request)
    if user is None:
        return None, to_login(request)
    if not accounts.allowed(platform(request).catalogue, user, "manage_users"):
        return None, forbidden(request)
    return user, None


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    _, refusal = _admin(request)
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    return page(request, "users.html", {"people": accounts.all_users(catalogue),
                                        "live": stored_sessions.live_counts(catalogue)})


async def _admin_form(request: Request) -> tuple[Any, Any, Response | None]:
    """(user, form, None) for an administrator's form with a good CSRF token, or
    (None, None, the answer to give instead)."""
    user, form, refusal = await signed_in_form(request)
    if refusal is None and not accounts.allowed(platform(request).catalogue, user,
                                                "manage_users"):
        refusal = forbidden(request)
    return (None, None, refusal) if refusal is not None else (user, form, None)


@router.post("/users")
async def create_user(request: Request) -> Response:
    user, form, refusal = await _admin_form(request)
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    try:
        accounts.create_user(catalogue, str(form.get("email", "")),
                             str(form.get("password", "")), str(form.get("role", "")),
                             str(form.get("name", "")), user,
                             publication_id=str(form.get("publication_id", "")) or None)
    except AccountError as e:
        return page(request, "admin_message.html", {"title": "Cannot create the account",
                                                    "message": e.message}, 400)
    return RedirectResponse("/admin", status_code=303)


@router.post("/users/{user_id}/end-sessions")
async def end_sessions(request: Request, user_id: str) -> Response:
    user, _, refusal = await _admin_form(request)
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    if accounts.user_by_id(catalogue, user_id) is None:
        return page(request, "admin_message.html", {"title": "There is no such account",
                                                    "message": ""}, 404)
    stored_sessions.end_every_session(catalogue, user_id, by=user)
    return RedirectResponse("/admin/users", status_code=303)
