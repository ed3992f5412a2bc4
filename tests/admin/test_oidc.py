"""Single sign-on against a small OpenID Connect provider run by the test on loopback."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Form, Header, HTTPException
from fastapi.responses import RedirectResponse

from openstats.catalogue import accounts
from openstats.platform import open_platform
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD
from tests.api.conftest import LiveServer, serve
from tests.conftest import REFERENCE

CLIENT_ID, CLIENT_SECRET = "openstats", "s3cret"


def identity_provider(base: str, who: dict[str, str]) -> FastAPI:
    """Just enough of a provider: discovery, authorize (auto-consent), token, userinfo."""
    idp = FastAPI()
    codes: dict[str, str] = {}
    tokens: dict[str, str] = {}

    @idp.get("/.well-known/openid-configuration")
    def config() -> dict[str, str]:
        return {"issuer": base, "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token", "userinfo_endpoint": f"{base}/userinfo"}

    @idp.get("/authorize")
    def authorize(client_id: str, redirect_uri: str, state: str,
                  response_type: str) -> RedirectResponse:
        assert client_id == CLIENT_ID and response_type == "code"
        code = secrets.token_urlsafe(8)
        codes[code] = who["email"]
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @idp.post("/token")
    def token(code: str = Form(), grant_type: str = Form(), redirect_uri: str = Form(),
              authorization: str = Header("")) -> dict[str, str]:
        import base64

        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}" or code not in codes:
            raise HTTPException(401)
        access = secrets.token_urlsafe(8)
        tokens[access] = codes.pop(code)
        return {"access_token": access, "token_type": "Bearer"}

    @idp.get("/userinfo")
    def userinfo(authorization: str = Header("")) -> dict[str, object]:
        email = tokens.get(authorization.removeprefix("Bearer "))
        if email is None:
            raise HTTPException(401)
        return {"sub": "1", "email": email, "email_verified": who.get("verified", True)}

    return idp


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    who = {"email": "sso@example.org"}
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


def sign_in(site: LiveServer) -> httpx.Response:
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        login = browser.get(f"{site.base}/admin/login")
        assert "Sign in with your organisation" in login.text
        return browser.get(f"{site.base}/admin/oidc/start")


def test_single_sign_on_for_an_existing_account(sso: tuple[LiveServer, dict]) -> None:
    site, who = sso
    who.update(email="sso@example.org", verified=True)
    answer = sign_in(site)
    assert answer.status_code == 200 and "Signed in as sso@example.org" in answer.text


def test_unknown_people_and_unverified_emails_are_refused(sso: tuple[LiveServer, dict]) -> None:
    site, who = sso
    who.update(email="stranger@example.org", verified=True)
    assert sign_in(site).status_code == 403
    who.update(email="sso@example.org", verified=False)
    assert sign_in(site).status_code == 403


def test_a_forged_callback_is_refused(sso: tuple[LiveServer, dict]) -> None:
    site, _ = sso
    answer = httpx.get(f"{site.base}/admin/oidc/callback", params={"code": "x", "state": "y"})
    assert answer.status_code == 400


def test_accounts_without_a_password_cannot_use_one(sso: tuple[LiveServer, dict]) -> None:
    site, _ = sso
    from tests.admin.helpers import Person

    person = Person(site.base)
    assert person.sign_in("sso@example.org", "").status_code == 400
    assert parse_qs(urlparse(person.sign_in("pw@example.org").headers["location"]).query) == {}
