"""The catalogue store on SQLite and PostgreSQL: migrations, upserts, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from openstats.catalogue import data_sets, migrate, publications
from openstats.catalogue.db import Catalogue
from openstats.catalogue.migrate import alembic_config
from openstats.catalogue.publications import slugify
from openstats.model.catalogue import Contact
from tests.support.catalogue import add_version, approve, make_release, tiny_meta


def test_migrations_create_every_table_and_reach_head(empty_database_url: str) -> None:
    catalogue = Catalogue(empty_database_url)
    Catalogue(empty_database_url).close()  # a second start migrates nothing and breaks nothing
    with catalogue.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {"themes", "publications", "releases", "data_sets", "data_set_versions"} <= tables
    assert current == head
    # The schema check at every start reads both without Alembic (catalogue/migrate.py).
    assert migrate.head_revision() == head
    with catalogue.engine.connect() as conn:
        assert migrate.revision_of(conn) == current
    catalogue.close()


def test_upserts_are_idempotent(database_url: str) -> None:
    c = Catalogue(database_url)
    ids = []
    for _ in range(2):
        with c.transaction() as conn:
            theme = publications.upsert_theme(conn, "Children's social care")
            pub = publications.upsert_publication(
                conn, theme, "Children in need: A focus on re-referrals",
                contact=Contact("Team", "a@b.c"))
            ids.append((theme, pub))
    assert ids[0] == ids[1]
    assert c.counts()["publications"] == 1 and c.counts()["themes"] == 1
    c.close()


def test_unpublished_and_unknown_data_sets_look_the_same(database_url: str) -> None:
    c = Catalogue(database_url)
    future = datetime.now(UTC) + timedelta(days=1)
    known, unknown = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    with c.transaction() as conn:
        rv = make_release(conn)
        add_version(conn, rv, known, "k1")
    approve(c, rv, future)
    assert c.snapshots.view().latest(known) is None
    assert c.snapshots.view().latest(unknown) is None
    # After its time, it is public; one second before, it is not.
    found = c.snapshots.view(future + timedelta(seconds=1)).latest(known)
    assert found is not None and found.title == "D" and found.version.version == "1.0"
    assert c.snapshots.view(future - timedelta(seconds=1)).latest(known) is None
    c.close()


def test_slugify() -> None:
    assert slugify("Children in need: A focus on re-referrals") == \
        "children-in-need-a-focus-on-re-referrals"
    assert slugify("Reporting year 2024") == "reporting-year-2024"



def test_processes_starting_together_on_a_new_database(empty_database_url: str) -> None:
    """Several processes opening a new catalogue at once all start cleanly: one migrates
    (SQLite's write lock, or PostgreSQL's advisory lock), the others find it done."""
    import subprocess
    import sys

    url = empty_database_url
    script = f"from openstats.catalogue.db import Catalogue; Catalogue({url!r}).close()"
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
    c = Catalogue(f"sqlite:///{tmp_path / 'c.sqlite'}")
    keys = {}
    with c.transaction() as conn:
        rv = make_release(conn)
        for n in range(20):
            ds = f"11111111-1111-1111-1111-{n:012d}"
            keys[n] = f"k{n}"
            add_version(conn, rv, ds, keys[n], title=f"D{n}",
                        meta=tiny_meta(row_count=n, padding="x" * 1000))
    monkeypatch.setattr(data_sets, "METADATA_CACHE_BYTES", 5_000)  # about four versions
    cache = c.metadata
    for _ in range(2):
        for n in range(20):
            assert cache.get(keys[n]).row_count == n  # right whether cached or evicted
            assert cache._bytes <= 5_000
    assert 1 <= len(cache._items) <= 5
    # The most recently used stays; the least recently used went first.
    assert keys[19] in cache._items and keys[0] not in cache._items
    c.close()
