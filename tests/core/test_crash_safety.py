"""kill -9 at named points of an import, an approval and `publish --due`; then restart.

Each process is a real `openstats` command or server, on SQLite and on PostgreSQL, told
by OPENSTATS_CRASH_AT where to SIGKILL itself (`openstats/faults.py`): a deterministic
stand-in for a power cut at that instant. After each crash the platform is opened again
the way a restart opens it (with the storage sweep), and the test checks that

- the catalogue is consistent: every version row has its whole Parquet file, with as
  many rows as the row says; nothing is half-published (a release's data sets all
  appear at once, or none do);
- the public API still serves exactly what it served before, unless the crash came after
  the commit, when it serves all of the new state;
- no orphan file is left (no staging folder, no version folder without its row);
- running the same command again succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from openstats.catalogue import accounts, releases
from openstats.catalogue.schema import audit_log, release_versions
from openstats.catalogue.values import now
from openstats.faults import CRASH_AT
from openstats.ingest.service import RecordedVersion, import_pair
from openstats.model.catalogue import ReleaseDataSet, ReleaseState
from openstats.platform import Platform, open_platform
from openstats.publishing import workflow
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person
from tests.conftest import REFERENCE, free_port, postgres_database
from tests.core.helpers import files_under
from tests.reliability import openstats_command, openstats_env
from tests.standards.pairs import Pair, base
from tests.support.catalogue import make_release

KILLED = -9  # what a process killed by SIGKILL exits with, as subprocess reports it


@dataclass
class World:
    """A data folder and catalogue with one published data set (A 1.0), ready to amend."""

    settings: Settings
    env: dict[str, str]
    tmp: Path
    release_id: str = ""
    publication_id: str = ""
    a: str = "aaaaaaaa-0000-4000-8000-000000000001"
    b: str = "bbbbbbbb-0000-4000-8000-000000000002"

    def platform(self, sweep: bool = False) -> Platform:
        return open_platform(self.settings, sweep=sweep)


def amended_a() -> Pair:
    return base().cell(2, "enrolments", "1234")  # the 1000 of 2018/19 becomes 1234


def other_b() -> Pair:
    return Pair(data_name="others.csv", meta_name="others.meta.csv")


def new_world(tmp: Path, database_url: str) -> World:
    settings = Settings(data_dir=tmp / "data", database_url=database_url,
                        reference_dir=REFERENCE, secret_key="crash-tests")
    return World(settings, {**openstats_env(settings.data_dir, database_url, REFERENCE),
                            "OPENSTATS_SECRET_KEY": "crash-tests"}, tmp)


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The world on SQLite, built once for this file: each SQLite test gets a copy of its
    files (building it migrates a catalogue, hashes a password and imports a pair, about
    two seconds, for a dozen tests)."""
    tmp = tmp_path_factory.mktemp("world")
    return build_world(new_world(tmp, f"sqlite:///{tmp / 'catalogue.sqlite'}"))


