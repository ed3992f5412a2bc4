"""The running platform's parts, made from Settings: catalogue and version storage; and
the catalogue database's upkeep the command line runs without a platform (`openstats db`)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openstats.catalogue import data_sets, listing
from openstats.catalogue.db import Catalogue
from openstats.errors import CatalogueUnavailable, StorageError
from openstats.publishing.upload_folders import sweep_uploads
from openstats.settings import Settings
from openstats.storage import Storage, open_storage

if TYPE_CHECKING:  # imported when first used (start-up time of every command)
    from openstats.query.engine import QueryEngine


@dataclass
class Platform:
    settings: Settings
    catalogue: Catalogue
    storage: Storage
    _engine: QueryEngine | None = field(default=None, init=False, repr=False)
    _engine_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                         repr=False)

    @property
    def engine(self) -> QueryEngine:
        """The query engine, made at its first use: only serving and presenting query
        version files, and `openstats import`, `publish` or `user` never load it
        (pyarrow and the query modules, about a tenth of such a command's start-up)."""
        with self._engine_lock:
            if self._engine is None:
                # Here, not at the top: the import is what the laziness saves.
                from openstats.query.engine import QueryEngine
                from openstats.query.serving import ServingCopies

                s = self.settings
                self._engine = QueryEngine(serving_copies=ServingCopies(
                    s.data_dir / "serving", s.serving_copy_min_rows, s.serving_chunk_rows))
            return self._engine

    def close(self) -> None:
        self.catalogue.close()


def open_platform(settings: Settings, *, sweep: bool = False,
                  serve_without_database: bool = False,
                  storage: Storage | None = None) -> Platform:
    """Open (and migrate) the catalogue and storage; `sweep` removes orphan files (of
    versions, and of uploads a crash or a walk-away left). A server passes
    `serve_without_database`: started during a database outage, it serves what was last
    published (kept in data_dir/published) until the database answers. `storage` is one
    the caller opened already (`openstats import` screens a new pair in it first)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if storage is None:
        storage = open_storage(settings)  # first: a bad storage setting fails before any work
    catalogue = Catalogue(settings.sqlalchemy_url, migrate_now=settings.auto_migrate,
                          pool_size=settings.db_pool_size,
                          max_overflow=settings.db_max_overflow,
                          published_dir=settings.data_dir / "published",
                          start_without_database=serve_without_database)
    if sweep:
        try:
            with catalogue.connect() as conn:
                referenced = data_sets.storage_keys(conn)
            storage.sweep(referenced)
        except (StorageError, CatalogueUnavailable) as e:
            # Tidying is not worth refusing to start over: the bucket or the database may
            # be back in a moment, and a readiness probe reports them meanwhile. Without
            # the catalogue nobody knows which versions are orphans: nothing is removed.
            logging.getLogger("openstats").warning("storage sweep skipped: %s", e)
        sweep_uploads(settings.data_dir / "uploads")
    return Platform(settings, catalogue, storage)


def upgrade_database(settings: Settings) -> str:
    """Bring the catalogue database to the newest schema (safe while others start too);
    the revision it is at."""
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = Catalogue(settings.sqlalchemy_url, migrate_now=False, check_schema=False)
    try:
        return catalogue.migrate()
    finally:
        catalogue.close()


def rebuild_listing(settings: Settings) -> None:
    """Rebuild the data catalogue's listing from the catalogue (catalogue/listing.py)."""
    catalogue = Catalogue(settings.sqlalchemy_url)
    try:
        with catalogue.transaction(immediate=True) as conn:
            listing.rebuild(conn)
    finally:
        catalogue.close()
