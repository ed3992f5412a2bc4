"""Running openstats in production: request ids, JSON logs, Prometheus metrics, readiness.

`install(app)` adds one ASGI middleware and two routes:

- every request gets an id (the caller's `X-Request-ID` when it is sane, else a new
  one), echoed in the answer's `X-Request-ID` header and written on every log line
  made while the request runs;
- one JSON access-log line per request (time, level, message, request id, method,
  route template, path, status, duration), and the counts and latencies in Prometheus
  metrics, labelled by route template (`/api/v1/data-sets/{dataSetId}`), never by raw
  path, so the number of series stays fixed however many ids are asked for;
- `/metrics` in Prometheus' text format (summed over every worker process in
  multiprocess mode), and `/readyz`: 200 when the catalogue database answers
  `SELECT 1` and the storage is reachable, else 503 naming what failed.

The JSON log format itself is in `openstats.logs`.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openstats import metrics
from openstats.logs import REQUEST_ID

# A caller's id is kept only if it is short and plain: it goes into headers and logs.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
access_log = logging.getLogger("openstats.access")
log = logging.getLogger("openstats")


# --- the middleware ----------------------------------------------------------------------------
def route_template(scope: Scope) -> str:
    """The matched route's full template; one label for everything unmatched (404s,
    redirects made before routing).

    FastAPI hands over the route as written in its router (`/data-sets/{dataSetId}`),
    without the prefix it was included under (`/api/v1` or `/statistics/v1`). The prefix
    is what the path has before the part that route matched, and as the route matched,
    it is one of our fixed prefixes: the label set stays bounded.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return "unmatched"
    path = str(scope.get("path", ""))
    try:
        matched = template.format(**{k: str(v) for k, v in scope.get("path_params",
                                                                         {}).items()})
    except (KeyError, IndexError, ValueError):
        return template
    if matched and path.endswith(matched):
        return path[: len(path) - len(matched)] + template
    return template


class Observe:
    """Pure ASGI (not BaseHTTPMiddleware), so streamed downloads pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _SANE_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500
            log.exception("unhandled error", extra={"path": scope.get("path", "")})
            raise
        finally:
            seconds = time.perf_counter() - started
            method, route = scope.get("method", ""), route_template(scope)
            metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
            metrics.HTTP_SECONDS.labels(method, route).observe(seconds)
            access_log.info(f"{method} {scope.get('path', '')} {status}", extra={
                "method": method, "route": route, "path": scope.get("path", ""),
                "status": status, "duration_ms": round(seconds * 1000, 3)})
            REQUEST_ID.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None


# --- /metrics and /readyz ----------------------------------------------------------------------
def metrics_text() -> bytes:
    """Every metric; in multiprocess mode, the sum over all worker processes' files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(REGISTRY))


def readiness(platform: Any) -> tuple[bool, dict[str, str]]:
    """(ready, check -> "ok" or what went wrong): the database and the storage."""
    checks: dict[str, str] = {}
    try:
        platform.catalogue.ping()
        checks["database"] = "ok"
    except Exception as e:  # noqa: BLE001 - any failure means "not ready", named below
        log.warning("readiness: database unreachable", exc_info=True)
        checks["database"] = f"unreachable: {type(e).__name__}"
    try:
        check = getattr(platform.storage, "check", None)
        if callable(check):
            check()  # S3 and other stores say themselves whether they answer
        else:
            root = getattr(platform.storage, "root", None)
            if root is not None and not (os.path.isdir(root) and os.access(root, os.R_OK)):
                raise FileNotFoundError(f"{root} is not a readable folder")
        checks["storage"] = "ok"
    except Exception as e:  # noqa: BLE001
        log.warning("readiness: storage unreachable", exc_info=True)
        checks["storage"] = f"unreachable: {type(e).__name__}"
    return all(v == "ok" for v in checks.values()), checks


def install(app: FastAPI) -> None:
    """Request ids, access logs and metrics around every request; /metrics and /readyz."""
    app.add_middleware(Observe)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics_text(), media_type=CONTENT_TYPE_LATEST,
                        headers={"Cache-Control": "no-store"})

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request) -> JSONResponse:
        ready, checks = readiness(request.app.state.platform)
        body: dict[str, Any] = {"status": "ready" if ready else "unavailable", "checks": checks}
        if not ready:
            body["failed"] = [name for name, result in checks.items() if result != "ok"]
        return JSONResponse(body, status_code=200 if ready else 503,
                            headers={"Cache-Control": "no-store"})
