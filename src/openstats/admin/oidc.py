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
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from openstats import sessions
from openstats.admin.pages import page
from openstats.model.users import User
from openstats.publishing import accounts

router = APIRouter(prefix="/admin/oidc")
TIMEOUT = 10  # seconds for each call to the provider
LEEWAY = 30  # seconds of clock difference allowed between us and the provider
# Signatures we accept: the provider's public keys only (never "none", nor a shared
# secret), in the usual algorithms.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
              "ES512", "EdDSA")


class SignInProblem(Exception):
    """Why a sign-in through the provider was refused: a title, a message, a status."""

    def __init__(self, message: str, status: int = 400,
                 title: str = "Sign-in did not work") -> None:
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


def configured(request: Request) -> bool:
    s = request.app.state.platform.settings
    return bool(s.oidc_issuer and s.oidc_client_id)


def discovery(request: Request) -> dict[str, Any]:
    """The provider's configuration, fetched once per process."""
    cached = getattr(request.app.state, "oidc_discovery", None)
    if cached is None:
        issuer = request.app.state.platform.settings.oidc_issuer
        answer = httpx.get(f"{issuer.rstrip('/')}/.well-known/openid-configuration",
                           timeout=TIMEOUT)
        answer.raise_for_status()
        cached = answer.json()
        # OpenID Connect Discovery 1.0, 4.3: the document must be the issuer's own.
        if not isinstance(cached, dict) or str(cached.get("issuer", "")).rstrip("/") \
                != issuer.rstrip("/"):
            raise SignInProblem("The identity provider's configuration names another "
                                "issuer. Tell your administrator.", 502)
        request.app.state.oidc_discovery = cached
    return dict(cached)


def callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


def _message(request: Request, problem: SignInProblem) -> Response:
    return page(request, "admin_message.html", {"title": problem.title,
                                                "message": problem.message}, problem.status)


@router.get("/start")
def start(request: Request) -> Response:
    if not configured(request):
        return _message(request, SignInProblem("Single sign-on is not set up.", 404,
                                               "Not available"))
    try:
        endpoint = discovery(request)["authorization_endpoint"]
    except (httpx.HTTPError, KeyError, ValueError):
        return _message(request, SignInProblem(
            "The identity provider did not answer. Try again in a few minutes.", 502))
    except SignInProblem as problem:
        return _message(request, problem)
    flow = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48)}  # 64 characters: RFC 7636 asks 43-128
    target = endpoint + "?" + urlencode({
        "response_type": "code", "client_id": request.app.state.platform.settings
        .oidc_client_id, "redirect_uri": callback_url(request), "scope": "openid email",
        "state": flow["state"], "nonce": flow["nonce"],
        "code_challenge": create_s256_code_challenge(flow["verifier"]),
        "code_challenge_method": "S256"})
    response = RedirectResponse(target, status_code=303)
    sessions.write(request, response, {**sessions.read(request), "oidc": flow})
    return response


@router.get("/callback", name="oidc_callback")
def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    session = sessions.read(request)
    flow = session.pop("oidc", None)
    try:
        user = _signed_in_user(request, flow, code, state, error)
    except SignInProblem as problem:
        response = _message(request, problem)
        sessions.write(request, response, session)  # this sign-in's secrets are spent
        return response
    accounts.record_single_sign_on(request.app.state.platform.catalogue, user)
    response = RedirectResponse("/admin", status_code=303)
    sessions.sign_in(request, response, user.id)
    return response


