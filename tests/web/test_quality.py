"""Data-quality reports (issue 15.5): the API extension and the page give, for the demo and
two real DfE data sets, the numbers a direct DuckDB count over each version's Parquet file
gives; the warnings are the screener's own for the files; embargoed versions have none."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from sqlalchemy import delete

from openstats.app import create_app
from openstats.catalogue.schema import version_quality
from openstats.demo import MANIFEST
from openstats.model.metadata import VersionMeta
from openstats.platform import Platform, open_platform
from openstats.settings import Settings
from openstats.standards.screening.screen import screen
from tests.api.conftest import serve
from tests.conftest import REFERENCE
from tests.support.inprocess import InProcessClient
from tests.support.real_site import APPRENTICES, DEMO, PUBLIC, WEEKLY, latest_version

# Written out here rather than read from standards/symbols.py: the test says what a
# report must count, whatever that module holds.
SYMBOLS = ["c", "x", "z", "u", "low", "k", ":", "~", ".", "-", "..", "N/A", "n/a"]
NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"


def latest(p: Platform, data_set_id: str) -> tuple[Path, VersionMeta]:
    version = latest_version(p, data_set_id)
    return (p.storage.file(version.storage_key, "data.parquet"),
            p.catalogue.metadata.get(version.id))


def direct_count(parquet: Path, meta: VersionMeta) -> dict[str, Any]:
    """The report's numbers, counted straight from the Parquet file."""
    con = duckdb.connect()
    src = f"read_parquet('{parquet}')"
    total = con.execute(f"SELECT count(*) FROM {src}").fetchone()[0]  # type: ignore[index]
    by_level = dict(con.execute(f"SELECT geographic_level, count(*) FROM {src} GROUP BY 1")
                    .fetchall())
    by_period = {meta.period_by_id[t].key: n for t, n in con.execute(
        f"SELECT time_period_id, count(*) FROM {src} GROUP BY 1").fetchall()}
    indicators = {}
    for i in meta.indicators:
        col = f'"{i.column}"'
        blank = con.execute(f"SELECT count(*) FROM {src} WHERE {col} IS NULL OR "
                            f"trim({col}) = ''").fetchone()[0]  # type: ignore[index]
        carried = dict(con.execute(f"SELECT {col}, count(*) FROM {src} WHERE {col} IN "
                                   f"({', '.join(repr(s) for s in SYMBOLS)}) GROUP BY 1")
                       .fetchall())
        numbers = con.execute(f"SELECT count(*) FROM {src} WHERE regexp_full_match("
                              f"{col}, '{NUMBER[1:-1]}')").fetchone()[0]  # type: ignore[index]
        indicators[i.column] = {"blank": blank, "symbols": carried, "numbers": numbers,
                                "unit": i.unit}
    return {"total": total, "levels": by_level, "periods": by_period,
            "indicators": indicators}


@pytest.mark.parametrize("data_set_id", PUBLIC)
def test_api_report_equals_a_direct_count(client: InProcessClient, platform: Platform,
                                          data_set_id: str) -> None:
    parquet, meta = latest(platform, data_set_id)
    expected = direct_count(parquet, meta)
    answer = client.get(f"/api/v1/data-sets/{data_set_id}/versions/1.0/quality")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["totalResults"] == expected["total"] == meta.row_count
    assert {r["code"]: r["rows"] for r in body["rowsByGeographicLevel"]} == expected["levels"]
    assert {f"{r['period']}|{r['code']}": r["rows"] for r in body["rowsByTimePeriod"]} \
        == expected["periods"]
    assert [i["column"] for i in body["indicators"]] == [i.column for i in meta.indicators]
    for i in body["indicators"]:
        want = expected["indicators"][i["column"]]
        assert i["blank"]["count"] == want["blank"]
        assert i["blank"]["share"] == pytest.approx(want["blank"] / expected["total"])
        got = {s: c["count"] for s, c in i["symbols"].items() if c["count"]}
        assert got == want["symbols"], i["column"]
        for s, c in i["symbols"].items():
            assert c["share"] == pytest.approx(c["count"] / expected["total"]), s
        if want["unit"] != "numberstring":
            # What is neither blank nor a symbol is a number (the screener lets no other
            # text through).
            assert i["values"]["count"] == want["numbers"], i["column"]


