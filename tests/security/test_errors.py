"""Real failures inside the server never show a stack trace, SQL or a path to anyone.

Each test breaks a live server's own files the way a bad disk or a bad deploy would: a
corrupt Parquet file, a data file gone, a catalogue table dropped. The answers may be
errors, but their bodies (API JSON and HTML pages alike) hold nothing of the inside.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import LiveServer
from tests.security.test_http_guards import DEMO, demo_server

LEAKS = ("Traceback", "traceback", "duckdb", "DuckDB", "SELECT", "select ", "sqlalchemy",
         "sqlite", "OperationalError", "Exception", "File \"", ".py", ".parquet", "/tmp/",
         "/work/", "site-packages")


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[LiveServer]:
    yield from demo_server(tmp_path)


def assert_no_leak(answer: httpx.Response) -> None:
    found = [word for word in LEAKS if word in answer.text]
    assert not found, f"{answer.request.url} ({answer.status_code}) shows {found}:\n" \
                      f"{answer.text[:2000]}"


def table_query(site: LiveServer) -> str:
    meta = httpx.get(f"{site.api}/v1/data-sets/{DEMO}/meta").json()
    level = meta["filters"][0]
    location = meta["locations"][0]["options"][0]["id"]
    return (f"/data-tables/table?dataSetId={DEMO}&locations={location}"
            f"&start=2017|RY&end=2017|RY&indicators={meta['indicators'][0]['id']}&"
            + "&".join(f"filter_{f['id']}={f['options'][0]['id']}" for f in meta["filters"])
            + f"&filter_{level['id']}={level['options'][1]['id']}")


def test_corrupt_parquet_file(broken: LiveServer) -> None:
    table = table_query(broken)
    (parquet,) = broken.data_dir.rglob("data.parquet")
    parquet.write_bytes(b"PAR1 this is not a parquet file any more PAR1")
    answers = [
        httpx.get(f"{broken.api}/v1/data-sets/{DEMO}/query"),
        httpx.post(f"{broken.api}/v1/data-sets/{DEMO}/query", json={
            "criteria": {"geographicLevels": {"eq": "NAT"}}}),
        httpx.get(broken.base + table),
        httpx.get(broken.base + table.replace("/table?", "/table.csv?")),
    ]
    # Each one fails as a whole (the file is read before any answer starts): a clean 500,
    # problem details from the API and the error page from the table tool.
    assert [(a.status_code, a.headers["content-type"]) for a in answers] == [
        (500, "application/problem+json"), (500, "application/problem+json"),
        (500, "text/html; charset=utf-8"), (500, "text/html; charset=utf-8")]
    for answer in answers:
        assert_no_leak(answer)


def test_data_file_gone(broken: LiveServer) -> None:
    for csv_file in broken.data_dir.rglob("e1_re_referrals.csv"):
        csv_file.unlink()
    answers = [httpx.get(f"{broken.base}/data-catalogue/data-set/{DEMO}"),
               httpx.get(f"{broken.base}/data-catalogue/data-set/{DEMO}?preview=all")]
    assert {a.status_code for a in answers} == {500}
    for answer in answers:
        assert_no_leak(answer)
    # A download is streamed: its answer has begun (200) before the file is read, so it
    # cannot turn into an error page. The connection must end without the end-of-body
    # marker, so no client takes a cut-short file for a whole one (it used to end cleanly,
    # an empty "complete" CSV), and nothing of the failure is sent.
    for encoding in ("gzip", "identity"):
        with httpx.stream("GET", f"{broken.api}/v1/data-sets/{DEMO}/csv",
                          headers={"accept-encoding": encoding}) as download:
            assert download.status_code == 200
            with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
                download.read()


def test_catalogue_table_dropped(broken: LiveServer) -> None:
    with sqlite3.connect(broken.data_dir / "catalogue.sqlite") as db:
        db.execute("DROP TABLE data_set_versions")
    paths = ["/", "/data-catalogue", f"/data-catalogue/data-set/{DEMO}",
             "/find-statistics/children-in-need-a-focus-on-re-referrals/2024",
             "/data-tables", "/api/v1/publications", f"/api/v1/data-sets/{DEMO}",
             f"/api/v1/data-sets/{DEMO}/meta", f"/api/v1/data-sets/{DEMO}/query",
             "/healthz", "/admin/login"]
    answers = [httpx.get(broken.base + path) for path in paths]
    # Every page and API answer reads data_set_versions, so each is a clean 500; liveness
    # does not depend on the catalogue, and the sign-in form reads only the users table.
    still_up = {"/healthz", "/admin/login"}
    assert {p: a.status_code for p, a in zip(paths, answers, strict=True)} == {
        p: 200 if p in still_up else 500 for p in paths}
    for answer in answers:
        assert_no_leak(answer)
        if answer.status_code == 500:
            assert answer.headers["content-security-policy"]  # the error answer is guarded too