def _signed_in_user(request: Request, flow: Any, code: str, state: str,
                    error: str) -> User:
    """The account the provider vouches for, or SignInProblem saying why not."""
    if not configured(request):
        raise SignInProblem("Single sign-on is not set up.", 404, "Not available")
    if error:
        raise SignInProblem(f"The identity provider did not sign you in ({error[:80]}). "
                            "Start signing in again.")
    if not isinstance(flow, dict) or not code or not flow.get("state") or \
            not secrets.compare_digest(str(flow["state"]).encode(), state.encode()):
        raise SignInProblem("This sign-in was not started here, or has already been "
                            "used. Start signing in again.")
    if not flow.get("verifier") or not flow.get("nonce"):
        raise SignInProblem("This sign-in is missing its security codes. Start signing "
                            "in again.")
    settings = request.app.state.platform.settings
    try:
        endpoints = discovery(request)
        answer = httpx.post(endpoints["token_endpoint"], data={
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": callback_url(request), "code_verifier": flow["verifier"]},
            auth=(settings.oidc_client_id, settings.oidc_client_secret), timeout=TIMEOUT)
        if answer.status_code in (400, 401):
            raise SignInProblem("The identity provider did not accept this sign-in (the "
                                "code or its PKCE verifier was refused). Start signing in "
                                "again.")
        answer.raise_for_status()
        tokens = answer.json()
        keys = httpx.get(endpoints["jwks_uri"], timeout=TIMEOUT)
        keys.raise_for_status()
        key_set = KeySet.import_key_set(keys.json())
    except (httpx.HTTPError, KeyError, ValueError, TypeError, JoseError):
        raise SignInProblem("The identity provider did not answer as it should. Try "
                            "again in a few minutes.", 502) from None
    claims = _checked_id_token(tokens, key_set, endpoints["issuer"], settings.oidc_client_id,
                               str(flow["nonce"]))
    email, verified = claims.get("email"), claims.get("email_verified")
    if not email and endpoints.get("userinfo_endpoint"):
        email, verified = _userinfo_email(endpoints["userinfo_endpoint"], tokens, claims)
    email = str(email or "").strip().lower()
    if not email or verified is False:
        raise SignInProblem("The identity provider gave no verified email address.", 403)
    user = accounts.user_by_email(request.app.state.platform.catalogue, email)
    if user is None:
        raise SignInProblem(f"There is no publishing account for {email}. Ask an "
                            "administrator.", 403, "You do not have an account")
    return user


def _checked_id_token(tokens: Any, key_set: KeySet, issuer: str, client_id: str,
                      nonce: str) -> dict[str, Any]:
    """The ID token's claims, once its signature and claims are checked."""
    id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
    if not isinstance(id_token, str):
        raise SignInProblem("The identity provider sent no ID token.", 502)
    try:
        token = jwt.decode(id_token, key_set, algorithms=list(ALGORITHMS))
        CodeIDToken(token.claims, token.header, options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id}},
            params={"nonce": nonce, "client_id": client_id,
                    "access_token": tokens.get("access_token")}).validate(leeway=LEEWAY)
    except BadSignatureError:
        raise SignInProblem("The sign-in token is not signed with the identity "
                            "provider's keys, so it was refused.") from None
    except ExpiredTokenError:
        raise SignInProblem("The sign-in token has expired. Start signing in "
                            "again.") from None
    except ClaimError as e:
        raise SignInProblem({
            "aud": "The sign-in token was issued for another service, so it was refused.",
            "azp": "The sign-in token was issued for another service, so it was refused.",
            "iss": "The sign-in token was issued by another identity provider, so it was "
                   "refused.",
            "nonce": "The sign-in token belongs to another sign-in, so it was refused. "
                     "Start signing in again.",
        }.get(e.claim, f"The sign-in token's '{e.claim}' is not valid, so it was "
                       "refused.")) from None
    except (JoseError, ValueError):
        raise SignInProblem("The sign-in token could not be checked, so it was "
                            "refused.") from None
    return dict(token.claims)


def _userinfo_email(endpoint: str, tokens: dict[str, Any], claims: dict[str, Any]
                    ) -> tuple[Any, Any]:
    """(email, email_verified) from userinfo, believed only for the ID token's subject."""
    try:
        answer = httpx.get(endpoint, timeout=TIMEOUT, headers={
            "Authorization": f"Bearer {tokens['access_token']}"})
        answer.raise_for_status()
        info = answer.json()
    except (httpx.HTTPError, KeyError, ValueError):
        raise SignInProblem("The identity provider did not answer as it should. Try "
                            "again in a few minutes.", 502) from None
    if not isinstance(info, dict) or info.get("sub") != claims.get("sub"):
        raise SignInProblem("The identity provider's answers disagree about who you "
                            "are, so the sign-in was refused.", 502)
    return info.get("email"), info.get("email_verified")