def test_symbols_are_counted_in_real_data(client: InProcessClient) -> None:
    """The apprenticeship starts carry `low` (27,295 cells of starts and 47,153 of
    achievements in DfE's file, counted in the CSV as published)."""
    body = client.get(f"/api/v1/data-sets/{APPRENTICES}/versions/1.0/quality").json()
    cells = {i["column"]: i for i in body["indicators"]}
    assert cells["starts"]["symbols"]["low"]["count"] == 27_295
    assert cells["achievements"]["symbols"]["low"]["count"] == 47_153
    assert {"symbol": "low", "meaning": "rounds to 0, but is not 0"} in body["symbols"]


def test_warnings_are_the_screeners_for_the_files(client: InProcessClient) -> None:
    """The demo's files warn (a filter with no Total, one with a single option): the report
    keeps exactly what screening them gives."""
    data = MANIFEST.parent / "e1_re_referrals.csv"
    with screen(data, data.with_suffix(".meta.csv"), reference_dir=REFERENCE) as s:
        report = s.report
    assert report.ok and report.warnings
    body = client.get(f"/api/v1/data-sets/{DEMO}/versions/1.0/quality").json()
    screening = body["screening"]
    assert screening["kept"] is True
    assert screening["warningCount"] == report.count_of("warning")
    assert {w["rule"]: w["count"] for w in screening["warnings"]} == report.counts
    assert [f["message"] for w in screening["warnings"] for f in w["findings"]] == \
        [f.message for f in report.warnings]


def test_page_shows_the_same_numbers(client: InProcessClient) -> None:
    body = client.get(f"/api/v1/data-sets/{APPRENTICES}/versions/1.0/quality").json()
    page = client.get(f"/data-catalogue/data-set/{APPRENTICES}/quality")
    assert page.status_code == 200
    html = page.text
    assert "<h1 class=\"govuk-heading-xl\">Data quality</h1>" in html
    for i in body["indicators"]:
        row = re.search(rf'data-indicator="{i["column"]}">(.*?)</tr>', html, re.S)
        assert row is not None, i["column"]
        counts = dict(re.findall(r'data-symbol="([^"]+)" data-count="(\d+)"', row.group(1)))
        assert {s: int(n) for s, n in counts.items()} == {
            s: c["count"] for s, c in i["symbols"].items()}
    for r in body["rowsByGeographicLevel"]:
        assert re.search(rf'data-level="{r["code"]}">.*?{r["rows"]:,}</td>', html)
    for r in body["rowsByTimePeriod"]:
        assert f">{r['label']}</th>" in html
    # The data-set page links to it.
    data_set_page = client.get(f"/data-catalogue/data-set/{APPRENTICES}").text
    assert f'href="/data-catalogue/data-set/{APPRENTICES}/quality"' in data_set_page


def test_demo_page_lists_its_warnings(client: InProcessClient) -> None:
    html = client.get(f"/data-catalogue/data-set/{DEMO}/quality").text
    assert 'data-rule="data.filter.no_default"' in html
    assert 'data-rule="data.filter.single_option"' in html
    assert "Filter &#39;referral_type&#39; has 1 option(s)." in html


def test_embargoed_and_unknown_versions_have_no_report(client: InProcessClient) -> None:
    assert client.get(f"/api/v1/data-sets/{WEEKLY}/versions/1.0/quality").status_code == 404
    assert client.get(f"/data-catalogue/data-set/{WEEKLY}/quality").status_code == 404
    assert client.get(f"/api/v1/data-sets/{DEMO}/versions/9.0/quality").status_code == 404
    assert client.get("/api/v1/data-sets/not-an-id/versions/1.0/quality").status_code == 404
    bad = client.get(f"/api/v1/data-sets/{DEMO}/versions/1.0/quality?colour=red")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["path"] == "colour"


