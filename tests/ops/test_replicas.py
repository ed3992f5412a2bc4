"""Two replicas, one PostgreSQL catalogue: both start, both see every publication at once,
and their two schedulers record a due release exactly once.

Real processes, as a deployment runs them: each replica runs `openstats load-demo` and
then `openstats serve` against the same empty PostgreSQL schema and the same data folder,
started at the same moment.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from openstats.catalogue import accounts, audit, releases
from openstats.catalogue.db import Catalogue
from tests.admin.helpers import PASSWORD, Person
from tests.admin.test_publishing import (
    DEMO_DATA,
    DEMO_META,
    data_set_ids,
    import_upload,
    upload,
)
from tests.ops.helpers import environment, start
from tests.support.publishing import make_release

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
TICK = 0.25  # seconds between each replica's scheduler runs


def demo_releases(catalogue: Catalogue) -> list[str]:
    """The demo's two releases (each loaded as approved for a moment long past, which the
    first tick records)."""
    with catalogue.connect() as conn:
        return [r for r in (releases.find_release(conn, publication, release) for
                            publication, release in (
                                ("children-in-need-a-focus-on-re-referrals", "2024"),
                                ("school-pupils-and-their-characteristics", "2021-22")))
                if r]


def published_entries(catalogue: Catalogue) -> list[str]:
    """Releases the schedulers recorded as published, but the demo's."""
    demo = demo_releases(catalogue)
    with catalogue.connect() as conn:
        return [e.object_id for e in audit.entries(conn)
                if e.action == "published" and e.object_id not in demo]


def test_two_replicas_start_together_and_publish_once(postgres_url: str, tmp_path: Path) -> None:
    env = environment(OPENSTATS_DATABASE_URL=postgres_url,
                      OPENSTATS_DATA_DIR=str(tmp_path / "data"),
                      OPENSTATS_SCHEDULER_SECONDS=str(TICK))
    replicas = [start(tmp_path, name, env, load_demo=True) for name in ("a", "b")]
    a, b = replicas
    catalogue: Catalogue | None = None
    demo: list[str] = []
    try:
        ready = [r.wait_ready() for r in replicas]
        print(f"\nreplica start (load-demo + serve) to /readyz 200: "
              f"{ready[0]:.2f} s and {ready[1]:.2f} s")
        # First-start work happened once: one migration (the schema is whole), one demo.
        catalogue = Catalogue(postgres_url, migrate_now=False)
        counts = catalogue.counts()
        demo = demo_releases(catalogue)
        # The demo is two publications (the seed and DfE's real data), each loaded once.
        assert counts["data_sets"] == 2 and counts["data_set_versions"] == 2, counts
        assert len(list((tmp_path / "data" / "files" / "versions").iterdir())) == 2
        for r in replicas:
            assert httpx.get(f"{r.base}/data-catalogue/data-set/{DEMO}").status_code == 200

        # Published through one replica, visible through the other on the very next request.
        accounts.create_user(catalogue, "admin@example.org", PASSWORD, "admin")
        person = Person(a.base)
        assert person.sign_in("admin@example.org").status_code == 303
        now_release = make_release(person, "Replicated statistics")
        import_upload(person, upload(person, now_release, DEMO_DATA.read_bytes(),
                                     DEMO_META.read_bytes(), "Replicated"), now_release)
        [now_set] = data_set_ids(person, now_release)
        on_b = f"{b.base}/api/v1/data-sets/{now_set}"
        latest_list = httpx.get(f"{b.base}/api/v1/publications")  # fills any cache there is
        assert httpx.get(on_b).status_code == 404
        assert person.post(f"/admin/releases/{now_release}/approve", {"when": "now"},
                           token_from=f"/admin/releases/{now_release}").status_code == 303
        assert httpx.get(on_b).status_code == 200
        assert httpx.get(f"{b.base}/data-catalogue/data-set/{now_set}").status_code == 200
        again = httpx.get(f"{b.base}/api/v1/publications",
                          headers={"If-None-Match": latest_list.headers["etag"]})
        assert again.status_code == 200 and "Replicated statistics" in again.text

        # A release due in a few seconds, with both replicas' schedulers ticking every TICK.
        later_release = make_release(person, "Scheduled replicated statistics")
        import_upload(person, upload(person, later_release, DEMO_DATA.read_bytes(),
                                     DEMO_META.read_bytes(), "Scheduled"), later_release)
        when = (datetime.now(UTC) + timedelta(seconds=3)).astimezone(ZoneInfo("Europe/London"))
        assert person.post(f"/admin/releases/{later_release}/approve", {
            "when": "later", "date": when.strftime("%Y-%m-%d"),
            "time": when.strftime("%H:%M:%S")},
            token_from=f"/admin/releases/{later_release}").status_code == 303
        deadline = time.monotonic() + 30
        while later_release not in published_entries(catalogue):
            assert time.monotonic() < deadline, "no scheduler recorded the publication"
            time.sleep(0.2)
        time.sleep(4 * TICK)  # four more ticks of each scheduler: none may record it again
        assert sorted(published_entries(catalogue)) == sorted([now_release, later_release])
        [later_set] = data_set_ids(person, later_release)
        for r in replicas:
            assert httpx.get(f"{r.base}/api/v1/data-sets/{later_set}").status_code == 200
    finally:
        codes = [r.stop() for r in replicas]
        if catalogue is not None:
            catalogue.close()
    # uvicorn re-raises SIGTERM once it has shut down cleanly, so -15 is a clean exit.
    assert all(code in (0, -15) for code in codes), codes
    lines = [line for r in replicas for line in r.log_lines()]
    assert [line["message"] for line in lines].count("scheduler stopped") == 2
    logged = [line for line in lines if line["message"] == "release published"]
    # Each release once, on one replica or the other (the demo's too: loaded as approved).
    assert sorted(line["release_id"] for line in logged) == sorted([now_release,
                                                                    later_release, *demo])
