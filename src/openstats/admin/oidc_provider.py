"""Talking to the OpenID Connect provider for admin/oidc.py's routes: its configuration
(discovery), the authorization URL, the code exchange, the ID token's checks and userinfo.
A module of its own so that httpx, Authlib and joserfc load at the first sign-in through
a provider, not with the app (admin/oidc.py says why)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from fastapi import Request
from joserfc import jwt
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from openstats.admin.oidc import SignInProblem, configured
from openstats.model.users import User
from openstats.publishing import accounts

TIMEOUT = 10  # seconds for each call to the provider
LEEWAY = 30  # seconds of clock difference allowed between us and the provider
# Signatures we accept: the provider's public keys only (never "none", nor a shared
# secret), in the usual algorithms.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
              "ES512", "EdDSA")


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


def authorization_url(request: Request, flow: dict[str, str]) -> str:
    """Where to send the person: the provider's authorization endpoint, asking for this
    sign-in's `flow` (state, nonce, PKCE verifier's S256 challenge)."""
    try:
        endpoint: str = discovery(request)["authorization_endpoint"]
    except (httpx.HTTPError, KeyError, ValueError):
        raise SignInProblem("The identity provider did not answer. Try again in a few "
                            "minutes.", 502) from None
    return endpoint + "?" + urlencode({
        "response_type": "code", "client_id": request.app.state.platform.settings
        .oidc_client_id, "redirect_uri": callback_url(request), "scope": "openid email",
        "state": flow["state"], "nonce": flow["nonce"],
        "code_challenge": create_s256_code_challenge(flow["verifier"]),
        "code_challenge_method": "S256"})


def signed_in_user(request: Request, flow: Any, code: str, state: str,
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
