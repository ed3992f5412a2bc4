"""Single sign-on against a small OpenID Connect provider run by the test on loopback.

The provider signs real ID tokens (RS256, its key published as a JWKS) and insists on
PKCE (S256), as real ones do. It can be told to misbehave the ways an attacker or a
broken provider would: a token signed with another key, expired, for another audience,
from another issuer, with another sign-in's nonce, without an email (so that userinfo
must be asked, and may name someone else). Each must be refused with a clear GOV.UK
message and nobody signed in.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Form, Header, HTTPException
from fastapi.responses import JSONResponse, RedirectResponse
from itsdangerous import URLSafeTimedSerializer
from joserfc import jwt
from joserfc.jwk import RSAKey

from openstats.catalogue import accounts
from openstats.platform import open_platform
from openstats.sessions import COOKIE
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD
from tests.api.conftest import LiveServer, serve
from tests.conftest import REFERENCE, free_port

CLIENT_ID, CLIENT_SECRET = "openstats", "s3cret"
SSO = tuple[LiveServer, dict[str, Any]]  # the site, and what the provider is told to do
KEY = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
# Another key with the same key id: what a forger would sign with.
FORGER = RSAKey.generate_key(2048, parameters={"kid": "key-1"})


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def identity_provider(base: str, who: dict[str, Any]) -> FastAPI:
    """Just enough of a provider: discovery, JWKS, authorize (auto-consent), token,
    userinfo. `who` says who signs in and how the provider should misbehave."""
    idp = FastAPI()
    codes: dict[str, dict[str, str]] = {}
    tokens: dict[str, str] = {}

    @idp.get("/.well-known/openid-configuration")
    def config() -> dict[str, Any]:
        return {"issuer": base, "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token", "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks", "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]}

    @idp.get("/jwks")
    def jwks() -> dict[str, Any]:
        return {"keys": [KEY.as_dict(private=False)]}

    @idp.get("/authorize")
    def authorize(client_id: str, redirect_uri: str, state: str, response_type: str,
                  nonce: str = "", code_challenge: str = "",
                  code_challenge_method: str = "") -> RedirectResponse:
        assert client_id == CLIENT_ID and response_type == "code"
        if not code_challenge or code_challenge_method != "S256":
            refusal = urlencode({"error": "invalid_request", "state": state})
            return RedirectResponse(f"{redirect_uri}?{refusal}")
        code = secrets.token_urlsafe(8)
        codes[code] = {"email": who["email"], "nonce": nonce, "challenge": code_challenge}
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @idp.post("/token", response_model=None)
    def token(code: str = Form(), grant_type: str = Form(), redirect_uri: str = Form(),
              code_verifier: str = Form(""), authorization: str = Header("")
              ) -> dict[str, str] | JSONResponse:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            raise HTTPException(401)
        grant = codes.pop(code, None)
        if grant is None or grant_type != "authorization_code" or \
                s256(code_verifier) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = secrets.token_urlsafe(8)
        tokens[access] = grant["email"]
        return {"access_token": access, "token_type": "Bearer",
                "id_token": id_token(base, grant, who.get("tamper", ""), who)}

    @idp.get("/userinfo")
    def userinfo(authorization: str = Header("")) -> dict[str, object]:
        email = tokens.get(authorization.removeprefix("Bearer "))
        if email is None:
            raise HTTPException(401)
        return {"sub": who.get("userinfo_sub", "1"), "email": who.get("userinfo_email", email),
                "email_verified": who.get("verified", True)}

    return idp


def id_token(base: str, grant: dict[str, str], tamper: str, who: dict[str, Any]) -> str:
    at = int(time.time())
    claims: dict[str, Any] = {
        "iss": "http://127.0.0.1:1/other" if tamper == "issuer" else base, "sub": "1",
        "aud": "someone-else" if tamper == "audience" else CLIENT_ID,
        "iat": at - 3600 if tamper == "expired" else at,
        "exp": at - 600 if tamper == "expired" else at + 300,
        "nonce": "another sign-in's nonce" if tamper == "nonce" else grant["nonce"],
        "email": grant["email"], "email_verified": who.get("verified", True)}
    if tamper == "no_email":
        del claims["email"], claims["email_verified"]
    return jwt.encode({"alg": "RS256", "kid": "key-1"}, claims,
                      FORGER if tamper == "forged" else KEY)


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSO]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    who: dict[str, Any] = {"email": "sso@example.org"}
    server = uvicorn.Server(uvicorn.Config(identity_provider(base, who), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    folder = tmp_path_factory.mktemp("sso")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        oidc_issuer=base, oidc_client_id=CLIENT_ID,
                        oidc_client_secret=CLIENT_SECRET)
    platform = open_platform(settings)
    accounts.create_user(platform.catalogue, "sso@example.org", None, "publisher")
    accounts.create_user(platform.catalogue, "pw@example.org", PASSWORD, "publisher")
    platform.close()
    for site in serve(settings):
        yield site, who
    server.should_exit = True


@pytest.fixture(autouse=True)
def honest(sso: SSO) -> Iterator[None]:
    """Each test starts with an honest provider and the usual person."""
    who = sso[1]
    who.clear()
    who["email"] = "sso@example.org"
    yield


def signed_in(browser: httpx.Client) -> bool:
    answer = browser.get("/admin")
    return answer.status_code == 200 and "Signed in as" in answer.text


def sign_in(site: LiveServer, browser: httpx.Client | None = None) -> httpx.Response:
    """The whole flow in one browser (following every redirect)."""
    if browser is None:
        with httpx.Client(base_url=site.base, follow_redirects=True, timeout=30) as own:
            return sign_in(site, own)
    login = browser.get(f"{site.base}/admin/login")
    assert "Sign in with your organisation" in login.text
    return browser.get(f"{site.base}/admin/oidc/start")


def test_single_sign_on_for_an_existing_account(sso: SSO) -> None:
    site, _ = sso
    answer = sign_in(site)
    assert answer.status_code == 200 and "Signed in as sso@example.org" in answer.text


def test_the_authorisation_request_carries_pkce_and_a_nonce(sso: SSO
                                                           ) -> None:
    site, _ = sso
    start = httpx.get(f"{site.base}/admin/oidc/start", follow_redirects=False)
    assert start.status_code == 303
    asked = parse_qs(urlparse(start.headers["location"]).query)
    assert asked["code_challenge_method"] == ["S256"]
    assert len(asked["code_challenge"][0]) == 43  # a SHA-256, base64url without padding
    assert len(asked["nonce"][0]) >= 32 and len(asked["state"][0]) >= 32
    assert asked["scope"] == ["openid email"]


@pytest.mark.parametrize(("tamper", "words"), [
    ("forged", "not signed with the identity provider's keys"),
    ("expired", "The sign-in token has expired"),
    ("audience", "issued for another service"),
    ("issuer", "issued by another identity provider"),
    ("nonce", "belongs to another sign-in"),
])
def test_a_bad_id_token_signs_nobody_in(sso: SSO, tamper: str,
                                        words: str) -> None:
    site, who = sso
    who["tamper"] = tamper
    with httpx.Client(base_url=site.base, follow_redirects=True, timeout=30) as browser:
        answer = sign_in(site, browser)
        assert answer.status_code == 400, answer.text[:300]
        assert "Sign-in did not work" in answer.text and words in html.unescape(answer.text)
        assert 'class="govuk-heading-l"' in answer.text  # a GOV.UK page, not JSON
        assert not signed_in(browser)


def test_a_stolen_code_is_useless_without_its_pkce_verifier(sso: SSO
                                                           ) -> None:
    """An attacker who intercepts the victim's code and replays it in their own browser,
    with a sign-in of their own (own state, own verifier), gets nothing."""
    site, _ = sso
    with httpx.Client(base_url=site.base, timeout=30) as victim, \
            httpx.Client(base_url=site.base, timeout=30) as attacker:
        to_provider = victim.get("/admin/oidc/start").headers["location"]
        back = httpx.get(to_provider).headers["location"]
        stolen_code = parse_qs(urlparse(back).query)["code"][0]
        own = parse_qs(urlparse(attacker.get("/admin/oidc/start").headers["location"]).query)
        answer = attacker.get("/admin/oidc/callback", params={
            "code": stolen_code, "state": own["state"][0]})
        assert answer.status_code == 400 and "PKCE verifier was refused" in answer.text
        assert not signed_in(attacker)


def test_a_sign_in_without_its_pkce_verifier_is_refused(sso: SSO
                                                       ) -> None:
    site, _ = sso
    key = Settings(data_dir=site.data_dir).signing_key()
    cookie = URLSafeTimedSerializer(key, salt="openstats.session", signer_kwargs={
        "digest_method": hashlib.sha256}).dumps({"csrf": "x", "oidc": {
            "state": "the-state", "nonce": "the-nonce"}})
    with httpx.Client(base_url=site.base, timeout=30, cookies={COOKIE: cookie}) as browser:
        answer = browser.get("/admin/oidc/callback", params={"code": "a-code",
                                                             "state": "the-state"})
        assert answer.status_code == 400 and "missing its security codes" in answer.text
        assert not signed_in(browser)


def test_a_provider_refusing_pkce_less_requests_is_reported(sso: SSO
                                                           ) -> None:
    site, _ = sso
    with httpx.Client(base_url=site.base, timeout=30) as browser:
        start = browser.get("/admin/oidc/start").headers["location"]
        state = parse_qs(urlparse(start).query)["state"][0]
        answer = browser.get("/admin/oidc/callback", params={"error": "invalid_request",
                                                             "state": state})
        assert answer.status_code == 400 and "did not sign you in (invalid_request)" in \
            answer.text
        # The spent sign-in cannot be completed afterwards either.
        again = browser.get("/admin/oidc/callback", params={"code": "x", "state": state})
        assert again.status_code == 400 and not signed_in(browser)


def test_userinfo_is_believed_only_for_the_id_tokens_subject(sso: SSO
                                                            ) -> None:
    site, who = sso
    who.update(tamper="no_email")  # the ID token names no email: userinfo is asked
    answer = sign_in(site)
    assert answer.status_code == 200 and "Signed in as sso@example.org" in answer.text
    # A userinfo answer about another subject (say, an administrator) is not believed.
    who.update(userinfo_sub="2", userinfo_email="pw@example.org")
    with httpx.Client(base_url=site.base, follow_redirects=True, timeout=30) as browser:
        answer = sign_in(site, browser)
        assert answer.status_code == 502 and "disagree about who you are" in answer.text
        assert not signed_in(browser)


def test_unknown_people_and_unverified_emails_are_refused(sso: SSO) -> None:
    site, who = sso
    who.update(email="stranger@example.org", verified=True)
    assert sign_in(site).status_code == 403
    who.update(email="sso@example.org", verified=False)
    assert sign_in(site).status_code == 403


def test_a_forged_callback_is_refused(sso: SSO) -> None:
    site, _ = sso
    answer = httpx.get(f"{site.base}/admin/oidc/callback", params={"code": "x", "state": "y"})
    assert answer.status_code == 400


def test_accounts_without_a_password_cannot_use_one(sso: SSO) -> None:
    site, _ = sso
    from tests.admin.helpers import Person

    person = Person(site.base)
    assert person.sign_in("sso@example.org", "").status_code == 400
    assert parse_qs(urlparse(person.sign_in("pw@example.org").headers["location"]).query) == {}
