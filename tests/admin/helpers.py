"""A signed-in browser-like client for the publishing side (cookies, CSRF tokens), over
real HTTP or in-process (FastAPI's InProcessClient, which is an httpx client too)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from openstats.app import create_app
from openstats.settings import Settings
from tests.support.inprocess import InProcessClient

PASSWORD = "correct horse battery staple"


class Person:
    """An httpx client that keeps its session cookie and reads CSRF tokens from forms:
    over HTTP to `base`, or the in-process client given."""

    def __init__(self, base: str | httpx.Client) -> None:
        self.client = (httpx.Client(base_url=base, follow_redirects=False, timeout=60)
                       if isinstance(base, str) else base)
        self.owns_client = isinstance(base, str)

    def __del__(self) -> None:
        # Tests drop a Person without closing it: the connections it opened close with it,
        # not at some later garbage collection as an "unclosed socket" ResourceWarning (an
        # error under pyproject.toml's strict warnings). A client given is its giver's.
        if getattr(self, "owns_client", False):
            self.client.close()

    def token(self, path: str = "/admin/login") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {path} ({page.status_code})"
        return found.group(1)

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.client.post("/admin/login", data={
            "csrf_token": self.token(), "email": email, "password": password,
            "next": "/admin"})

    def post(self, path: str, data: dict[str, Any] | None = None,
             files: dict[str, Any] | None = None, token_from: str = "/admin") -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.token(token_from),
                                            **(data or {})}, files=files)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def follow(self, answer: httpx.Response) -> httpx.Response:
        """The page a redirect (post-redirect-get) leads to; any other answer as it is."""
        if answer.status_code in (302, 303):
            return self.client.get(answer.headers["location"])
        return answer


Browser = Callable[..., "Person"]  # browser(address="192.0.2.1") -> a new Person


@contextmanager
def in_process(settings: Settings) -> Iterator[Browser]:
    """The app on `settings`, in this process: `browser(address)` makes a new browser
    (own cookies) whose requests come from that client address."""
    app = create_app(settings)
    browsers: list[InProcessClient] = []

    def browser(address: str = "192.0.2.1") -> Person:
        client = InProcessClient(app, follow_redirects=False, client=(address, 50000))
        browsers.append(client)
        return Person(client)

    with InProcessClient(app):  # runs the app's start-up and shut-down
        try:
            yield browser
        finally:
            for client in browsers:
                client.close()
