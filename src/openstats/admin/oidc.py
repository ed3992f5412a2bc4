"""Optional sign-in with an organisation's OpenID Connect identity provider.

The authorization-code flow with PKCE. At the start we keep a random `state`, `nonce`
and PKCE code verifier in the person's signed session cookie and send them to the
provider with the state, the nonce and the verifier's S256 challenge. The provider
sends them back with a code, which we exchange (server to server, with our client
secret and the verifier) for tokens. Who the person is comes only from the ID token,
checked with maintained libraries: its signature against the provider's published keys
(JWKS) by joserfc, and its claims (`iss` is the provider, `aud` is us, not expired,
the `nonce` is this sign-in's) by Authlib's OpenID Connect rules. The userinfo endpoint
is asked only for an email the ID token leaves out, and only believed when it names the
same subject (`sub`) as the checked ID token.

Only an existing account with that (verified) email may sign in: the provider proves
who someone is, openstats decides what they may do.

The routes are here; talking to the provider (httpx, Authlib, joserfc) is
admin/oidc_provider.py, imported by the routes at the first sign-in through the provider:
those libraries cost each server and command about 150 ms of start-up CPU, and a site
without single sign-on never needs them.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from openstats import sessions
from openstats.admin.pages import page
from openstats.publishing import accounts

router = APIRouter(prefix="/admin/oidc")


class SignInProblem(Exception):
    """Why a sign-in through the provider was refused: a title, a message, a status."""

    def __init__(self, message: str, status: int = 400,
                 title: str = "Sign-in did not work") -> None:
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


def configured(request: Request) -> bool:
    s = request.app.state.platform.settings
    return bool(s.oidc_issuer and s.oidc_client_id)


def _message(request: Request, problem: SignInProblem) -> Response:
    return page(request, "admin_message.html", {"title": problem.title,
                                                "message": problem.message}, problem.status)


@router.get("/start")
def start(request: Request) -> Response:
    if not configured(request):
        return _message(request, SignInProblem("Single sign-on is not set up.", 404,
                                               "Not available"))
    from openstats.admin import oidc_provider  # here, not with the app: start-up CPU

    flow = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48)}  # 64 characters: RFC 7636 asks 43-128
    try:
        target = oidc_provider.authorization_url(request, flow)
    except SignInProblem as problem:
        return _message(request, problem)
    response = RedirectResponse(target, status_code=303)
    sessions.write(request, response, {**sessions.read(request), "oidc": flow})
    return response


@router.get("/callback", name="oidc_callback")
def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    from openstats.admin import oidc_provider  # here, not with the app: start-up CPU

    session = sessions.read(request)
    flow = session.pop("oidc", None)
    try:
        user = oidc_provider.signed_in_user(request, flow, code, state, error)
    except SignInProblem as problem:
        response = _message(request, problem)
        sessions.write(request, response, session)  # this sign-in's secrets are spent
        return response
    accounts.record_single_sign_on(request.app.state.platform.catalogue, user)
    response = RedirectResponse("/admin", status_code=303)
    sessions.sign_in(request, response, user.id)
    return response
