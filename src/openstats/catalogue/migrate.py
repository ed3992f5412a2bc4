"""Bring a catalogue database to the newest schema with Alembic, from code (no ini file).

Several processes may open one empty database at the same moment (replicas, or workers
of one server). Each takes a lock first, so exactly one applies the migrations and the
others then find the schema at head: SQLite's write lock (BEGIN IMMEDIATE) or, on
PostgreSQL, a transaction-level advisory lock named after the schema.

Almost every start finds the schema at head already. That is found without Alembic: the
revision is read from Alembic's own `alembic_version` table, and the head is the newest
migration file's number (the history is one line, each file named after its revision).
Alembic itself, with Mako and Pygments behind it (about 0.3 s of a process start, paid by
every `openstats` command), is imported only when there is something to migrate, through
`_alembic()`.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from openstats.errors import OpenstatsError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
# Advisory locks share one numeric space per database; hashing this prefix with the
# schema name keeps two catalogues in two schemas of one database from waiting on each
# other, while two processes on the same schema do.
LOCK_NAME = "openstats.migrate:"


class SchemaOutOfDate(OpenstatsError):
    """The database is not at the schema this code expects (and may not migrate it)."""


def _alembic() -> SimpleNamespace:
    """Alembic's parts that this module uses, imported on first use: only a database that
    is behind (or a test of the migrations) needs them, and importing them is a third of a
    second of every process start (see the module's docstring). The one lazy import here."""
    from alembic import command
    from alembic.config import Config

    return SimpleNamespace(command=command, Config=Config)


def alembic_config(connection: Connection | None = None) -> Config:
    config: Config = _alembic().Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    """Apply every migration not yet applied; safe to run at every start."""
    _alembic().command.upgrade(alembic_config(connection), "head")


def head_revision() -> str:
    """The newest migration's revision: its file's number (0013_notifications.py is
    revision "0013"; tests/core/test_catalogue.py checks that Alembic agrees)."""
    return max(p.name.partition("_")[0] for p in (MIGRATIONS / "versions").glob("[0-9]*.py"))


def revision_of(conn: Connection) -> str | None:
    """The revision the database is at, as Alembic recorded it; None when empty."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    assert len(rows) <= 1, f"{VERSION_TABLE} holds {len(rows)} revisions: the history branched"
    return rows[0] if rows else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return revision_of(conn)


def migrate(engine: Engine) -> str:
    """Bring the database to head under a lock; returns the revision it is at."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        # The catalogue's begin hook turns this into BEGIN IMMEDIATE on SQLite: the write
        # lock is taken before Alembic reads the current revision. (info belongs to the
        # pooled DBAPI connection, so it is removed again after this use.)
        conn.info["begin_immediate"] = True
        if sqlite:
            # SQLite's own procedure for schema changes: foreign keys off around the
            # transaction (a migration rebuilds tables that others point at), then every
            # key checked before it commits. (The pragma is ignored inside a transaction.)
            _pragma(conn, "foreign_keys=OFF")
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    # Held until this transaction ends, so a crash never leaves it taken;
                    # the process that waited then reads the revision the winner committed.
                    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name || "
                                      "current_schema()))"), {"name": LOCK_NAME})
                head = head_revision()
                if revision_of(conn) == head:
                    return head  # the usual start: nothing to apply, Alembic not loaded
                upgrade(conn)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaOutOfDate(
                            f"The migration would leave {len(broken)} rows pointing at rows "
                            f"that do not exist (first: {broken[0]}); nothing was changed.")
                return str(revision_of(conn))
        finally:
            conn.info.pop("begin_immediate", None)
            if sqlite:
                _pragma(conn, "foreign_keys=ON")


def _pragma(conn: Connection, setting: str) -> None:
    """Set a SQLite pragma on the connection itself, outside any transaction (SQLAlchemy
    would begin one around a statement, where this pragma does nothing)."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.execute(f"PRAGMA {setting}")


def check(engine: Engine) -> None:
    """Refuse to run against a database whose schema is not the one this code expects."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"The catalogue database is at schema revision {current or 'none (empty)'}, "
            f"this version of openstats needs {head}: run `openstats db upgrade`.")