@pytest.fixture(scope="module")
def postgres_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The world on PostgreSQL, built once for this file in a database of its own, which
    each PostgreSQL test's database is made from (CREATE DATABASE ... TEMPLATE, some 30 ms,
    where migrating and building took half a second of this process's CPU). Nothing may be
    connected to a template while it is copied: the build closes its platform."""
    with postgres_database() as url:
        yield build_world(new_world(tmp_path_factory.mktemp("world"), url))


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A fresh copy of the world for each test: the template's data folder, and its
    catalogue file or database copied as they are."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            template: World = request.getfixturevalue("sqlite_world")
            w = new_world(tmp_path, f"sqlite:///{tmp_path / 'catalogue.sqlite'}")
            for db_file in template.tmp.glob("catalogue.sqlite*"):
                shutil.copy2(db_file, tmp_path / db_file.name)
        else:
            template = request.getfixturevalue("postgres_world")
            w = new_world(tmp_path, stack.enter_context(
                postgres_database(copy_of=template.settings.database_url)))
        shutil.copytree(template.settings.data_dir, w.settings.data_dir)
        w.publication_id, w.release_id = template.publication_id, template.release_id
        yield w


def build_world(w: World) -> World:
    """One published data set (A 1.0) in release 2025 of a publication, and an admin."""
    platform = w.platform()
    try:
        catalogue = platform.catalogue
        with catalogue.transaction() as conn:
            rv = make_release(conn, "Calendar year 2025", publication="Crash statistics",
                              theme="Crash theme")
        w.publication_id, w.release_id = rv.publication_id, rv.release_id
        admin = accounts.create_user(catalogue, "admin@example.org", PASSWORD, "admin")
        draft(w, platform, w.a, base(), "Pupils")
        workflow.approve(catalogue, admin, w.release_id, now())
    finally:
        platform.close()
    return w


def draft(w: World, platform: Platform, data_set_id: str, pair: Pair, title: str) -> str:
    """Import a pair into the release's draft (an amendment, once it is published), as
    the upload page does."""
    data, meta = pair.write(w.tmp / f"{data_set_id}-{title}")
    with platform.catalogue.transaction() as conn:
        rv = releases.latest_version(conn, w.release_id)
        assert rv is not None
        if rv.state is not ReleaseState.DRAFT:
            rv = releases.new_version(conn, rv)
            releases.set_words(conn, rv, replace(releases.words_of(rv), notes="Corrected."))
    target = rv

    def write(conn: Connection, recorded: list[RecordedVersion]) -> None:
        held = releases.entries(conn, target.id)
        position = next((e.position for e in held if e.data_set_id == data_set_id), len(held))
        releases.put_entry(conn, ReleaseDataSet(target.id, data_set_id,
                                                recorded[0].version.id, title, "About it.", (),
                                                position))

    return import_pair(platform.catalogue, platform.storage, platform.settings, data, meta,
                       data_set_id=data_set_id, publication_id=w.publication_id, title=title,
                       write_catalogue=write).version


def check_storage(w: World) -> dict[str, int]:
    """Open as a restart does, then: every version whole, no orphan file. Returns the
    row count of each version by storage key."""
    platform = w.platform(sweep=True)
    try:
        with platform.catalogue.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT storage_key, row_count FROM data_set_versions").all()
    finally:
        platform.close()
    files = w.settings.data_dir / "files"
    counts = {}
    for key, row_count in rows:
        parquet = files / "versions" / key / "data.parquet"
        assert parquet.is_file(), f"version {key} has no data file"
        [(n,)] = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)",
                                          [str(parquet)]).fetchall()
        assert n == row_count, f"version {key}: {n} rows stored, {row_count} recorded"
        counts[key] = n
    for path in files_under(files):
        rel = path.relative_to(files)
        assert rel.parts[0] == "versions" and rel.parts[1] in counts, f"orphan: {rel}"
        # A crash after the commit leaves the 'not yet recorded' marker of a version
        # that is recorded: harmless (the sweep keeps every recorded folder), so allowed.
    return counts


def run_cli(w: World, args: list[str | Path], crash_at: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = dict(w.env)
    if crash_at:
        env[CRASH_AT] = crash_at
    return subprocess.run([*openstats_command(), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300)


# --- a live server, as a process of its own -------------------------------------------------

@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    # One client for every request to this server: httpx.get makes a new client for each
    # request, and with it an SSL context from the CA bundle, some 25 ms of CPU each time
    # (the start-up wait below asks every tenth of a second).
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def api(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(f"{self.base}/api/v1{path}", params=params)

    def values(self, data_set_id: str, **params: str) -> set[str]:
        answer = self.api(f"/data-sets/{data_set_id}/query", **params)
        assert answer.status_code == 200, answer.text
        return {v for r in answer.json()["results"] for v in r["values"].values()}


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:  # only the processes this test started, by their own id
        server.client.close()
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(timeout=30)


def start_server(w: World, servers: list[Server], crash_at: str | None = None) -> Server:
    port = free_port()
    env = dict(w.env)
    if crash_at:
        env[CRASH_AT] = crash_at
    proc = subprocess.Popen([*openstats_command(), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(proc, f"http://127.0.0.1:{port}")
    servers.append(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if server.client.get(server.base + "/healthz", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
        assert proc.poll() is None, "the server stopped while starting"
    raise AssertionError("the server did not start within 60 s")


def served(server: Server, w: World) -> dict[str, Any]:
    """What the public API shows of the release: A's numbers and version, B or nothing."""
    a = server.api(f"/data-sets/{w.a}").json()
    b = server.api(f"/data-sets/{w.b}")
    return {"a_version": a["latestVersion"]["version"], "a_values": server.values(w.a),
            "b": b.status_code}


BEFORE = {"a_version": "1.0", "b": 404}
AFTER = {"a_version": "1.1", "b": 200}


# --- import ---------------------------------------------------------------------------------

