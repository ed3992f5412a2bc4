"""create_app(settings): wires the catalogue, storage and routers, nothing else."""

from __future__ import annotations

from fastapi import FastAPI

from openstats import __version__
from openstats.platform import open_platform
from openstats.settings import Settings
from openstats.web import pages


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    platform = open_platform(settings, sweep=True)
    app = FastAPI(title="openstats", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.platform = platform

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, object]:
        return {"status": "ok", "version": __version__,
                "data_sets": platform.catalogue.counts()["data_sets"]}

    app.include_router(pages.router)
    return app
