"""create_app(settings): wires the catalogue, storage and routers, nothing else."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from openstats import __version__, failures, observability, security
from openstats.admin import router as admin_router
from openstats.api import answers as api_answers
from openstats.api import diffs as api_diffs
from openstats.api import docs, openapi
from openstats.api import extensions as api_extensions
from openstats.api import quality as api_quality
from openstats.api import routes as api_routes
from openstats.catalogue.db import Catalogue
from openstats.errors import CatalogueUnavailable, StorageUnavailable
from openstats.notify.deliver import deliver_due
from openstats.platform import open_platform
from openstats.publishing import workflow
from openstats.settings import Settings
from openstats.web import (
    alerts,
    feeds,
    finding_pages,
    location_pages,
    pages,
    permalink_pages,
    quality_page,
    release_page,
    table_page,
)
from openstats.web import tables as table_tool

# /api/v1/..., /statistics/v1/... and the same with v1.0 (group 2 is the ".0").
API_VERSIONED = re.compile(r"^/(api|statistics)/v1(\.0)?/", re.IGNORECASE)

API_DESCRIPTION = """The public data API of openstats, compatible with version 1 of the
Explore education statistics (EES) public data API: the same paths, parameters and
JSON shapes, so code written for EES works here with only its base URL changed
(`/api` here for EES's `/statistics`; `/statistics/v1/...` works too).

Extensions of ours, not part of EES's API, are marked "openstats extension" and carry
`x-openstats-extension: true`: `asOf=` on every endpoint that takes a version (the
version public at that moment), the observation-level diff between two versions
(`/versions/{v}/diff?from=`), the open formats of the query (`format=`), availability,
quality reports, CSVW metadata and the change feed."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    platform = open_platform(settings, sweep=True, serve_without_database=True)
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The scheduler marks approved releases as published once their time comes.
        # Visibility needs no job (a version is public from its publish time), so a
        # stopped scheduler can never publish anything early, only record it late.
        # Every replica runs one; publish_due records each release once whoever runs it.
        stop = threading.Event()
        log = logging.getLogger("openstats.scheduler")

        def run() -> None:
            while not stop.wait(settings.scheduler_seconds):
                try:
                    workflow.publish_due(platform.catalogue)  # logs and counts each one
                except CatalogueUnavailable as e:
                    # Recorded at the next tick once the database is back; visibility never
                    # waited for it anyway.
                    log.warning("scheduler: %s", e)
                except Exception:  # noqa: BLE001 - keep the loop alive; logged by the server
                    log.exception("scheduler")

        def send() -> None:
            # Its own thread: a slow or failing webhook receiver or mail server delays only
            # the deliveries, never the scheduler above (notify/deliver.py).
            while not stop.wait(settings.delivery_seconds):
                try:
                    deliver_due(platform.catalogue, settings)
                except CatalogueUnavailable as e:
                    log.warning("delivery: %s", e)
                except Exception:  # noqa: BLE001 - keep the loop alive; logged by the server
                    log.exception("delivery")

        thread = threading.Thread(target=run, name="openstats-scheduler", daemon=True)
        sender = threading.Thread(target=send, name="openstats-delivery", daemon=True)
        if settings.scheduler_seconds > 0:
            thread.start()
        if settings.delivery_seconds > 0:
            sender.start()
        yield
        # Shutdown (SIGTERM): uvicorn has finished in-flight requests by now; let a
        # publish_due in progress commit, then close the database pool. A delivery cut
        # short is sent again by the next process (its claim lapses): at least once.
        stop.set()
        for running in (thread, sender):
            if running.is_alive():
                running.join(timeout=30)
        log.info("scheduler stopped")
        platform.close()

    app = FastAPI(title="openstats public data API", version=__version__, lifespan=lifespan,
                  description=API_DESCRIPTION, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  openapi_tags=[{"name": "Publications", "description": "Publications "
                                 "with published data sets"},
                                {"name": "Data sets", "description": "Data sets, their "
                                 "versions, metadata, queries and files"},
                                {"name": openapi.EXTENSION_TAG, "description": "Operations "
                                 "of openstats that EES's API does not have (each marked "
                                 "x-openstats-extension): what changed between versions, "
                                 "data quality, what has data (availability), CSVW metadata; "
                                 "the query's open formats are the `format` parameter of the "
                                 "query routes"}])
    app.state.platform = platform

    app.add_middleware(LowerCaseApiPaths)

    failure_log = logging.getLogger("openstats.failures")

    @app.exception_handler(CatalogueUnavailable)
    async def database_away(request: Request, exc: CatalogueUnavailable) -> Response:
        failure_log.warning("%s %s: %s", request.method, request.url.path, exc)
        return failures.unavailable(request, "database")

    @app.exception_handler(StorageUnavailable)
    async def storage_away(request: Request, exc: StorageUnavailable) -> Response:
        failure_log.warning("%s %s: %s", request.method, request.url.path, exc)
        return failures.unavailable(request, "storage")

    app.add_middleware(PublishingNeedsTheDatabase, catalogue=platform.catalogue)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Never a stack trace to the public; the server log keeps the detail.
        return failures.server_error(request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Pages get the GOV.UK "Page not found" page; the API answers problem details.
        if exc.status_code == 404 and not request.url.path.startswith(("/api", "/statistics")):
            return pages.not_found(request)
        if request.url.path.startswith(("/api", "/statistics")):
            return api_answers.problem(exc.status_code) if exc.status_code in (
                403, 404, 413, 415) else JSONResponse({"title": str(exc.detail),
                                                       "status": exc.status_code},
                                                      status_code=exc.status_code)
        return HTMLResponse(str(exc.detail), status_code=exc.status_code)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(docs.render(app.openapi()))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, object]:
        # Alive even while the database is away (that is /readyz's to say): a liveness
        # probe failing then would restart every replica for nothing.
        try:
            data_sets: int | None = platform.catalogue.counts()["data_sets"]
        except Exception:  # noqa: BLE001
            data_sets = None
        return {"status": "ok", "version": __version__, "data_sets": data_sets}

    app.include_router(api_routes.router, prefix="/api/v1")
    app.include_router(api_routes.router, prefix="/statistics/v1", include_in_schema=False)
    # Our extensions of EES's API (each marked x-openstats-extension in the document).
    for extension in (api_diffs.router, api_quality.router, api_extensions.router):
        app.include_router(extension, prefix="/api/v1")
        app.include_router(extension, prefix="/statistics/v1", include_in_schema=False)
    # Only the public data API belongs in the OpenAPI document.
    app.include_router(pages.router, include_in_schema=False)
    # Before the release pages: /find-statistics/<publication>/feed.atom and
    # .../email-alerts would otherwise be read as release slugs.
    app.include_router(feeds.router, include_in_schema=False)
    app.include_router(alerts.router, include_in_schema=False)
    app.include_router(release_page.router, include_in_schema=False)
    app.include_router(quality_page.router, include_in_schema=False)
    app.include_router(location_pages.router, include_in_schema=False)
    app.include_router(finding_pages.router, include_in_schema=False)
    app.include_router(table_tool.router, include_in_schema=False)
    app.include_router(table_page.router, include_in_schema=False)
    app.include_router(permalink_pages.router, include_in_schema=False)
    app.include_router(admin_router, include_in_schema=False)
    static = Path(__file__).parent / "web" / "static"
    static.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=static), name="static")
    # Added last, so it is the outermost app middleware and sees every answer (and redirect).
    observability.install(app)  # request ids, JSON access log, /metrics, /readyz
    # Wraps even Starlette's error middleware: 500s carry the headers, floods are refused
    # before any other work (so 413/429 answers are not in the access log or metrics).
    security.install(app, settings)  # headers, body limits, API rate limit (security.py)
    return app


