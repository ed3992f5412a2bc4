"""The catalogue database goes away and comes back (issue 12, finding 12).

PostgreSQL: a server of the test's own, killed with -9 and started again. SQLite: the
catalogue file (with its WAL) moved out of the data folder and put back. Meanwhile every
route of the app is asked: readers keep getting what was last published (the same
answers as before), what needs the database answers 503 with Retry-After (a GOV.UK page,
or problem+json from the API), nothing answers 500. A release scheduled for a moment
inside the outage appears at that moment and not a second before, also in a server that
started during the outage (from the snapshot kept on disk). Everything recovers by itself.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient

from openstats.app import create_app
from openstats.catalogue import accounts, content, methodologies, releases
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing import workflow
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person
from tests.admin.test_embargo import QUERIES, SECRET_ID, TITLE, embargoed_manifest, fill, walk
from tests.conftest import REFERENCE
from tests.faults import postgres
from tests.ops.helpers import environment, openstats
from tests.security.test_errors import LEAKS
from tests.support.catalogue import FAR_AHEAD, reschedule

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
# The embargoed release is scheduled FAR_AHEAD, and brought forward to LEAD seconds ahead
# just before the walk whose answers the outage is compared with (the servers then hold
# the new moment, in memory and on disk, when the database goes). What runs from then to
# its moment (both walks, a second server's start and checks) took 2.0 s (SQLite) and
# 3.7 s (PostgreSQL) on 2 cores at load average 4.3: 10 s is nearly 3 times the slower,
# and each wait ends with a check that it was long enough.
LEAD = 10.0
# Routes that need the database itself: they may answer 503 while it is away.
# The change feed, the Atom feeds and email alerts read events and subscriptions, which
# the published snapshot does not hold (docs/notifications.md).
ALERTS = "/find-statistics/{publication}/email-alerts"
NEEDS_DATABASE = ("/admin", "/data-tables/permalink", "/readyz", "/api/v1/changes",
                  "/statistics/v1/changes", "/feeds/", "/find-statistics/{publication}/feed",
                  ALERTS, "/subscriptions/")


@dataclass
class Database:
    kind: str
    url: str  # "" for SQLite in the data folder
    data_dir: Path
    server: postgres.OwnPostgres | None = None

    def down(self) -> None:
        if self.server is not None:
            self.server.kill9()
            return
        away = self.data_dir.parent / "away"
        away.mkdir(exist_ok=True)
        for f in self.data_dir.glob("catalogue.sqlite*"):
            f.rename(away / f.name)

    def up(self) -> None:
        if self.server is not None:
            self.server.start()
            return
        for f in (self.data_dir.parent / "away").iterdir():
            f.rename(self.data_dir / f.name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        yield Database("sqlite", "", data_dir)
        return
    if not postgres.available():
        pytest.skip("no PostgreSQL 15 binaries to run a server of our own")
    server = postgres.OwnPostgres()
    try:
        yield Database("postgresql", server.url, data_dir, server)
    finally:
        server.stop()


@dataclass
class World:
    settings: Settings
    ids: dict[str, str]
    when: datetime  # the embargoed release's moment


def build_world(db: Database, folder: Path) -> World:
    settings = Settings(data_dir=db.data_dir, database_url=db.url, reference_dir=REFERENCE,
                        scheduler_seconds=1)
    platform = open_platform(settings)
    shown = load_manifest(platform, MANIFEST)
    when = (datetime.now(UTC) + FAR_AHEAD).replace(microsecond=0)
    embargoed = load_manifest(platform, embargoed_manifest(folder, when))
    admin = accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    accounts.create_user(platform.catalogue, "reader@example.org", PASSWORD, "publisher")
    workflow.grant_pre_release(platform.catalogue, admin, embargoed.release_id,
                               "reader@example.org")
    # Recorded as published now, not at the app's first scheduler tick: that moves the
    # generation, and a change just before the outage would make the catalogue's cached
    # pages (its searches run in SQL) those of an older generation.
    workflow.publish_due(platform.catalogue)
    view = platform.catalogue.snapshots.view()
    demo = view.latest(DEMO)
    assert demo is not None
    publication = view.publications()[0]
    featured = view.featured_tables(demo)
    with platform.catalogue.connect() as conn:  # the demo release's content, to walk too
        rv = releases.latest_version(conn, shown.release_id)
        assert rv is not None
        said = content.content_of(conn, rv.id)
        methodology_id = methodologies.find(conn, "children-in-need-re-referrals-methodology")
    assert methodology_id is not None
    platform.close()
    ids = {"dataSetId": DEMO, "data_set_id": DEMO, "publicationId": publication.id,
           "publication": publication.slug, "publication_id": publication.id,
           "upload_id": SECRET_ID, "release": demo.release.slug, "dataSetVersion": "1.0",
           "table_id": featured[0].id, "kind": "csv", "release_id": embargoed.release_id,
           "user_id": admin.id, "block_id": said.blocks[0].id,
           "stat_id": said.key_statistics[0].id, "section_id": said.sections[0].id,
           "methodology_id": methodology_id, "slug": "children-in-need-re-referrals-methodology"}
    ids |= {"level": "NAT", "identifier": "E92000001",  # England, for the location page
            "column": "referral_type",  # a filter column, for its code list
            "webhook_id": SECRET_ID}
    return World(settings, ids, when)


def ask(client: TestClient, method: str, template: str, ids: dict[str, str]) -> httpx.Response:
    url = fill(template, ids)
    if template in QUERIES:
        url += "?" + QUERIES[template].format(**ids)
    if method == "POST":
        return client.post(url, json={})
    return client.get(url)


def permalink_of(client: TestClient) -> str:
    meta = client.get(f"/api/v1/data-sets/{DEMO}/meta").json()
    form = {"dataSetId": DEMO, "locations": meta["locations"][0]["options"][0]["id"],
            "start": "2017|RY", "end": "2017|RY", "indicators": meta["indicators"][0]["id"]}
    for f in meta["filters"]:
        form[f"filter_{f['id']}"] = f["options"][0]["id"]
    made = client.post("/data-tables/permalink", content=urlencode(form),
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert made.status_code == 303, made.text
    return str(made.headers["location"])


def assert_fails_well(method: str, path: str, answer: httpx.Response) -> None:
    """Whatever the answer, never a 500, never the inside; a 503 says what and when."""
    assert answer.status_code != 500, f"{method} {path}: 500\n{answer.text[:500]}"
    found = [word for word in LEAKS if word in answer.text]
    assert answer.status_code < 400 or not found, \
        f"{method} {path} ({answer.status_code}) shows {found}"
    # /readyz is a probe's answer, for machines; email alerts answer 503 whenever no mail
    # server is configured (as here), database or not: not an outage's answer.
    if answer.status_code == 503 and path not in ("/readyz", ALERTS):
        assert answer.headers["retry-after"].isdigit(), path
        if path.startswith(("/api", "/statistics")):
            assert answer.headers["content-type"] == "application/problem+json", path
            assert answer.json()["status"] == 503 and answer.json()["detail"]
        else:
            assert "govuk-heading-l" in answer.text and "not available" in answer.text, path


def test_readers_are_served_through_an_outage_and_all_recovers(
        database: Database, tmp_path: Path) -> None:
    world = build_world(database, tmp_path)
    routes = walk(create_app(Settings(data_dir=tmp_path / "routes")).routes)
    assert len(routes) > 25
    with TestClient(create_app(world.settings), follow_redirects=False) as client:
        reader = Person(TestClient(client.app, follow_redirects=False))
        assert reader.sign_in("reader@example.org").status_code == 303
        early = reader.get(f"/data-catalogue/data-set/{SECRET_ID}")
        assert early.status_code == 200 and TITLE in early.text  # pre-release access
        link = permalink_of(client)
        platform = open_platform(world.settings)
        try:
            world.when = reschedule(platform.catalogue, world.ids["release_id"], LEAD)
        finally:
            platform.close()
        before = {(m, t): ask(client, m, t, world.ids) for m, t in routes}
        assert client.get(link).status_code == 200

        database.down()
        during = {(m, t): ask(client, m, t, world.ids) for m, t in routes}
        # Past the embargo's moment, the views (and the catalogue's cached pages) change.
        assert datetime.now(UTC) < world.when, "the walks took longer than LEAD"
        for (method, template), answer in during.items():
            assert_fails_well(method, template, answer)
            assert TITLE not in answer.text, f"{method} {template} shows the embargoed title"
            was = before[(method, template)]
            if was.status_code == 200 and not template.startswith(NEEDS_DATABASE) \
                    and template not in ("/healthz", "/metrics"):
                # Readers get what they got before the outage, to the byte.
                assert answer.status_code == 200, (method, template, answer.status_code)
                assert answer.content == was.content, (method, template)
        assert during[("GET", "/admin")].status_code == 503
        assert during[("GET", "/admin/login")].status_code == 503
        assert during[("POST", "/admin/login")].status_code == 503
        assert during[("GET", "/api/v1/data-sets/{dataSetId}/query")].status_code == 200
        assert_fails_well("GET", link, answer := client.get(link))
        assert answer.status_code == 503
        # A signed-in reader is served too, as everyone is (early sight needs the database).
        page = reader.get(f"/data-catalogue/data-set/{SECRET_ID}")
        assert page.status_code == 404 and TITLE not in page.text
        assert reader.get("/").status_code == 200

        # A server started during the outage serves what was last published, from disk.
        with TestClient(create_app(world.settings), follow_redirects=False) as fresh:
            for m, t in [("GET", "/"), ("GET", "/data-catalogue/data-set/{data_set_id}"),
                         ("GET", "/find-statistics/{publication}/{release}"),
                         ("GET", "/api/v1/data-sets/{dataSetId}/meta"),
                         ("GET", "/api/v1/data-sets/{dataSetId}/query"),
                         ("GET", "/data-tables/fast-track/{table_id}")]:
                answer = ask(fresh, m, t, world.ids)
                assert answer.status_code == 200 and answer.content == before[(m, t)].content, t
            assert_fails_well("GET", "/admin", answer := fresh.get("/admin"))
            assert answer.status_code == 503

            # Its moment comes during the outage: nothing before it, everything after.
            assert datetime.now(UTC) < world.when, "the checks took longer than LEAD"
            for c in (client, fresh):
                assert c.get(f"/data-catalogue/data-set/{SECRET_ID}").status_code == 404
            assert datetime.now(UTC) < world.when, "the checks took longer than LEAD"
            time.sleep(max(0.0, (world.when - datetime.now(UTC)).total_seconds()) + 0.2)
            for c in (client, fresh):
                page = c.get(f"/data-catalogue/data-set/{SECRET_ID}")
                assert page.status_code == 200 and TITLE in page.text
                api = c.get(f"/api/v1/data-sets/{SECRET_ID}/query")
                assert api.status_code == 200 and api.json()["results"]

            database.up()
            for c in (client, fresh):
                recovered(c)
        assert client.get(link).status_code == 200
        admin = Person(TestClient(client.app, follow_redirects=False))
        assert admin.sign_in("admin@example.org").status_code == 303
        assert admin.get("/admin").status_code == 200


def recovered(client: TestClient, seconds: float = 30) -> None:
    """Wait until the app answers from the database again (no restart, no action)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200 and \
                client.get("/admin/login").status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError("the app did not recover once the database was back")


