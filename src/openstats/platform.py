"""The running platform's parts, made from Settings: catalogue and version storage."""

from __future__ import annotations

from dataclasses import dataclass

from openstats.catalogue.store import Catalogue
from openstats.ingest.uploads import sweep_uploads
from openstats.query.engine import QueryEngine
from openstats.settings import Settings
from openstats.storage.local import LocalStorage


@dataclass
class Platform:
    settings: Settings
    catalogue: Catalogue
    storage: LocalStorage
    engine: QueryEngine

    def close(self) -> None:
        self.catalogue.close()


def open_platform(settings: Settings, *, sweep: bool = False) -> Platform:
    """Open (and migrate) the catalogue and storage; `sweep` removes orphan files (of
    versions, and of uploads a crash or a walk-away left)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = Catalogue(settings.sqlalchemy_url)
    storage = LocalStorage(settings.data_dir / "files")
    if sweep:
        storage.sweep(catalogue.storage_keys())
        sweep_uploads(settings.data_dir / "uploads")
    return Platform(settings, catalogue, storage, QueryEngine())
