"""How the app answers when something inside it fails: a GOV.UK page for the public pages
and the publishing side, RFC 9457 problem details for the API; never a traceback, SQL or
a path (the server's log keeps the detail).

- 500, something we did not expect (a bug, a broken file): "Sorry, there is a problem
  with the service".
- 503, the catalogue database or the file store cannot be reached: `Retry-After`, and a
  page saying what is wrong and what still works. Published statistics stay readable from
  the last published snapshot (catalogue/published.py); what needs the database (the
  publishing side, permalinks, signing in) waits until it is back, and recovers by
  itself once it is.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from openstats.web.pages import templates

log = logging.getLogger("openstats.failures")
RETRY_AFTER_SECONDS = 30
API_PREFIXES = ("/api", "/statistics")
PUBLISHING = "/admin"

PROBLEM_TYPES = {500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
                 503: "https://tools.ietf.org/html/rfc9110#section-15.6.4"}
PROBLEM_TITLES = {500: "An error occurred while processing your request.",
                  503: "Service Unavailable"}

# What a 503 says, by what cannot be reached.
API_DETAIL = {
    "database": "The catalogue database is not answering. Published data that does not "
                "need it is still served; try this again in a few minutes.",
    "storage": "The file store is not answering. Files already on this server are still "
               "served; try this again in a few minutes.",
}
PAGE_TEXT = {
    "database": ("Sorry, this page is not available at the moment", [
        "This page needs the catalogue database, which is not answering.",
        "Published statistics are still available: you can browse the data catalogue, "
        "read releases and download data.",
        "Try this page again in a few minutes."]),
    "storage": ("Sorry, this page is not available at the moment", [
        "This page needs a data file from the file store, which is not answering.",
        "Other published statistics may still be available.",
        "Try this page again in a few minutes."]),
}
PUBLISHING_TEXT = {
    "database": ("Publishing is not available at the moment", [
        "The catalogue database is not answering, so nothing can be signed in to, "
        "uploaded, imported, changed or published until it is back. Nothing you sent "
        "with this request was saved.",
        "Readers can still see everything published so far; releases scheduled for "
        "now still go public at their time.",
        "Try again in a few minutes."]),
    "storage": ("Publishing is not available at the moment", [
        "The file store is not answering, so data files cannot be stored or read. "
        "Nothing you sent with this request was saved.",
        "Try again in a few minutes."]),
}
SERVER_ERROR = ("Sorry, there is a problem with the service", [
    "Try again later.",
    "If it keeps happening, tell the team that runs this service what you were doing "
    "and when: the details are in the service's log."])
LINKS = [("Go to the home page", "/"), ("Browse the data catalogue", "/data-catalogue")]


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def problem(status: int, detail: str = "", headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": PROBLEM_TYPES[status], "title": PROBLEM_TITLES[status],
                            "status": status, "traceId": uuid.uuid4().hex}
    if detail:
        body["detail"] = detail
    return JSONResponse(body, status_code=status, headers=headers,
                        media_type="application/problem+json")


def server_error(request: Request) -> Response:
    """A 500: problem details for the API, the GOV.UK page for everything else."""
    if is_api(request):
        return problem(500)
    title, paragraphs = SERVER_ERROR
    return _page(request, 500, title, paragraphs, {})


def unavailable(request: Request, cause: str) -> Response:
    """A 503 because `cause` ("database" or "storage") cannot be reached."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if is_api(request):
        return problem(503, API_DETAIL[cause], headers)
    texts = PUBLISHING_TEXT if request.url.path.startswith(PUBLISHING) else PAGE_TEXT
    title, paragraphs = texts[cause]
    return _page(request, 503, title, paragraphs, headers)


def _page(request: Request, status: int, title: str, paragraphs: list[str],
          headers: dict[str, str]) -> Response:
    try:
        return templates.TemplateResponse(
            request, "problem.html", {"title": title, "paragraphs": paragraphs,
                                      "links": LINKS}, status_code=status, headers=headers)
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        log.exception("the error page could not be rendered")
        return HTMLResponse(f"<!DOCTYPE html><title>{title}</title><h1>{title}</h1>"
                            + "".join(f"<p>{p}</p>" for p in paragraphs),
                            status_code=status, headers=headers)
