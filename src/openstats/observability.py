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

`log_config()` is the logging set-up `openstats serve` hands to uvicorn, so uvicorn's
own lines are JSON objects too.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openstats import metrics

REQUEST_ID: ContextVar[str | None] = ContextVar("openstats_request_id", default=None)
# A caller's id is kept only if it is short and plain: it goes into headers and logs.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
access_log = logging.getLogger("openstats.access")
log = logging.getLogger("openstats")


# --- JSON logs ---------------------------------------------------------------------------------
# LogRecord attributes that are not extra fields of ours.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message",
                                                                               "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(level: str = "info") -> dict[str, Any]:
    """logging.config.dictConfig for the server: ours and uvicorn's lines, all JSON, stdout.

    uvicorn's own access log is left off (`access_log=False`): our middleware writes a
    richer line per request (request id, route, duration).
    """
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stdout"}},
        "loggers": {
            "uvicorn": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "openstats": {"handlers": ["stdout"], "level": level, "propagate": False},
        },
    }


# --- the middleware ----------------------------------------------------------------------------
def route_template(scope: Scope) -> str:
    """The matched route's template; one label for everything unmatched (404s, redirects)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    # Mounted apps (static files) match by prefix: their prefix is the template.
    return "unmatched" if template is None else str(template)


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
        prometheus_multiprocess.MultiProcessCollector(registry)
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
