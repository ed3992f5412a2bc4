"""Revision 0005 carries an existing catalogue over to release versions unchanged to readers:
a release that went public, was amended, and has a draft amendment waiting keeps exactly
what was public at each moment, and its featured table keeps its id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from openstats.catalogue import migrate
from openstats.catalogue.db import Catalogue
from tests.support.catalogue import tiny_meta

T0 = datetime(2024, 1, 1, 9, 30, tzinfo=UTC)
T1 = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
META = json.dumps(tiny_meta().to_json())


@pytest.fixture
def at_0004(empty_database_url: str) -> Iterator[str]:
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0004")
        rows = {
            "themes": [{"id": "t", "title": "Theme", "slug": "theme", "summary": ""}],
            "publications": [{"id": "p", "theme_id": "t", "title": "Pub", "slug": "pub",
                              "summary": "About pub", "contact_team_name": "Team",
                              "contact_team_email": "team@example.org", "contact_name": "",
                              "contact_telephone": ""}],
            "releases": [{"id": "r", "publication_id": "p", "title": "2024", "slug": "2024",
                          "release_type": "Official statistics", "published": T0,
                          "last_updated": T1, "next_update": "", "data_guidance": "Guide",
                          "created": T0}],
            "data_sets": [{"id": "d", "publication_id": "p", "title": "D title",
                           "summary": "D summary", "footnotes": json.dumps(["Note"]),
                           "position": 0, "created": T0},
                          # Imported on the command line: in no publication or release.
                          {"id": "x", "publication_id": None, "title": "Loose",
                           "summary": "", "footnotes": "[]", "position": 0, "created": T0}],
        }
        for table, items in rows.items():
            for item in items:
                columns = ", ".join(item)
                conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES "
                                  f"({', '.join(':' + c for c in item)})"), item)
        for vid, minor, published in (("v0", 0, T0), ("v1", 1, T1), ("v2", 2, None)):
            conn.execute(text(
                "INSERT INTO data_set_versions (id, data_set_id, release_id, version_major, "
                "version_minor, created, row_count, data_file_name, meta_file_name, "
                "data_sha256, meta_sha256, storage_key, metadata, changes, published, notes) "
                "VALUES (:id, 'd', 'r', 1, :minor, :created, 1, 'd.csv', 'd.meta.csv', 'x', "
                "'y', :key, :meta, '{}', :published, '')"),
                {"id": vid, "key": vid, "minor": minor, "created": T0, "published": published,
                 "meta": META})
        conn.execute(text(
            "INSERT INTO data_set_versions (id, data_set_id, release_id, version_major, "
            "version_minor, created, row_count, data_file_name, meta_file_name, "
            "data_sha256, meta_sha256, storage_key, metadata, changes, published, notes) "
            "VALUES ('x1', 'x', NULL, 1, 0, :created, 1, 'x.csv', 'x.meta.csv', 'x', 'y', "
            "'x1', :meta, '{}', NULL, '')"), {"created": T0, "meta": META})
        conn.execute(text(
            "INSERT INTO saved_tables (id, kind, data_set_id, version_id, name, description, "
            "selection, position, created) VALUES ('f', 'featured', 'd', NULL, 'Table', '', "
            "'{}', 0, :created)"), {"created": T0})
    engine.dispose()
    yield empty_database_url


def test_history_becomes_release_versions(at_0004: str) -> None:
    # As a start migrates: through the catalogue, whose SQLite connections enforce keys.
    Catalogue(at_0004).close()
    engine = create_engine(at_0004)
    with engine.connect() as conn:
        versions = conn.execute(text(
            "SELECT id, number, state, scheduled, title, data_guidance, publication_summary "
            "FROM release_versions ORDER BY number")).mappings().all()
        entries = {r["release_version_id"]: r for r in conn.execute(text(
            "SELECT * FROM release_data_sets")).mappings()}
        featured = conn.execute(text(
            "SELECT id, release_version_id FROM saved_tables ORDER BY id")).all()
    engine.dispose()
    assert [(v["number"], v["state"]) for v in versions] == [
        (0, "published"), (1, "published"), (2, "draft")]

    def utc(value: object) -> datetime:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

    assert [utc(v["scheduled"]) for v in versions[:2]] == [T0, T1]
    assert versions[2]["scheduled"] is None
    assert [entries[v["id"]]["version_id"] for v in versions] == ["v0", "v1", "v2"]
    assert all(entries[v["id"]]["title"] == "D title" for v in versions)
    assert json.loads(entries[versions[0]["id"]]["footnotes"]) == ["Note"]
    assert {v["data_guidance"] for v in versions} == {"Guide"}
    assert {v["publication_summary"] for v in versions} == {"About pub"}
    # The featured table keeps its id on the newest public version; the others get copies.
    kept = dict(featured)["f"]
    assert kept == versions[1]["id"]
    assert sorted(rv for _, rv in featured) == sorted(v["id"] for v in versions)
    assert T1 - T0 > timedelta(0)
    # The data set in no release is kept as it was, held by no release version.
    engine = create_engine(at_0004)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM data_set_versions WHERE data_set_id = 'x'")
                            ).all() == [("x1",)]
        assert conn.execute(text("SELECT count(*) FROM release_data_sets WHERE "
                                 "data_set_id = 'x'")).scalar() == 0
    engine.dispose()
