"""Bring a catalogue database to the newest schema with Alembic, from code (no ini file).

Several processes may open one empty database at the same moment (replicas, or workers
of one server). Each takes a lock first, so exactly one applies the migrations and the
others then find the schema at head: SQLite's write lock (BEGIN IMMEDIATE) or, on
PostgreSQL, a transaction-level advisory lock named after the schema.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from openstats.errors import OpenstatsError

MIGRATIONS = Path(__file__).parent / "migrations"
# Advisory locks share one numeric space per database; hashing this prefix with the
# schema name keeps two catalogues in two schemas of one database from waiting on each
# other, while two processes on the same schema do.
LOCK_NAME = "openstats.migrate:"


class SchemaOutOfDate(OpenstatsError):
    """The database is not at the schema this code expects (and may not migrate it)."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    """Apply every migration not yet applied; safe to run at every start."""
    command.upgrade(alembic_config(connection), "head")


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


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
                upgrade(conn)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaOutOfDate(
                            f"The migration would leave {len(broken)} rows pointing at rows "
                            f"that do not exist (first: {broken[0]}); nothing was changed.")
                return str(MigrationContext.configure(conn).get_current_revision())
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
