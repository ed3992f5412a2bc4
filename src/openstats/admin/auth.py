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
from starlette.datastructures import FormData

from openstats import sessions, urls
from openstats.admin import oidc
from openstats.admin.pages import (
    FormState,
    Problem,
    again,
    bad_csrf,
    done,
    form_of,
    message,
    page,
    signed_in_form,
    text,
    to_login,
)
from openstats.dependencies import current_user, platform
from openstats.errors import AccountError
from openstats.model.users import ROLES, User, allowed
from openstats.publishing import accounts
from openstats.publishing.workflow import NotAllowed
from openstats.security import client_address, parse_networks

router = APIRouter(prefix="/admin")


def client_of(request: Request) -> str:
    """The address sign-in failures count against, read as the rate limiter reads it
    (X-Forwarded-For only from OPENSTATS_TRUSTED_PROXIES)."""
    trusted = parse_networks(platform(request).settings.trusted_proxies)
    return client_address(request.scope, trusted)


def forbidden(request: Request) -> Response:
    refusal = NotAllowed()
    return message(request, refusal.title, refusal.message, refusal.status)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/admin") -> Response:  # noqa: A002
    return page(request, "login.html", {"next": urls.admin_target(next), "error": "",
                                        "oidc": oidc.configured(request)})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await form_of(request)
    if form is None:
        return bad_csrf(request)
    target = urls.admin_target(text(form, "next"))
    try:
        user = accounts.authenticate(platform(request).catalogue, text(form, "email"),
                                     text(form, "password"), client_of(request))
    except AccountError as e:
        return page(request, "login.html", {"next": target, "error": e.message,
                                            "email": text(form, "email"),
                                            "oidc": oidc.configured(request)}, status=400)
    response = RedirectResponse(target, status_code=303)
    sessions.sign_in(request, response, user.id)
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
    if current_user(request) is None:
        return to_login(request)
    return page(request, "account.html", {"error": "", "changed": changed == "password"})


@router.post("/account/password")
async def change_password(request: Request) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    new, again = text(form, "new_password"), text(form, "new_password_again")
    try:
        if new != again:
            raise AccountError("The new passwords do not match: type the same one twice.")
        accounts.change_password(platform(request).catalogue, user,
                                 text(form, "current_password"), new, client_of(request))
    except AccountError as e:
        return page(request, "account.html", {"error": e.message, "changed": False}, 400)
    # Every session of this person has ended, this one too: this browser gets a new one.
    response = RedirectResponse("/admin/account?changed=password", status_code=303)
    sessions.sign_in(request, response, user.id)
    return response


# --- accounts, for administrators ----------------------------------------------------------
def users_context(request: Request) -> dict[str, Any]:
    found = accounts.people(platform(request).catalogue)
    return {"people": found.people, "live": found.live, "roles": [(r, r) for r in ROLES],
            "publications": [("", "(none)"), *((p.id, p.title) for p in found.publications)]}


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    if not allowed(user, "manage_users"):
        return forbidden(request)
    return page(request, "users.html", users_context(request))


# Which field of the account form an account problem is about (catalogue/accounts.py words).
ACCOUNT_FIELDS = (("password", "password"), ("role", "role"), ("email", "email"),
                  ("account for", "email"), ("publication", "publication_id"))


def account_problem(e: AccountError) -> Problem:
    field = next((f for word, f in ACCOUNT_FIELDS if word in e.message), "")
    return Problem(field, e.message[:1].upper() + e.message[1:] + ".")


async def _admin_form(request: Request) -> tuple[User, FormData] | Response:
    """(user, form) for an administrator's form with a good CSRF token, or the answer to
    give instead."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    if not allowed(signed[0], "manage_users"):
        return forbidden(request)
    return signed


@router.post("/users")
async def create_user(request: Request) -> Response:
    signed = await _admin_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    publication_id = text(form, "publication_id")
    try:
        accounts.create_user(platform(request).catalogue, text(form, "email"),
                             text(form, "password"), text(form, "role"), text(form, "name"),
                             (publication_id,) if publication_id else (), by=user)
    except AccountError as e:
        return again(request, "users.html", users_context(request),
                     FormState.of("account", form, [account_problem(e)]))
    return done(request, "/admin/users", f"Account created for {text(form, 'email').strip()}")


@router.post("/users/{user_id}/end-sessions")
async def end_sessions(request: Request, user_id: str) -> Response:
    signed = await _admin_form(request)
    if isinstance(signed, Response):
        return signed
    user, _ = signed
    catalogue = platform(request).catalogue
    if accounts.user_by_id(catalogue, user_id) is None:
        return message(request, "There is no such account", "", 404)
    ended = accounts.end_sessions(catalogue, user_id, by=user)
    return done(request, "/admin/users", f"Ended {ended} session{'' if ended == 1 else 's'}: "
                "they are signed out everywhere")
