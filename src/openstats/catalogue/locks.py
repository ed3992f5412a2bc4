"""Named locks shared by every process that opens one catalogue.

Some work must happen once even when replicas do it at the same moment: loading a
release manifest at start, for example, where two loaders would both build version 1.0
and the second would then fail on the unique version number. The lock lives with the
catalogue, so it spans exactly the processes that share it: a PostgreSQL session-level
advisory lock (per schema), or for SQLite an flock on a file beside the database.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Hold the lock `name` on this catalogue for the duration of the block (waits for it)."""
    if engine.dialect.name == "postgresql":
        with _postgresql_lock(engine, name):
            yield
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:":
        with _file_lock(Path(f"{database}.{name}.lock")):
            yield
        return
    with _local_guard:
        lock = _local_locks.setdefault(name, threading.Lock())
    with lock:
        yield


def for_transaction(conn: Connection, name: str) -> None:
    """Make transactions that call this with the same `name` run one after another.

    PostgreSQL: an advisory lock released when the transaction ends. SQLite needs none:
    its writers already take turns (callers begin such transactions IMMEDIATE, so they
    wait for the lock rather than fail on a snapshot another writer made stale).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name || current_schema()))"),
                     {"name": f"openstats.lock.{name}:"})


@contextmanager
def _postgresql_lock(engine: Engine, name: str) -> Iterator[None]:
    key = {"name": f"openstats.lock.{name}:"}
    # Its own connection, held for the whole block: a session-level lock belongs to the
    # connection, and dies with it if the process does.
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(hashtext(:name || current_schema()))"), key)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:name || current_schema()))"),
                         key)
            conn.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # released when the file closes, or on exit
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