IMPORT_POINTS = ["import.screened", "import.built", "import.moved", "import.in_transaction",
                 "import.committed"]


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_amendment_import_killed(world: World, point: str) -> None:
    """`openstats import --data-set-id A` (a new version of a published data set)."""
    w = world
    data, meta = amended_a().write(w.tmp / "amended")
    before = check_storage(w)
    killed = run_cli(w, ["import", data, meta, "--data-set-id", w.a], crash_at=point)
    assert killed.returncode == KILLED, (killed.stdout, killed.stderr[-2000:])
    after = check_storage(w)
    committed = point == "import.committed"
    assert len(after) == len(before) + (1 if committed else 0)
    platform = w.platform()
    try:
        public = platform.catalogue.snapshots.view().latest(w.a)
        assert public is not None
        assert public.version.version == "1.0"  # a CLI import is in no release: 1.0 is served
        assert public.version.storage_key in before
    finally:
        platform.close()
    again = run_cli(w, ["import", data, meta, "--data-set-id", w.a])
    assert again.returncode == 0, again.stderr[-2000:]
    assert ("unchanged: already" if committed else "imported as") in again.stdout
    assert "version 1.1" in again.stdout
    assert len(check_storage(w)) == len(before) + 1


# --- approval: the release and its amendment go public together, or not at all --------------

APPROVE_POINTS = ["approve.release_dated", "approve.versions_dated", "approve.committed"]


@pytest.mark.parametrize("point", APPROVE_POINTS)
def test_approval_killed(world: World, servers: list[Server], point: str) -> None:
    w = world
    platform = w.platform()
    try:
        assert draft(w, platform, w.a, amended_a(), "Pupils") == "1.1"
        draft(w, platform, w.b, other_b(), "Others")
    finally:
        platform.close()
    before = check_storage(w)
    server = start_server(w, servers, crash_at=point)
    old = served(server, w)
    assert old["a_version"] == "1.0" and "1000" in old["a_values"] and old["b"] == 404
    person = Person(server.base)
    assert person.sign_in("admin@example.org").status_code == 303
    token = person.token(f"/admin/releases/{w.release_id}")
    with pytest.raises(httpx.TransportError):  # the server dies in the middle of it
        person.client.post(f"/admin/releases/{w.release_id}/approve",
                           data={"csrf_token": token, "when": "now"})
    assert server.proc.wait(timeout=60) == KILLED
    assert check_storage(w) == before  # approving writes rows only, never files
    restarted = start_server(w, servers)
    shown = served(restarted, w)
    if point == "approve.committed":
        assert {k: shown[k] for k in AFTER} == AFTER and "1234" in shown["a_values"]
        assert "1000" not in shown["a_values"]
    else:
        assert shown == old  # exactly what was served before: nothing half-published
    person = Person(restarted.base)
    assert person.sign_in("admin@example.org").status_code == 303
    again = person.post(f"/admin/releases/{w.release_id}/approve", {"when": "now"},
                        token_from=f"/admin/releases/{w.release_id}")
    # Approving again publishes what is left, or says it is published already.
    assert again.status_code == (409 if point == "approve.committed" else 303)
    final = served(restarted, w)
    assert {k: final[k] for k in AFTER} == AFTER and "1234" in final["a_values"]
    assert "1000" in restarted.values(w.a, dataSetVersion="1.0")  # the old one stays
    assert check_storage(w) == before


# --- publish --due ---------------------------------------------------------------------------

DUE_POINTS = ["publish_due.one_marked", "publish_due.committed"]


def states(w: World) -> tuple[list[str], int]:
    platform = w.platform()
    try:
        with platform.catalogue.connect() as conn:
            found = sorted(r.state for r in conn.execute(select(release_versions)))
            audited = len(conn.execute(select(audit_log).where(
                audit_log.c.action == "published")).all())
    finally:
        platform.close()
    return found, audited


@pytest.mark.parametrize("point", DUE_POINTS)
def test_publish_due_killed(world: World, point: str) -> None:
    """Two releases due at once; `openstats publish --due` killed part-way."""
    w = world
    platform = w.platform()
    try:
        catalogue = platform.catalogue
        with catalogue.transaction() as conn:
            second = make_release(conn, "Calendar year 2026", publication="Crash statistics",
                                  theme="Crash theme").release_id
        w.release_id = second
        draft(w, platform, w.b, other_b(), "Others")
        with catalogue.connect() as conn:
            admin = accounts.user_by_email(conn, "admin@example.org")
        assert admin is not None
        workflow.approve(catalogue, admin, second, now() - timedelta(seconds=1))
        public = {d.data_set_id: d.version.version
                  for d in catalogue.snapshots.view().latest_data_sets()}
    finally:
        platform.close()
    assert states(w) == (["approved", "approved"], 0)
    before = check_storage(w)
    killed = run_cli(w, ["publish", "--due"], crash_at=point)
    assert killed.returncode == KILLED, killed.stderr[-2000:]
    if point == "publish_due.committed":
        assert states(w) == (["published", "published"], 2)
    else:
        assert states(w) == (["approved", "approved"], 0)  # not one of the two
    assert check_storage(w) == before
    again = run_cli(w, ["publish", "--due"])
    assert again.returncode == 0, again.stderr[-2000:]
    done = "0" if point == "publish_due.committed" else "2"
    assert f"{done} release(s) published" in again.stdout
    assert states(w) == (["published", "published"], 2)
    platform = w.platform()
    try:  # visibility never depended on the job: the same versions are public
        assert {d.data_set_id: d.version.version
                for d in platform.catalogue.snapshots.view().latest_data_sets()} == public
    finally:
        platform.close()


