"""The catalogue database for deployments: `openstats db upgrade`, migrations that happen
once however many processes start, pooled connections, loads and publications that
happen once however many processes run them. On SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from openstats.catalogue import audit, data_sets, events, migrate
from openstats.catalogue.db import Catalogue
from openstats.catalogue.values import now
from openstats.demo import MANIFEST
from openstats.ingest.service import import_pair
from openstats.platform import Platform, open_platform
from openstats.publishing import workflow
from openstats.settings import Settings
from tests.ops.helpers import environment, openstats
from tests.support.catalogue import approve, make_release


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(openstats(*args), env=env, capture_output=True, text=True,
                          timeout=180)


def test_db_upgrade_migrates_an_empty_database_once(empty_database_url: str,
                                                   tmp_path: Path) -> None:
    env = environment(OPENSTATS_DATABASE_URL=empty_database_url, OPENSTATS_DATA_DIR=str(tmp_path))
    head = migrate.head_revision()
    # A process told not to migrate refuses an empty database, and says what to run.
    refused = run("publish", "--due", env={**env, "OPENSTATS_AUTO_MIGRATE": "false"})
    assert refused.returncode == 1 and "openstats db upgrade" in refused.stderr
    for _ in range(2):  # and the second upgrade finds nothing to do
        done = run("db", "upgrade", env=env)
        assert done.returncode == 0, done.stderr
        assert f"schema revision {head}" in done.stdout
    catalogue = Catalogue(empty_database_url, migrate_now=False)  # checks, and finds head
    with catalogue.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(head,)]
    catalogue.close()
    allowed = run("publish", "--due", env={**env, "OPENSTATS_AUTO_MIGRATE": "false"})
    assert allowed.returncode == 0 and "0 release(s) published" in allowed.stdout


def test_postgresql_connections_are_pooled(postgres_url: str, tmp_path: Path) -> None:
    platform = open_platform(Settings(data_dir=tmp_path, database_url=postgres_url,
                                      db_pool_size=3, db_max_overflow=2))
    pool = platform.catalogue.engine.pool
    assert (type(pool).__name__, pool.size(), pool._max_overflow,  # type: ignore[attr-defined]
            pool._pre_ping) == ("QueuePool", 3, 2, True)  # type: ignore[attr-defined]
    # Ten threads at once share at most five connections, and all get their answer.
    answers: list[int] = []

    def ask() -> None:
        answers.append(platform.catalogue.counts()["themes"])

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert answers == [0] * 10 and pool.checkedout() == 0
    platform.close()


def test_loads_started_together_build_the_demo_once(empty_database_url: str,
                                                    tmp_path: Path) -> None:
    env = environment(OPENSTATS_DATABASE_URL=empty_database_url, OPENSTATS_DATA_DIR=str(tmp_path))
    runs = [subprocess.Popen(openstats("load-demo"), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [r.communicate(timeout=180) for r in runs]
    assert [r.returncode for r in runs] == [0, 0, 0], [err for _, err in outputs]
    # load-demo loads the seed publication and (../shared/real being beside us) the real
    # one: each data set is made once, by whichever run got to it first.
    said: dict[str, list[str]] = {}
    for out, _ in outputs:
        for line in out.splitlines():
            title, state = line.rsplit(": ", 1)
            said.setdefault(title, []).append(state.strip())
    assert len(said) == 2, said
    for states in said.values():
        assert sorted(states) == ["new version 1.0", "unchanged 1.0", "unchanged 1.0"]
    catalogue = Catalogue(empty_database_url)
    assert catalogue.counts()["data_set_versions"] == 2
    catalogue.close()
    assert len(list((tmp_path / "files" / "versions").iterdir())) == 2


@pytest.mark.parametrize("runners", [6])
def test_publish_due_records_a_release_once_however_many_run_it(database_url: str,
                                                               runners: int) -> None:
    """Replicas' schedulers, each with its own pool, finding one release due together."""
    first = Catalogue(database_url)
    with first.transaction() as conn:
        rv = make_release(conn, "Release 2025")
    release = rv.release_id
    approve(first, rv, now() - timedelta(seconds=1))
    replicas = [Catalogue(database_url) for _ in range(runners)]
    start = threading.Barrier(runners)
    marked: list[list[str]] = []
    errors: list[BaseException] = []

    def scheduler(catalogue: Catalogue) -> None:
        start.wait()
        try:
            marked.append([rv.release_id for rv in workflow.publish_due(catalogue)])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=scheduler, args=(c,)) for c in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(marked, key=len) == [[]] * (runners - 1) + [[release]]
    with first.connect() as conn:
        entries = [e for e in audit.entries(conn) if e.action == "published"]
    assert [e.object_id for e in entries] == [release]
    with first.connect() as conn:
        assert [e.release_id for e in events.since(conn, None)[1]] == [release]  # one event
    for c in [first, *replicas]:
        c.close()


def test_imports_on_two_replicas_at_once_share_new_location_ids(database_url: str,
                                                                tmp_path: Path) -> None:
    """Two data sets naming the same new locations, imported at the same moment through
    two catalogues (two replicas): both land, and the shared locations get one id each."""
    folder = MANIFEST.parent
    data, meta = folder / "e1_re_referrals.csv", folder / "e1_re_referrals.meta.csv"
    platforms = [open_platform(Settings(data_dir=tmp_path, database_url=database_url))
                 for _ in range(2)]
    ids = ["22222222-0000-4000-8000-000000000001", "22222222-0000-4000-8000-000000000002"]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def load(p: Platform, data_set_id: str) -> None:
        start.wait()
        try:
            import_pair(p.catalogue, p.storage, p.settings, data, meta,
                        data_set_id=data_set_id, publication_id=None, title=data_set_id)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=load, args=pair)
               for pair in zip(platforms, ids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    catalogue = platforms[0].catalogue
    locations = []
    for data_set_id in ids:
        with catalogue.connect() as conn:
            latest = data_sets.versions(conn, data_set_id)[0]
        meta = catalogue.metadata.get(latest.id)
        locations.append([loc.public_id for loc in meta.locations])
    assert locations[0] == locations[1]
    for p in platforms:
        p.close()