def test_openapi_marks_it_as_an_extension(client: InProcessClient) -> None:
    doc = client.get("/api/openapi.json").json()
    op = doc["paths"]["/api/v1/data-sets/{dataSetId}/versions/{dataSetVersion}/quality"]["get"]
    assert op["x-openstats-extension"] is True
    assert "not part of EES" in op["description"]
    assert "rowsByGeographicLevel" in op["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]
    assert "quality report" in client.get("/api/docs").text


def test_a_version_imported_before_reports_is_counted_when_asked(
        tmp_path: Path, platform: Platform) -> None:
    """A catalogue upgraded from before the reports: no stored row, so the counts come
    from the Parquet file when first asked for, and the screening is said to be unknown."""
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE,
                        rate_limit=0, scheduler_seconds=0)
    p = open_platform(settings)
    from openstats.publishing.manifest import load_manifest

    load_manifest(p, MANIFEST)
    with p.catalogue.transaction() as conn:
        conn.execute(delete(version_quality))
    p.close()
    parquet, meta = latest(platform, DEMO)
    expected = direct_count(parquet, meta)
    with InProcessClient(create_app(settings)) as c:
        body = c.get(f"/api/v1/data-sets/{DEMO}/versions/1.0/quality").json()
        html = c.get(f"/data-catalogue/data-set/{DEMO}/quality").text
    assert body["screening"] == {"kept": False, "warningCount": 0, "warnings": []}
    assert body["totalResults"] == expected["total"]
    assert {i["column"]: i["blank"]["count"] for i in body["indicators"]} == {
        c: v["blank"] for c, v in expected["indicators"].items()}
    assert "imported before openstats kept" in html


def test_over_http(real_site: Settings) -> None:
    server = serve(real_site)
    live = next(server)
    try:
        answer = httpx.get(f"{live.api}/v1/data-sets/{APPRENTICES}/versions/1/quality")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["version"] == "1.0"
        again = httpx.get(f"{live.api}/v1/data-sets/{APPRENTICES}/versions/1.0/quality",
                          headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304
        page = httpx.get(f"{live.base}/data-catalogue/data-set/{APPRENTICES}/quality")
        assert page.status_code == 200 and "Blank cells and symbols" in page.text
        assert httpx.get(f"{live.api}/v1/data-sets/{WEEKLY}/versions/1.0/quality"
                         ).status_code == 404
    finally:
        server.close()


def test_reports_and_places_on_each_database(tmp_path: Path, database_url: str) -> None:
    """SQLite and PostgreSQL: the report is stored with the version and goes with it when
    a draft's version is replaced; the location lookup's SQL answers on both."""
    from openstats.catalogue import locations
    from openstats.catalogue import quality as stored
    from openstats.catalogue.values import now
    from openstats.ingest.service import import_pair
    from openstats.publishing.manifest import load_manifest

    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,
                        reference_dir=REFERENCE, rate_limit=0, scheduler_seconds=0)
    p = open_platform(settings)
    try:
        load_manifest(p, MANIFEST)
        holders = locations.data_sets_with(p.catalogue, "NAT", "E92000001", now(),
                                           p.catalogue.snapshots.view().moment)
        assert [h.data_set_id for h in holders] == [DEMO]
        data = MANIFEST.parent / "e1_re_referrals.csv"
        meta = data.with_suffix(".meta.csv")
        draft = "cccccccc-3333-4000-8000-000000000001"
        first = import_pair(p.catalogue, p.storage, settings, data, meta, data_set_id=draft,
                            publication_id=None, title="Draft")
        changed = tmp_path / "e1_re_referrals.csv"
        changed.write_bytes(data.read_bytes().replace(b"141760", b"141999"))
        second = import_pair(p.catalogue, p.storage, settings, changed, meta,
                             data_set_id=draft, publication_id=None, title="Draft",
                             replaces=first.version_id)
        with p.catalogue.connect() as conn:
            assert stored.of_version(conn, first.version_id) is None
            kept = stored.of_version(conn, second.version_id)
        assert kept is not None and kept.screening is not None
        assert kept.counts.row_count == second.row_count
        # A draft is not public: no location page lists it.
        holders = locations.data_sets_with(p.catalogue, "NAT", "E92000001", now(),
                                           p.catalogue.snapshots.view().moment)
        assert [h.data_set_id for h in holders] == [DEMO]
    finally:
        p.close()
