"""Results day on loopback: 50 clients for 30 s against `openstats serve --workers 2`.

While the load runs, a scheduled release becomes public and an amendment is imported in
another process. Every answer is checked (numbers against DuckDB over the CSVs, downloads
against the uploaded bytes, the scheduled data set never a moment early); the test fails
on any error, any wrong answer, or a run that did not exercise what it claims.

OPENSTATS_LOAD_SECONDS and OPENSTATS_LOAD_CLIENTS change the bounds (30 s, 50 clients).
The table of figures is printed and written to tests/load/artifacts/latest.md.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import manifest_text
from tests.api.decode import Decoder
from tests.conftest import REFERENCE, SAMPLES, free_port, wait_until_up
from tests.load import loadgen

# 30 s: the scheduled moment (10 s in) and the amendment's import (5 s in) both fall well
# inside the run, and the run is still 1,500+ checked answers; a longer run tells us more
# about the machine than about the code, and it held the whole suite's two cores for 60 s.
SECONDS = float(os.environ.get("OPENSTATS_LOAD_SECONDS", "30"))
# How far ahead the scheduled release is set once the servers are up: time enough to load
# it (one small data set, while the servers run) and to fetch the probes' metadata.
SCHEDULE_LEAD = 15.0
CLIENTS = int(os.environ.get("OPENSTATS_LOAD_CLIENTS", "50"))
ARTIFACTS = Path(__file__).parent / "artifacts"
OPENSTATS = str(Path(sys.executable).with_name("openstats"))

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
ABSENCE = "22222222-0000-4000-8000-000000000001"
SEVEN = "22222222-0000-4000-8000-000000000002"
DATES = "22222222-0000-4000-8000-000000000003"  # in the release published mid-run
DEMO_CSV = Path(__file__).resolve().parents[2] / "src/openstats/demo/e1_re_referrals.csv"


@dataclass
class Server:
    base: str
    data_dir: Path
    env: dict[str, str]
    publish_at: datetime
    embargo: loadgen.Embargoed | None = None


def cli(server_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPENSTATS, *args], env=server_env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("load")
    data_dir = folder / "data"
    env = {**os.environ, "OPENSTATS_DATA_DIR": str(data_dir),
           "OPENSTATS_REFERENCE_DIR": str(REFERENCE), "OPENSTATS_DATABASE_URL": "",
           # Every client here comes from 127.0.0.1; the per-client rate limit would turn
           # a crowd into one greedy client (it has its own tests in tests/security).
           "OPENSTATS_RATE_LIMIT": "0"}
    assert cli(env, "load-demo").returncode == 0
    (folder / "samples.toml").write_text(manifest_text(
        "Load test samples", "load-test-samples", "2024-06-13T09:30:00Z",
        [(ABSENCE, "Absence", "ees-tests/absence_school"),
         (SEVEN, "Seven filters", "ees-tests/seven_filters")]))
    done = cli(env, "load", str(folder / "samples.toml"))
    assert done.returncode == 0, done.stderr
    port = free_port()
    process = subprocess.Popen([OPENSTATS, "serve", "--workers", "2", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        # A release that becomes public a third of the way into the run, loaded while the
        # servers run (as a publisher would): set only now, so no fixed lead has to cover
        # how long the servers took to start on a busy machine.
        publish_at = (datetime.now(UTC) + timedelta(seconds=SCHEDULE_LEAD + SECONDS / 3)
                      ).replace(microsecond=0)
        (folder / "scheduled.toml").write_text(manifest_text(
            "Results day", "results-day", publish_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            [(DATES, "Dates", "ees-tests/dates")]))
        done = cli(env, "load", str(folder / "scheduled.toml"))
        assert done.returncode == 0, done.stderr
        yield Server(base, data_dir, env, publish_at)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def amended_absence(folder: Path) -> tuple[Path, Path]:
    """absence_school with every enrolment count changed: if this amendment (imported
    during the run, never published) leaked into an answer, the number checks would fail."""
    source = SAMPLES / "ees-tests/absence_school.csv"
    with source.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    column = rows[0].index("enrolments")
    for row in rows[1:]:
        if row[column].isdigit():
            row[column] = str(int(row[column]) + 1)
    data = folder / "absence_amended.csv"
    with data.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    meta = folder / "absence_amended.meta.csv"
    meta.write_bytes((SAMPLES / "ees-tests/absence_school.meta.csv").read_bytes())
    return data, meta


def lazy_query_check(base: str, data_set_id: str, source: Path) -> loadgen.Check:
    """Like loadgen.query_rows, but the meta (public ids) is fetched at the first 200:
    before its release is public the data set has no public meta to fetch."""
    built: dict[str, loadgen.Check] = {}

    def check(answer: httpx.Response) -> str | None:
        if "check" not in built:
            meta = httpx.get(f"{base}/api/v1/data-sets/{data_set_id}/meta", timeout=30)
            if meta.status_code != 200:
                return f"query answered 200 but meta answered {meta.status_code}"
            built["check"] = loadgen.query_rows(meta.json(), source)
        return built["check"](answer)
    return check


def probes(server: Server) -> list[loadgen.Probe]:
    base = server.base
    meta = {i: httpx.get(f"{base}/api/v1/data-sets/{i}/meta").json()
            for i in (ABSENCE, SEVEN, DEMO)}
    absence = SAMPLES / "ees-tests/absence_school.csv"
    seven = SAMPLES / "ees-tests/seven_filters.csv"
    d = Decoder(meta[ABSENCE])

    def option(column: str, label: str) -> str:
        f = next(f for f in d.filters.values() if f["column"] == column)
        return next(o["id"] for o in f["options"] if o["label"] == label)

    facets = {"geographicLevels.in": "LA,REG",
              "filters.in": f"{option('school_type', 'State-funded primary')},"
                            f"{option('ncyear', 'Year 6')}",
              "timePeriods.gte": "2020/2021|AY", "pageSize": 1000}
    Probe = loadgen.Probe
    status = loadgen.status
    dates_query = loadgen.Embargoed(server.publish_at, lazy_query_check(
        base, DATES, SAMPLES / "ees-tests/dates.csv"))
    server.embargo = dates_query
    return [
        Probe("page", "GET", "/", 4, status(200, "Children in need")),
        Probe("page", "GET", f"/data-catalogue/data-set/{DEMO}", 6,
              status(200, "E1. Re-referrals by level of intervention by CSC, 2017-23")),
        Probe("page", "GET", "/find-statistics/children-in-need-a-focus-on-re-referrals/2024",
              3, status(200, "Reporting year 2024")),
        Probe("search", "GET", "/data-catalogue", 6, status(200, "Absence"),
              params={"search": "absence"}),
        Probe("search", "GET", "/data-catalogue", 3, status(200, "Seven filters"),
              params={"search": "cheese"}),
        Probe("api", "GET", f"/api/v1/data-sets/{ABSENCE}/query", 8,
              loadgen.query_rows(meta[ABSENCE], absence, lambda r: r["geographic_level"] in (
                  "Local authority", "Regional") and (r["school_type"] == "State-funded primary"
                                                      or r["ncyear"] == "Year 6")
                  and r["time_period"] >= "202021"), params=facets),
        Probe("api", "POST", f"/api/v1/data-sets/{ABSENCE}/query", 4,
              loadgen.query_rows(meta[ABSENCE], absence),
              body={"pageSize": 1000}),
        Probe("api", "GET", f"/api/v1/data-sets/{DEMO}/query", 4,
              loadgen.query_rows(meta[DEMO], DEMO_CSV)),
        Probe("api", "GET", f"/api/v1/data-sets/{SEVEN}/query", 2,
              loadgen.query_rows(meta[SEVEN], seven, page_of_many=True),
              params={"pageSize": 1000, "page": 2}),
        Probe("api", "GET", f"/api/v1/data-sets/{ABSENCE}/meta", 3, status(200, "filters")),
        Probe("api", "GET", "/api/v1/publications", 2, status(200, "results")),
        Probe("scheduled", "GET", f"/api/v1/data-sets/{DATES}/query", 4, dates_query,
              params={"pageSize": 1000}),
        Probe("download", "GET", f"/api/v1/data-sets/{ABSENCE}/csv", 3, loadgen.same_bytes(
            absence)),
        Probe("download", "GET", f"/data-catalogue/data-set/{DEMO}/zip", 2,
              loadgen.zip_holding(DEMO_CSV)),
    ]


def test_load_while_publishing_and_importing(server: Server, tmp_path: Path) -> None:
    mix = probes(server)
    data, meta = amended_absence(tmp_path)
    events: dict[str, Any] = {}

    def background() -> None:
        # An amendment imported by another process, a few seconds into the run.
        time.sleep(min(5.0, SECONDS / 6))
        events["import"] = cli(server.env, "import", str(data), str(meta),
                               "--data-set-id", ABSENCE)
        # The cron-style publish after the scheduled moment (the servers' schedulers
        # record it too; visibility itself needs neither).
        wait = (server.publish_at - datetime.now(UTC)).total_seconds() + 1
        time.sleep(max(0.0, wait))
        events["publish"] = cli(server.env, "publish", "--due")

    thread = threading.Thread(target=background)
    thread.start()
    # Start so that the scheduled moment falls a third of the way into the run.
    lead = (server.publish_at - datetime.now(UTC)).total_seconds() - SECONDS / 3
    assert lead > 0, f"setting up took longer than SCHEDULE_LEAD ({SCHEDULE_LEAD:g} s); raise it"
    time.sleep(lead)
    results = loadgen.run(server.base, mix, clients=CLIENTS, seconds=SECONDS)
    thread.join(timeout=300)

    report = results.markdown()
    print("\n" + report)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "latest.md").write_text(report + "\n")

    assert events["import"].returncode == 0, events["import"].stderr
    assert "imported as" in events["import"].stdout
    assert events["publish"].returncode == 0, events["publish"].stderr
    assert not results.errors, results.errors[:20]
    assert not results.wrong, results.wrong[:20]
    # The run did what it claims: real volume, every kind, and the release went public
    # during it (the scheduled data set answered both 404 and 200).
    assert results.requests >= 20 * SECONDS, results.requests
    assert {"page", "search", "api", "scheduled", "download"} <= set(results.latencies)
    assert server.embargo is not None
    assert server.embargo.before > 0 and server.embargo.after > 0, vars(server.embargo)
