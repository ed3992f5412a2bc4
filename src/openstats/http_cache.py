"""HTTP caching, one set of rules for the API, the pages and the downloads.

- Every answer worth caching carries an ETag, and a request whose If-None-Match names it
  gets 304 Not Modified with no body.
- Only a URL that pins a version (`dataSetVersion=1.0`, `?version=1.0`) may be kept for
  a year without asking again (`immutable`): versions never change once published.
  Anything that says "latest" (or `2.*`) may change with the next publication, so it is
  kept for a minute and then revalidated with its ETag.
- Pages vary with the session cookie: a signed-in person with pre-release access sees
  what the public cannot, so their pages are `private, no-cache` and never shared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from fastapi import Request, Response

from openstats import __version__

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"
PRIVATE = "private, no-cache"
SESSION_COOKIE = "openstats_session"  # sessions.COOKIE, without importing the web layer


def etag_of(*parts: str | bytes) -> str:
    """A strong ETag over the parts (and our version: a new release may render differently)."""
    digest = hashlib.sha256(__version__.encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(part.encode() if isinstance(part, str) else part)
    return '"' + digest.hexdigest()[:32] + '"'


def pins_version(spec: str | None) -> bool:
    """Does a `dataSetVersion` / `version` value name one version for ever (not 2.*, *)?"""
    return bool(spec and spec.strip()) and "*" not in (spec or "")


def matches(request: Request, etag: str) -> bool:
    """If-None-Match names this ETag (weak comparison, as RFC 9110 asks for GET), or *."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


def cache_control(request: Request, *, pinned: bool, personal: bool = False) -> str:
    if personal and SESSION_COOKIE in request.cookies:
        return PRIVATE
    return IMMUTABLE if pinned else SHORT


def headers_for(request: Request, etag: str, *, pinned: bool, personal: bool = False,
                vary: Iterable[str] = ()) -> dict[str, str]:
    headers = {"ETag": etag, "Cache-Control": cache_control(request, pinned=pinned,
                                                              personal=personal)}
    varies = [*vary, *(["Cookie"] if personal else [])]
    if varies:
        headers["Vary"] = ", ".join(varies)
    return headers


def not_modified(headers: dict[str, str]) -> Response:
    return Response(status_code=304, headers=headers)


def page(request: Request, response: Response, *, pinned: bool = False) -> Response:
    """A rendered page (its whole body in memory): ETag of the body, then 200 or 304.

    This saves the reader's bandwidth, not our work: the page is rendered either way.
    Pages may depend on who is signed in, so they are personal (see module docstring).
    """
    if response.status_code != 200:
        return response
    body = bytes(response.body)
    headers = headers_for(request, etag_of(body), pinned=pinned, personal=True)
    if matches(request, headers["ETag"]):
        return not_modified(headers)
    response.headers.update(headers)
    return response