# --- screening folders survive another process's sweep --------------------------------------

def test_sweep_keeps_a_live_screening(tmp_path: Path) -> None:
    """A restart or `openstats load` sweeps staging while the server may be screening an
    upload there: the sweep must keep a live process's screening folder."""
    from openstats.standards.screening.screen import screen

    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    data, meta = base().write(tmp_path / "pair")
    with screen(data, meta, workdir=platform.storage.staging) as s:
        other = open_platform(settings, sweep=True)  # as `openstats load` does meanwhile
        other.close()
        assert s.workdir.is_dir()
        assert s.con is not None and s.con.execute("SELECT count(*) FROM data").fetchone()
    platform.close()
    assert json.dumps(os.listdir(platform.storage.staging)) == "[]"


# --- uploads --------------------------------------------------------------------------------

def test_server_killed_while_screening_an_upload(world: World, servers: list[Server]) -> None:
    w = world
    before = check_storage(w)
    server = start_server(w, servers, crash_at="upload.screened")
    person = Person(server.base)
    assert person.sign_in("admin@example.org").status_code == 303
    # The release is published: files go into an amendment.
    assert person.post(f"/admin/releases/{w.release_id}/amend",
                       token_from=f"/admin/releases/{w.release_id}").status_code == 303
    pair = base()
    with pytest.raises(httpx.TransportError):
        person.post(f"/admin/releases/{w.release_id}/upload",
                    {"title": "Killed", "summary": "", "data_set_id": ""},
                    files={"data_file": ("pupils.csv", pair.data_text(), "text/csv"),
                           "meta_file": ("pupils.meta.csv", pair.meta_text(), "text/csv")},
                    token_from=f"/admin/releases/{w.release_id}")
    assert server.proc.wait(timeout=60) == KILLED
    uploads = w.settings.data_dir / "uploads"
    [left] = list(uploads.iterdir())  # what the crash left: the files, half-handled
    assert (left / ".receiving").exists()
    assert list((w.settings.data_dir / "files" / "staging").iterdir())  # its screening
    restarted = start_server(w, servers)
    assert list(uploads.iterdir()) == []  # the restart's sweep removed it
    assert check_storage(w) == before
    person = Person(restarted.base)
    assert person.sign_in("admin@example.org").status_code == 303
    again = person.follow(person.post(f"/admin/releases/{w.release_id}/upload",
                        {"title": "Again", "summary": "", "data_set_id": ""},
                        files={"data_file": ("pupils.csv", pair.data_text(), "text/csv"),
                               "meta_file": ("pupils.meta.csv", pair.meta_text(), "text/csv")},
                        token_from=f"/admin/releases/{w.release_id}"))
    assert again.status_code == 200 and "Import this data set" in again.text


def test_upload_sweep_keeps_live_and_waiting_uploads(tmp_path: Path) -> None:
    from openstats.publishing.upload_folders import sweep_uploads
    from openstats.storage import owners

    # A marker written by a process that has exited since (the real code, in a child).
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from "
                    "openstats.storage import owners; owners.mark(Path(sys.argv[1]))",
                    str(tmp_path / "dead-marker")], check=True)
    dead = (tmp_path / "dead-marker").read_text()
    (tmp_path / "dead-marker").unlink()
    owners.mark(tmp_path / "live-marker")
    live = (tmp_path / "live-marker").read_text()
    owners.unmark(tmp_path / "live-marker")
    old = time.time() - 3 * 24 * 3600
    made = {}
    for name, marker, record, age in [
            ("receiving-live", live, False, None),
            ("receiving-dead", dead, False, None),
            ("waiting-for-import", None, True, None),
            ("abandoned", None, True, old),
            ("never-finished", None, False, old),
            ("just-created", None, False, None)]:
        folder = tmp_path / name
        folder.mkdir()
        if marker:
            (folder / ".receiving").write_text(marker)
        if record:
            (folder / "upload.json").write_text("{}")
        if age:
            for path in (folder, *folder.iterdir()):
                os.utime(path, (age, age))
        made[name] = folder
    removed = {p.name for p in sweep_uploads(tmp_path)}
    assert removed == {"receiving-dead", "abandoned", "never-finished"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "just-created", "receiving-live", "waiting-for-import"]
