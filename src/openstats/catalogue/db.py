"""The catalogue database: the engine, transactions, migrations, locks, the generation.

SQLite by default, PostgreSQL when its URL is given. The other catalogue modules hold
the SQL for one kind of thing each and take a `Connection` from `Catalogue.transaction()`
(writes that belong together share one transaction, so a failure leaves the catalogue as
it was) or `Catalogue.connect()` (reads).

When the database cannot be reached (its server down or restarting, its file gone or
unreadable, too busy to answer), every use raises `CatalogueUnavailable`: readers are
then served from the last published snapshot (catalogue/published.py, kept on local
disk too), and the app answers 503 for what needs the database. After a failure, calls
fail at once for `RETRY_SECONDS` before one tries again, so that during a network
partition requests do not each wait out the connect timeout. A server may start while
the database is away (`start_without_database`): it migrates or checks the schema on its
first successful contact.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event, exc, func, select, text, update
from sqlalchemy.engine import Connection, Engine

from openstats.catalogue import listing, listing_search, locks, migrate, snapshot_file
from openstats.catalogue.data_sets import MetadataCache
from openstats.catalogue.schema import (
    catalogue_state,
    data_set_versions,
    data_sets,
    publications,
    releases,
    themes,
)
from openstats.catalogue.snapshot_cache import SnapshotCache
from openstats.errors import CatalogueUnavailable

log = logging.getLogger("openstats.catalogue")
RETRY_SECONDS = 2.0  # after a failure to reach the database, fail at once for this long
# SQLite's primary result codes that mean "cannot be reached now", not "a wrong query":
# BUSY, LOCKED, READONLY (its file was moved), IOERR, FULL, CANTOPEN, PROTOCOL.
SQLITE_AWAY = frozenset({5, 6, 8, 10, 13, 14, 15})
SQLITE_BUSY = frozenset({5, 6})  # BUSY, LOCKED: answered 503, but the database is there


class Catalogue:
    """The catalogue database and the caches kept in front of it in this process."""

    def __init__(self, url: str, *, migrate_now: bool = True, check_schema: bool = True,
                 pool_size: int = 5, max_overflow: int = 10,
                 published_dir: Path | None = None,
                 start_without_database: bool = False) -> None:
        """Open the catalogue; `migrate_now` brings its schema to head (under a lock, so
        processes starting together migrate once), else `check_schema` insists on head.

        `published_dir` keeps the last published snapshot on local disk, to serve readers
        from while the database is away (also after a restart). `start_without_database`
        lets a server start during an outage instead of failing."""
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
        self.sqlite_file = _sqlite_file(self.engine)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        if self.sqlite_file is not None:
            event.listen(self.engine, "do_connect", _sqlite_existing_only)
            event.listen(self.engine, "connect", _sqlite_remember_file)
            event.listen(self.engine, "checkout", _sqlite_same_file)
        self.published_dir = published_dir
        self._migrate_now, self._check_schema = migrate_now, check_schema
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._retry_at = 0.0
        self._problem = ""
        self.metadata = MetadataCache(self, published_dir)
        self.snapshots = SnapshotCache(self, published_dir)
        self.listings = listing_search.ListingCache()
        try:
            with self._reaching():
                pass  # migrates or checks the schema
        except CatalogueUnavailable as e:
            if not start_without_database:
                raise
            log.warning("catalogue database unreachable at start; serving what was last "
                        "published until it answers: %s", e)

    # --- reaching the database ----------------------------------------------------------
    def where(self) -> str:
        """The database, for messages (no password)."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        """Around every use of the database: the schema ready first, and a failure to reach
        it turned into CatalogueUnavailable (other errors pass unchanged)."""
        if time.monotonic() < self._retry_at:
            raise CatalogueUnavailable(self._problem, self.where())  # tried moments ago
        try:
            if not self._schema_ready:
                self._prepare_schema()
            yield
        except exc.SQLAlchemyError as e:
            if not _unreachable(e):
                raise
            problem = f"the catalogue database cannot be reached: {_first_line(e)}"
            if not _contention(e):  # busy for a moment is not away: no pause for others
                self._problem = problem
                self._retry_at = time.monotonic() + RETRY_SECONDS
            raise CatalogueUnavailable(problem, self.where()) from e

    def _prepare_schema(self) -> None:
        with self._schema_lock:
            if self._schema_ready:
                return
            if self.sqlite_file is not None and not self.sqlite_file.exists():
                self._create_sqlite_file(self.sqlite_file)
            if self._migrate_now:
                self._migrate_and_list()
            elif self._check_schema:
                migrate.check(self.engine)
            self._schema_ready = True

    def _create_sqlite_file(self, path: Path) -> None:
        # A catalogue file that went missing must not be replaced by an empty one: that
        # would publish an empty catalogue (and persist it over the last snapshot), and
        # connections to the empty file would not see the real one when it is put back.
        if self.published_dir is not None and snapshot_file.exists(self.published_dir):
            raise CatalogueUnavailable(
                f"the catalogue file {path} is missing, but this data folder has served a "
                "catalogue before: put the file back (or, to start a new, empty catalogue, "
                f"remove {self.published_dir})", str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()

    def unavailable(self) -> bool:
        """Whether the last attempt to reach the database failed moments ago."""
        return time.monotonic() < self._retry_at

    def migrate(self) -> str:
        """Apply pending migrations once, whoever else is starting; the revision after.
        Then fill the derived listing if a migration has just made it (listing.py)."""
        with self._reaching():
            return self._migrate_and_list()

    def _migrate_and_list(self) -> str:
        revision = migrate.migrate(self.engine)
        # On the engine itself: transaction() would wait for the schema being made here.
        with self.engine.connect() as conn:
            conn.info["begin_immediate"] = True
            try:
                with conn.begin():
                    listing.ensure_built(conn)
            finally:
                conn.info.pop("begin_immediate", None)
        return revision

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """A lock held across every process using this catalogue (see catalogue.locks)."""
        with self._reaching(), locks.exclusive(self.engine, name):
            yield

    def ping(self) -> None:
        """Raise unless the database answers (for readiness checks)."""
        with self._reaching(), self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.snapshots.stop_keeping(grace=5.0)  # a small snapshot is written whole first
        self.engine.dispose()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads."""
        with self._reaching(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[Connection]:
        """One transaction; `immediate` takes SQLite's write lock at its start, for
        read-then-write work that another process may be doing at the same moment."""
        with self._reaching(), self.engine.connect() as conn:
            # info belongs to the pooled DBAPI connection: set for this use only.
            conn.info["begin_immediate"] = immediate
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop("begin_immediate", None)

    def generation(self) -> int:
        """The number `bump_generation` moves: readers compare it with their snapshot's."""
        with self.connect() as conn:
            return int(conn.execute(_GENERATION).scalar_one())

    def counts(self) -> dict[str, int]:
        with self.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (themes, publications, releases, data_sets, data_set_versions)}