class LowerCaseApiPaths:
    """EES redirects any API path with capitals to its lower-case form (308), and reads
    "v1.0" in a path as "v1".

    Pure ASGI rather than `@app.middleware("http")`: that wrapper runs every request
    through an extra task and body stream, which measured as a large share of a small
    answer's time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        versioned = API_VERSIONED.match(path)
        if versioned and path != path.lower():
            # The decoded path, re-encoded: escapes such as %5C are not capitals
            # (lower-casing them made a redirect loop, found by test_api_fuzz.py).
            query = scope.get("query_string", b"").decode("latin-1")
            target = quote(path.lower()) + (f"?{query}" if query else "")
            await RedirectResponse(target, status_code=308)(scope, receive, send)
            return
        if versioned and versioned.group(2):
            # EES versions its API by URL segment and reads "v1.0" as "v1" (DfE's R client
            # eesyapi builds v1.0 URLs): answered in place, as the same resource.
            inner = path[: versioned.start(2)] + path[versioned.end(2):]
            # In place: the outer layers (access log, metrics) read the route from it.
            scope["path"] = inner
            scope["raw_path"] = quote(inner).encode()
        await self.app(scope, receive, send)


class PublishingNeedsTheDatabase:
    """Every publishing page reads or writes the catalogue: while it is away, say so at
    once (even the sign-in form), rather than let a form be filled in for nothing.

    Pure ASGI rather than `@app.middleware("http")`: that wrapper ends a streamed answer
    cleanly when its body fails part way, so a download cut short by a missing or broken
    file looked complete (tests/security/test_errors.py); here the connection is closed.
    """

    def __init__(self, app: ASGIApp, catalogue: Catalogue) -> None:
        self.app = app
        self.catalogue = catalogue

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith(failures.PUBLISHING):
            try:
                await run_in_threadpool(self.catalogue.ping)
            except CatalogueUnavailable as e:
                request = Request(scope, receive)
                logging.getLogger("openstats.failures").warning(
                    "%s %s: %s", request.method, request.url.path, e)
                await failures.unavailable(request, "database")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def app_from_env() -> FastAPI:
    """The app from OPENSTATS_* variables alone: the factory each server worker calls."""
    return create_app(Settings())
