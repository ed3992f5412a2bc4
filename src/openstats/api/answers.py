"""The answers every route of the public data API shares, as EES's ASP.NET writes them:
problem details (RFC 9457) for what is wrong, JSON with an ETag (304 when the client has
it), and pages of a list."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from openstats import http_cache
from openstats.query.request import Problem


def problem(status: int, errors: list[Problem] | None = None) -> JSONResponse:
    """RFC 9457 problem details, as EES's ASP.NET writes them."""
    titles = {400: ("https://tools.ietf.org/html/rfc9110#section-15.5.1",
                    "One or more validation errors occurred."),
              403: ("https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"),
              404: ("https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"),
              413: ("https://tools.ietf.org/html/rfc9110#section-15.5.14", "Content Too Large"),
              415: ("https://tools.ietf.org/html/rfc9110#section-15.5.16",
                    "Unsupported Media Type")}
    kind, title = titles[status]
    body: dict[str, Any] = {"type": kind, "title": title, "status": status,
                            "traceId": uuid.uuid4().hex}
    if errors is not None:
        body["errors"] = [e.as_dict() for e in errors]
        for e in body["errors"]:
            if not e["path"]:
                e.pop("path")
    return JSONResponse(body, status_code=status,
                        media_type="application/problem+json")


def not_found() -> JSONResponse:
    return problem(404)


def answer(request: Request, body: Any, *, immutable: bool) -> Response:
    """JSON with an ETag; 304 when the client already has it. `immutable` only when the
    URL pins one version (see http_cache): "latest" answers change with publications."""
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return json_answer(request, content, http_cache.etag_of(content), immutable=immutable)


def json_answer(request: Request, content: bytes, etag: str, *, immutable: bool,
                vary: tuple[str, ...] = ()) -> Response:
    """JSON text already made (a query's answer), with its ETag."""
    headers = http_cache.headers_for(request, etag, pinned=immutable, vary=vary)
    headers["api-supported-versions"] = "1"
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    return Response(content, media_type="application/json", headers=headers)


def paged(items: list[Any], page: int, size: int) -> dict[str, Any]:
    total = len(items)
    return {"paging": {"page": page, "pageSize": size, "totalResults": total,
                       "totalPages": max(1, -(-total // size))},
            "results": items[(page - 1) * size: page * size]}
