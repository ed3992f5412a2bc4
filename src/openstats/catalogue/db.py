"""The catalogue database: the engine, transactions, migrations, locks, the generation.

SQLite by default, PostgreSQL when its URL is given. The other catalogue modules hold
the SQL for one kind of thing each and take a `Connection` from `Catalogue.transaction()`
(writes that belong together share one transaction, so a failure leaves the catalogue as
it was) or `Catalogue.connect()` (reads).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, func, select, text, update
from sqlalchemy.engine import Connection, Engine

from openstats.catalogue import listing, locks, migrate
from openstats.catalogue.data_sets import MetadataCache
from openstats.catalogue.published import SnapshotCache
from openstats.catalogue.schema import (
    catalogue_state,
    data_set_versions,
    data_sets,
    publications,
    releases,
    themes,
)


class Catalogue:
    """The catalogue database and the caches kept in front of it in this process."""

    def __init__(self, url: str, *, migrate_now: bool = True, check_schema: bool = True,
                 pool_size: int = 5, max_overflow: int = 10) -> None:
        """Open the catalogue; `migrate_now` brings its schema to head (under a lock, so
        processes starting together migrate once), else `check_schema` insists on head."""
        self.url = url
        pooling: dict[str, Any] = {}
        if url.startswith("postgresql"):
            # One pool per process, shared by request threads and the scheduler; pre-ping
            # replaces connections the server or a proxy closed while they sat idle.
            # A bounded connect time: an unreachable server fails /readyz, not hangs it.
            pooling = {"pool_size": pool_size, "max_overflow": max_overflow,
                       "pool_pre_ping": True, "pool_recycle": 1800,
                       "connect_args": {"connect_timeout": 10}}
        self.engine: Engine = create_engine(url, future=True, **pooling)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        if migrate_now:
            self.migrate()
        elif check_schema:
            migrate.check(self.engine)
        self.metadata = MetadataCache(self)
        self.snapshots = SnapshotCache(self)
        self.listings = listing.ListingCache()

    def migrate(self) -> str:
        """Apply pending migrations once, whoever else is starting; the revision after.
        Then fill the derived listing if a migration has just made it (listing.py)."""
        revision = migrate.migrate(self.engine)
        with self.transaction(immediate=True) as conn:
            listing.ensure_built(conn)
        return revision

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """A lock held across every process using this catalogue (see catalogue.locks)."""
        with locks.exclusive(self.engine, name):
            yield

    def ping(self) -> None:
        """Raise unless the database answers (for readiness checks)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[Connection]:
        """One transaction; `immediate` takes SQLite's write lock at its start, for
        read-then-write work that another process may be doing at the same moment."""
        with self.engine.connect() as conn:
            # info belongs to the pooled DBAPI connection: set for this use only.
            conn.info["begin_immediate"] = immediate
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop("begin_immediate", None)

    def generation(self) -> int:
        """The number `bump_generation` moves: readers compare it with their snapshot's."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(catalogue_state.c.generation)
                                    .where(catalogue_state.c.id == 1)).scalar_one())

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (themes, publications, releases, data_sets, data_set_versions)}


def bump_generation(conn: Connection, release_id: str | None = None) -> None:
    """Say that what is (or will become) public has changed, in the writing transaction:
    every process rereads its snapshot of the published catalogue on its next request.
    With the release whose versions changed, the catalogue's listing of its data sets is
    rewritten in the same transaction (catalogue/listing.py)."""
    conn.execute(update(catalogue_state).where(catalogue_state.c.id == 1)
                 .values(generation=catalogue_state.c.generation + 1))
    if release_id is not None:
        listing.refresh_release(conn, release_id)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take over transactions from Python's sqlite3 (see _sqlite_begin), so that schema
    # changes are all-or-nothing like everything else.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the web app) go on while an import commits; FKs are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("begin_immediate") else "BEGIN")
