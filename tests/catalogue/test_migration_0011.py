"""Revision 0011 adds the table of diff counts exactly as catalogue/schema.py describes it,
on SQLite and PostgreSQL, and takes it away again on downgrade."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from openstats.catalogue import migrate
from openstats.catalogue.schema import version_diffs


def test_upgrade_and_downgrade(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0011")
    found = inspect(engine)
    assert [c["name"] for c in found.get_columns("version_diffs")] == [
        c.name for c in version_diffs.columns]
    assert found.get_pk_constraint("version_diffs")["constrained_columns"] == [
        "version_id", "from_version_id"]
    assert sorted(fk["constrained_columns"][0] for fk in found.get_foreign_keys(
        "version_diffs")) == ["from_version_id", "version_id"]
    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "0009")
    assert "version_diffs" not in inspect(engine).get_table_names()
    engine.dispose()
