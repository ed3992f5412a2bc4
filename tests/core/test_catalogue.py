"""The catalogue store on SQLite and PostgreSQL: migrations, upserts, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from openstats.catalogue.migrate import alembic_config
from openstats.catalogue.store import Catalogue, slugify
from openstats.errors import NotFound


def test_migrations_create_every_table_and_reach_head(database_url: str) -> None:
    catalogue = Catalogue(database_url)
    Catalogue(database_url).close()  # a second start migrates nothing and breaks nothing
    with catalogue.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {"themes", "publications", "releases", "data_sets", "data_set_versions"} <= tables
    assert current == head
    catalogue.close()


def test_upserts_are_idempotent(database_url: str) -> None:
    c = Catalogue(database_url)
    published = datetime(2024, 11, 21, 9, 30, tzinfo=UTC)
    ids = []
    for _ in range(2):
        with c.transaction() as conn:
            theme = c.upsert_theme(conn, "Children's social care")
            pub = c.upsert_publication(conn, theme, "Children in need: A focus on re-referrals",
                                       contact={"team_name": "Team", "team_email": "a@b.c"})
            rel = c.upsert_release(conn, pub, "Reporting year 2024", slug="2024",
                                   release_type="Ad hoc statistics", published=published)
            ids.append((theme, pub, rel))
    assert ids[0] == ids[1]
    assert c.counts()["releases"] == 1 and c.counts()["themes"] == 1
    c.close()


def test_unpublished_and_unknown_data_sets_look_the_same(database_url: str) -> None:
    c = Catalogue(database_url)
    future = datetime.now(UTC) + timedelta(days=1)
    with c.transaction() as conn:
        theme = c.upsert_theme(conn, "T")
        pub = c.upsert_publication(conn, theme, "P")
        rel = c.upsert_release(conn, pub, "R", published=future)
        c.upsert_data_set(conn, "11111111-1111-1111-1111-111111111111", publication_id=pub,
                          title="D")
        c.add_version(conn, data_set_id="11111111-1111-1111-1111-111111111111",
                      release_id=rel, major=1, minor=0, storage_key="k1",
                      metadata={"row_count": 1, "data_file": "d.csv", "meta_file": "d.meta.csv",
                                "data_sha256": "0" * 64, "meta_sha256": "1" * 64},
                      published=future)
    with pytest.raises(NotFound) as unpublished:
        c.public_data_set("11111111-1111-1111-1111-111111111111")
    with pytest.raises(NotFound) as unknown:
        c.public_data_set("22222222-2222-2222-2222-222222222222")
    assert str(unpublished.value) == str(unknown.value)
    # After its time, it is public.
    found = c.public_data_set("11111111-1111-1111-1111-111111111111",
                              at=future + timedelta(seconds=1))
    assert found["title"] == "D" and found["version"] == "1.0"
    # One second before, it is not.
    with pytest.raises(NotFound):
        c.public_data_set("11111111-1111-1111-1111-111111111111",
                          at=future - timedelta(seconds=1))
    c.close()


def test_slugify() -> None:
    assert slugify("Children in need: A focus on re-referrals") == \
        "children-in-need-a-focus-on-re-referrals"
    assert slugify("Reporting year 2024") == "reporting-year-2024"



def test_processes_starting_together_on_a_new_database(database_url: str) -> None:
    """Several processes opening a new catalogue at once all start cleanly: one migrates
    (SQLite's write lock, or PostgreSQL's advisory lock), the others find it done."""
    import subprocess
    import sys

    url = database_url
    script = f"from openstats.catalogue.store import Catalogue; Catalogue({url!r}).close()"
    runs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE,
                             text=True) for _ in range(4)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    catalogue = Catalogue(url)
    assert catalogue.counts()["themes"] == 0
    with catalogue.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    catalogue.close()


def test_metadata_cache_keeps_to_its_byte_budget(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from openstats.catalogue import store

    c = Catalogue(f"sqlite:///{tmp_path / 'c.sqlite'}")
    with c.transaction() as conn:
        pub = c.upsert_publication(conn, c.upsert_theme(conn, "T"), "P")
        rel = c.upsert_release(conn, pub, "R", published=datetime(2024, 1, 1, tzinfo=UTC))
        for n in range(20):
            ds = f"11111111-1111-1111-1111-{n:012d}"
            c.upsert_data_set(conn, ds, publication_id=pub, title=f"D{n}")
            c.add_version(conn, data_set_id=ds, release_id=rel, major=1, minor=0,
                          storage_key=f"k{n}", metadata={
                              "row_count": n, "data_file": "d.csv", "meta_file": "d.meta.csv",
                              "data_sha256": "0" * 64, "meta_sha256": "1" * 64,
                              "padding": "x" * 1000}, published=datetime(2024, 1, 1, tzinfo=UTC))
    ids = {r["data_set_id"]: r["id"] for r in c.public_versions()}
    monkeypatch.setattr(store, "METADATA_CACHE_BYTES", 5_000)  # about four versions' worth
    for _ in range(2):
        for n in range(20):
            meta = c.version_metadata(ids[f"11111111-1111-1111-1111-{n:012d}"])
            assert meta["row_count"] == n  # right answer whether cached or evicted
            assert c._metadata_cached_bytes <= 5_000
    assert 1 <= len(c._metadata_cache) <= 5
    # The most recently used stays; the least recently used went first.
    assert ids["11111111-1111-1111-1111-000000000019"] in c._metadata_cache
    assert ids["11111111-1111-1111-1111-000000000000"] not in c._metadata_cache
    c.close()