def test_sqlite_file_gone_at_start_is_an_outage_not_a_new_catalogue(tmp_path: Path) -> None:
    db = Database("sqlite", "", tmp_path / "data")
    world = build_world(db, tmp_path)
    with TestClient(create_app(world.settings)) as client:
        assert client.get("/").status_code == 200  # the snapshot is kept on disk
    db.down()
    with TestClient(create_app(world.settings)) as client:
        home = client.get("/")
        assert home.status_code == 200 and "Children in need" in home.text
        assert client.get("/admin").status_code == 503
    assert not (world.settings.data_dir / "catalogue.sqlite").exists()  # no empty one made
    # A command says so in one line, and makes nothing either.
    done = subprocess.run(openstats("publish", "--due", "--data-dir",
                                    str(world.settings.data_dir)),
                          env=environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "is missing" in done.stderr
    assert not (world.settings.data_dir / "catalogue.sqlite").exists()
    db.up()
    with TestClient(create_app(world.settings)) as client:
        assert client.get("/admin/login").status_code == 200


def test_a_new_data_folder_still_gets_a_new_catalogue(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "new", database_url="")
    with TestClient(create_app(settings)) as client:
        assert client.get("/").status_code == 200
    assert (tmp_path / "new" / "catalogue.sqlite").is_file()
    shutil.rmtree(tmp_path / "new")
