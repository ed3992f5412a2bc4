"""A signed-in browser-like client for the publishing side (cookies, CSRF tokens)."""

from __future__ import annotations

import re
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"


class Person:
    """An httpx client that keeps its session cookie and reads CSRF tokens from forms."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)

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
