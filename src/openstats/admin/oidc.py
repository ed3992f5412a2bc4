"""Optional sign-in with an organisation's OpenID Connect identity provider.

The authorization-code flow: we send the person to the provider with a random `state`
kept in their signed session, the provider sends them back with a code, we exchange the
code for a token directly with the provider (server to server) and ask its userinfo
endpoint who they are. Only an existing account with that (verified) email may sign in:
the provider proves who someone is, openstats decides what they may do.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from openstats import sessions
from openstats.admin.pages import page
from openstats.catalogue import accounts, audit

router = APIRouter(prefix="/admin/oidc")


def configured(request: Request) -> bool:
    s = request.app.state.platform.settings
    return bool(s.oidc_issuer and s.oidc_client_id)


def discovery(request: Request) -> dict[str, Any]:
    cached = getattr(request.app.state, "oidc_discovery", None)
    if cached is None:
        issuer = request.app.state.platform.settings.oidc_issuer.rstrip("/")
        cached = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
        request.app.state.oidc_discovery = cached
    return dict(cached)


def callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/start")
def start(request: Request) -> Response:
    if not configured(request):
        return page(request, "admin_message.html", {"title": "Not available",
                                                    "message": "Single sign-on is not set up."},
                    404)
    state = secrets.token_urlsafe(24)
    settings = request.app.state.platform.settings
    target = discovery(request)["authorization_endpoint"] + "?" + urlencode({
        "response_type": "code", "client_id": settings.oidc_client_id,
        "redirect_uri": callback_url(request), "scope": "openid email", "state": state,
        "nonce": secrets.token_urlsafe(16)})
    response = RedirectResponse(target, status_code=303)
    sessions.write(request, response, {**sessions.read(request), "oidc_state": state})
    return response


@router.get("/callback", name="oidc_callback")
def callback(request: Request, code: str = "", state: str = "") -> Response:
    expected = sessions.read(request).get("oidc_state")
    if not configured(request) or not code or not expected or not secrets.compare_digest(
            str(expected), state):
        return page(request, "admin_message.html", {
            "title": "Sign-in did not work", "message": "Start signing in again."}, 400)
    settings = request.app.state.platform.settings
    endpoints = discovery(request)
    try:
        token = httpx.post(endpoints["token_endpoint"], data={
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": callback_url(request)},
            auth=(settings.oidc_client_id, settings.oidc_client_secret), timeout=10)
        token.raise_for_status()
        info = httpx.get(endpoints["userinfo_endpoint"], timeout=10, headers={
            "Authorization": f"Bearer {token.json()['access_token']}"})
        info.raise_for_status()
        claims = info.json()
    except (httpx.HTTPError, KeyError, ValueError):
        return page(request, "admin_message.html", {
            "title": "Sign-in did not work",
            "message": "The identity provider did not confirm who you are."}, 502)
    email = str(claims.get("email", "")).strip().lower()
    if not email or claims.get("email_verified") is False:
        return page(request, "admin_message.html", {
            "title": "Sign-in did not work",
            "message": "The identity provider gave no verified email address."}, 403)
    catalogue = request.app.state.platform.catalogue
    with catalogue.connect() as conn:
        user = accounts.user_by_email(conn, email)
    if user is None:
        return page(request, "admin_message.html", {
            "title": "You do not have an account",
            "message": f"There is no publishing account for {email}. Ask an administrator."},
            403)
    with catalogue.transaction() as conn:
        audit.record(conn, user, "sign_in_oidc", "user", user.id, "")
    response = RedirectResponse("/admin", status_code=303)
    sessions.write(request, response, {"uid": user.id})
    return response