# Read at every request (snapshot_cache): built once, 174 -> 108 us a read (SQLite).
_GENERATION = select(catalogue_state.c.generation).where(catalogue_state.c.id == 1)


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


def _unreachable(e: exc.SQLAlchemyError) -> bool:
    """Whether an error means the database cannot be reached (or is too busy) now, rather
    than that a statement was wrong."""
    if isinstance(e, exc.DBAPIError) and e.connection_invalidated:
        return True
    if isinstance(e, exc.InterfaceError | exc.DisconnectionError | exc.TimeoutError):
        return True  # a closed connection, a broken one, the pool exhausted
    if isinstance(e, exc.OperationalError):
        if isinstance(e.orig, sqlite3.Error):
            code = getattr(e.orig, "sqlite_errorcode", None)
            return code is not None and code & 0xFF in SQLITE_AWAY
        return True  # PostgreSQL: refused, server closed, shutting down, timed out
    return False


def _contention(e: exc.SQLAlchemyError) -> bool:
    """Busy rather than away: another writer holds the lock, a deadlock or a serialisation
    failure was resolved against us, a statement was cancelled."""
    orig = getattr(e, "orig", None)
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in SQLITE_BUSY
    state = str(getattr(orig, "sqlstate", "") or "")
    return state.startswith("40") or state == "57014"


def _first_line(e: BaseException) -> str:
    orig = getattr(e, "orig", None) or e
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


# --- SQLite: a file that goes away is an outage, not a new empty catalogue --------------------
def _sqlite_file(engine: Engine) -> Path | None:
    """The catalogue's SQLite file, or None (another database, or in memory)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:") or engine.url.query.get("uri"):
        return None
    return Path(database).resolve()


def _sqlite_existing_only(dialect: Any, record: Any, cargs: list[Any],
                          cparams: dict[str, Any]) -> None:
    # Open the file only if it exists: SQLite would otherwise create an empty catalogue
    # in place of one that was moved, deleted or is on a disk that went away.
    cargs[0] = f"file:{quote(str(cargs[0]))}?mode=rw"
    cparams["uri"] = True


def _sqlite_remember_file(dbapi_connection: Any, record: Any) -> None:
    database = dbapi_connection.execute("PRAGMA database_list").fetchone()[2]
    record.info["sqlite_file"] = (database, os.stat(database).st_ino)


def _sqlite_same_file(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    # A pooled connection keeps the file it opened even after that file is moved away or
    # replaced (a restore from backup): give it up, so the next one opens what is there now.
    database, inode = record.info.get("sqlite_file", ("", None))
    try:
        same = os.stat(database).st_ino == inode
    except OSError:
        same = False
    if not same:
        raise exc.DisconnectionError("the catalogue file has been moved or replaced")
