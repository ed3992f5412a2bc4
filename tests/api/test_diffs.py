"""What changed, number by number: the demo's 1.0 against an amendment of a few changed,
added and removed rows, through the API (in process, and once over real HTTP), its CSV,
and `asOf`, which picks the version public at a moment and never one still to come."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from openstats.app import create_app
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.conftest import serve
from tests.conftest import REFERENCE
from tests.support.inprocess import InProcessClient

DS = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
URL = f"/api/v1/data-sets/{DS}"
DATA = MANIFEST.parent / "e1_re_referrals.csv"
FIRST_PUBLISHED = datetime(2024, 11, 21, 9, 30, tzinfo=UTC)


def amended_data() -> str:
    """1.0's rows with one number changed, one number made a symbol, one row moved to a new
    referral type (removed, and added under the new option) and a row of a new year."""
    text = DATA.read_text(encoding="utf-8")
    text = text.replace("1. No futher action,Total,141760,21.6",
                        "1. No futher action,Total,141761,21.6")
    text = text.replace("3. CINO,Total,218030,33.2", "3. CINO,Total,218030,c")
    text = text.replace("2. Assessed as not in need,Total,",
                        "2. Assessed as not in need,Within 12 months,")
    return text + "2018,Reporting year,National,E92000001,England,5. ICPC,Total,11000,1.8\n"


def manifest_with(folder: Path, name: str, data: str, published: str | None = None) -> Path:
    """The demo's manifest in `folder`, with `data` as its data file."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in MANIFEST.parent.iterdir():
        if f.is_file() and f.suffix in (".csv", ".toml"):
            shutil.copy(f, folder / f.name)
    (folder / f"{name}.csv").write_text(data, encoding="utf-8")
    shutil.copy(MANIFEST.parent / "e1_re_referrals.meta.csv", folder / f"{name}.meta.csv")
    text = MANIFEST.read_text(encoding="utf-8")
    text = text.replace('data = "e1_re_referrals.csv"', f'data = "{name}.csv"')
    text = text.replace('meta = "e1_re_referrals.meta.csv"', f'meta = "{name}.meta.csv"')
    if published:  # a later release of the publication, holding the data set's next version
        text = text.replace("published = 2024-11-21T09:30:00Z", f"published = {published}")
        text = text.replace('title = "Reporting year 2024"', 'title = "Reporting year 2025"')
        text = text.replace('slug = "2024"', 'slug = "2025"')
    path = folder / "release.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Site:
    settings: Settings
    client: InProcessClient
    amended_at: datetime  # when the amendment (1.1) went public


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo (1.0), its amendment (1.1: only additions, so a minor version) public now,
    and its next version (1.2) in a release scheduled for 2099."""
    folder = tmp_path_factory.mktemp("diffs")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    before = datetime.now(UTC)
    load_manifest(platform, manifest_with(folder / "amend", "amended", amended_data()))
    future = amended_data().replace("5. ICPC,Total,11000,1.8", "5. ICPC,Total,99999,9.9")
    load_manifest(platform, manifest_with(folder / "future", "future", future,
                                          "2099-01-01T09:30:00Z"))
    platform.close()
    app = create_app(settings)
    with InProcessClient(app) as client:
        yield Site(settings, client, before)


def observations(site: Site, version: str, **params: str) -> dict[tuple[str, str], dict]:
    """The diff's rows by (change, option label), read through the meta endpoints."""
    answer = site.client.get(f"{URL}/versions/{version}/diff", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    labels = {}
    for v in (body["from"], body["version"]):
        meta = site.client.get(f"{URL}/meta", params={"dataSetVersion": v}).json()
        labels |= {o["id"]: o["label"] for f in meta["filters"] for o in f["options"]}
    by_column = {i["id"]: i["column"] for i in body["indicators"]}
    out = {}
    for r in body["results"]:
        option = next(labels[o] for o in r["filters"].values() if labels[o] != "Total")
        out[(r["change"], option)] = {by_column[k]: (v["old"], v["new"])
                                      for k, v in r["values"].items()}
    return out


def test_the_diff_names_exactly_the_rows_that_changed(site: Site) -> None:
    answer = site.client.get(f"{URL}/versions/1.1/diff").json()
    assert answer["version"] == "1.1" and answer["from"] == "1.0"
    assert answer["counts"] == {"added": 2, "removed": 1, "changed": 2}
    assert answer["paging"]["totalResults"] == 5
    assert [i["column"] for i in answer["indicators"]] == ["referrals", "referrals_percent"]
    assert answer["indicatorsAdded"] == answer["indicatorsRemoved"] == []
    first = answer["results"][0]
    assert first["timePeriod"] == {"code": "RY", "period": "2017"}
    assert first["geographicLevel"] == "NAT" and list(first["locations"]) == ["NAT"]
    assert observations(site, "1.1") == {
        ("added", "2. Assessed as not in need"): {"referrals": (None, "131760"),
                                                 "referrals_percent": (None, "20")},
        ("added", "5. ICPC"): {"referrals": (None, "11000"), "referrals_percent": (None, "1.8")},
        ("removed", "2. Assessed as not in need"): {"referrals": ("131760", None),
                                                   "referrals_percent": ("20", None)},
        ("changed", "1. No futher action"): {"referrals": ("141760", "141761"),
                                            "referrals_percent": ("21.6", "21.6")},
        ("changed", "3. CINO"): {"referrals": ("218030", "218030"),
                                 "referrals_percent": ("33.2", "c")},
    }


def test_import_stored_the_diff_with_the_version(site: Site) -> None:
    """Written at import into the version's folder, its counts in the catalogue: nothing
    was computed when asked (the lazy cache stays empty)."""
    site.client.get(f"{URL}/versions/1.1/diff")
    stored = list((site.settings.data_dir / "files" / "versions").glob("*/diff_from_*.parquet"))
    assert len(stored) == 2  # 1.1 from 1.0, and the scheduled 1.2 from 1.1
    assert not (site.settings.data_dir / "diffs").exists()


def test_paging_and_explicit_from(site: Site) -> None:
    page = site.client.get(f"{URL}/versions/1.1/diff",
                           params={"from": "1.0", "page": 2, "pageSize": 3}).json()
    assert page["paging"] == {"page": 2, "pageSize": 3, "totalResults": 5, "totalPages": 2}
    assert [r["change"] for r in page["results"]] == ["changed", "changed"]
    everything = site.client.get(f"{URL}/versions/1.1/diff", params={"pageSize": 10}).json()
    assert [r["change"] for r in everything["results"]] == [
        "added", "added", "removed", "changed", "changed"]
    assert page["results"] == everything["results"][3:]


def test_csv_download(site: Site) -> None:
    answer = site.client.get(f"{URL}/versions/1.1/diff/csv", params={"from": "1.0"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["change"], r["level_description"], r["referrals_old"], r["referrals_new"])
            for r in rows] == [
        ("added", "2. Assessed as not in need", "", "131760"),
        ("added", "5. ICPC", "", "11000"),
        ("removed", "2. Assessed as not in need", "131760", ""),
        ("changed", "1. No futher action", "141760", "141761"),
        ("changed", "3. CINO", "218030", "218030")]
    assert rows[0]["time_period"] == "2017" and rows[0]["time_identifier"] == "Reporting year"
    assert rows[0]["geographic_level"] == "National" and rows[0]["location_code"] == "E92000001"
    assert rows[0]["referral_type"] == "Within 12 months" and rows[1]["time_period"] == "2018"
    assert rows[4]["referrals_percent_old"] == "33.2" and rows[4]["referrals_percent_new"] == "c"


def test_bad_pairs_are_refused_naming_the_parameter(site: Site) -> None:
    def errors(version: str, **params: str) -> tuple[int, list[str]]:
        answer = site.client.get(f"{URL}/versions/{version}/diff", params=params)
        body = answer.json()
        return answer.status_code, [e["path"] for e in body.get("errors", [])]

    assert errors("1.1", **{"from": "1.1"}) == (400, ["from"])  # the same version
    assert errors("1.0", **{"from": "1.1"}) == (400, ["from"])  # not earlier
    assert errors("1.0") == (400, ["from"])  # the first has nothing before it
    assert errors("1.1", **{"from": "9.0"}) == (400, ["from"])  # no such version
    # a version of another data set can only be named by an id: refused as such
    assert errors("1.1", **{"from": "11111111-0000-4000-8000-000000000001"}) == (400, ["from"])
    assert errors("1.2")[0] == 404  # scheduled, not public: as if it did not exist
    assert errors("9.0")[0] == 404
    assert errors("1.1", pageSize="0") == (400, ["pageSize"])
    assert errors("1.1", page="x") == (400, ["page"])
    assert errors("1.1", colour="red")[0] == 400
    answer = site.client.get(f"/api/v1/data-sets/{DS[:-1]}1/versions/1.1/diff")
    assert answer.status_code == 404
    message = site.client.get(f"{URL}/versions/1.1/diff", params={"from": "1.1"}).json()
    assert "earlier" in message["errors"][0]["message"]


def test_other_pairs_are_computed_when_asked(tmp_path: Path) -> None:
    """1.0 -> 1.1 -> 1.2 (three loads): 1.2 from 1.0 was never written at import; it is
    computed from the two Parquet files, equal to the change in one step."""
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    middle = DATA.read_text(encoding="utf-8").replace(",141760,", ",141000,")
    load_manifest(platform, manifest_with(tmp_path / "m", "middle", middle))
    load_manifest(platform, manifest_with(tmp_path / "a", "amended", amended_data()))
    platform.close()
    with InProcessClient(create_app(settings)) as client:
        site = Site(settings, client, datetime.now(UTC))
        versions = [v["version"] for v in client.get(f"{URL}/versions").json()["results"]]
        assert versions == ["1.2", "1.1", "1.0"]
        assert observations(site, "1.1") == {("changed", "1. No futher action"): {
            "referrals": ("141760", "141000"), "referrals_percent": ("21.6", "21.6")}}
        direct = observations(site, "1.2", **{"from": "1.0"})
        assert direct[("changed", "1. No futher action")]["referrals"] == ("141760", "141761")
        assert set(direct) == {("added", "2. Assessed as not in need"), ("added", "5. ICPC"),
                               ("removed", "2. Assessed as not in need"),
                               ("changed", "1. No futher action"), ("changed", "3. CINO")}
        assert len(list((settings.data_dir / "diffs").rglob("*.parquet"))) == 1
        again = observations(site, "1.2", **{"from": "1.0"})  # from the kept file
        assert again == direct


# --- asOf ----------------------------------------------------------------------------------
def version_at(site: Site, path: str, as_of: str, **params: str) -> httpx.Response:
    return site.client.get(f"{URL}{path}", params={"asOf": as_of, **params})


def test_as_of_picks_the_version_public_then(site: Site) -> None:
    def latest(as_of: str) -> str:
        answer = version_at(site, "", as_of)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["latestVersion"]["version"])

    assert latest("2024-11-21T09:30:00Z") == "1.0"  # its very moment
    assert latest("2025-06-01") == "1.0"  # a date alone: midnight UTC
    assert latest("2025-06-01T10:00:00+01:00") == "1.0"
    assert latest("2025-06-01T10:00:00 01:00") == "1.0"  # the + of an address unescaped
    assert latest(site.amended_at.isoformat()) == "1.0"  # just before the amendment
    assert latest(datetime.now(UTC).isoformat()) == "1.1"
    # 1.2 is public from 2099, but not yet: no moment shows it now
    assert latest("2100-01-01T00:00:00Z") == "1.1"


def test_as_of_on_meta_query_and_csv(site: Site) -> None:
    meta = version_at(site, "/meta", "2025-01-01T00:00:00Z").json()
    labels = {o["label"] for f in meta["filters"] for o in f["options"]}
    assert "Within 12 months" not in labels
    now_meta = site.client.get(f"{URL}/meta").json()
    assert "Within 12 months" in {o["label"] for f in now_meta["filters"] for o in f["options"]}

    rows = version_at(site, "/query", "2025-01-01T00:00:00Z").json()["results"]
    values = sorted(v for r in rows for v in r["values"].values())
    assert "33.2" in values and "11000" not in values
    posted = site.client.post(f"{URL}/query", params={"asOf": "2025-01-01T00:00:00Z"},
                              json={"criteria": {"geographicLevels": {"eq": "NAT"}}})
    assert posted.status_code == 200, posted.text
    assert sorted(v for r in posted.json()["results"] for v in r["values"].values()) == values

    old_csv = version_at(site, "/csv", "2025-01-01T00:00:00Z")
    assert old_csv.status_code == 200 and old_csv.text == DATA.read_text(encoding="utf-8")
    assert "11000" in version_at(site, "/csv", "2100-01-01").text
    # with dataSetVersion: chosen among the versions public then
    assert version_at(site, "/meta", "2025-01-01", dataSetVersion="1.1").status_code == 404


@pytest.mark.parametrize("path", ["", "/meta", "/query", "/csv"])
@pytest.mark.parametrize("as_of", ["2024-11-21T09:29:59Z", "2001-01-01", "yesterday",
                                   "2024-13-01", ""])
def test_bad_as_of_is_refused_naming_it(site: Site, path: str, as_of: str) -> None:
    answer = version_at(site, path, as_of)
    assert answer.status_code == 400, answer.text
    errors = answer.json()["errors"]
    assert [e["path"] for e in errors] == ["asOf"]
    assert errors[0]["message"]


def test_bad_as_of_on_post_query(site: Site) -> None:
    answer = site.client.post(f"{URL}/query", params={"asOf": "2000-01-01T00:00:00Z"}, json={})
    assert answer.status_code == 400
    assert [e["path"] for e in answer.json()["errors"]] == ["asOf"]
    assert "before" in answer.json()["errors"][0]["message"]


# Every other route that takes a version, with a wildcard so that `asOf` has a choice.
VERSION_ROUTES = ["/versions/1.*", "/versions/*/changes", "/versions/*/quality",
                  "/availability", "/versions/1.*/csv-metadata.json",
                  "/versions/*/codes/referral_type.csv"]


def version_named(site: Site, path: str, **params: str) -> str:
    """The version a route answered with, read from each route's own answer."""
    answer = site.client.get(f"{URL}{path}", params=params)
    assert answer.status_code == 200, answer.text
    if path.endswith("codes/referral_type.csv"):  # the amendment's new option names it
        return "1.1" if "Within 12 months" in answer.text else "1.0"
    body = answer.json()
    if path.endswith("csv-metadata.json"):
        return str(body["tables"][0]["url"]).rsplit("dataSetVersion=", 1)[1]
    return str(body.get("version") or body.get("versionNumber") or body["dataSetVersion"])


@pytest.mark.parametrize("path", VERSION_ROUTES)
def test_as_of_on_every_route_that_takes_a_version(site: Site, path: str) -> None:
    assert version_named(site, path) == "1.1"
    assert version_named(site, path, asOf="2025-01-01T00:00:00Z") == "1.0"
    assert version_named(site, path, asOf=site.amended_at.isoformat()) == "1.0"
    assert version_named(site, path, asOf="2100-01-01") == "1.1"  # never 1.2, not yet public


def test_as_of_with_a_pinned_version_published_later_is_not_found(site: Site) -> None:
    for path in ("/versions/1.1", "/versions/1.1/changes", "/versions/1.1/quality",
                 "/versions/1.1/csv-metadata.json"):
        assert version_at(site, path, "2025-01-01").status_code == 404, path
    assert version_at(site, "/availability", "2025-01-01",
                      dataSetVersion="1.1").status_code == 404


def test_as_of_on_post_availability(site: Site) -> None:
    def posted(**params: str) -> httpx.Response:
        return site.client.post(f"{URL}/availability", params=params,
                                json={"criteria": {"geographicLevels": {"eq": "NAT"}}})

    old, now = posted(asOf="2025-01-01"), posted()
    assert old.status_code == now.status_code == 200, old.text
    assert old.json()["dataSetVersion"] == "1.0" and now.json()["dataSetVersion"] == "1.1"
    assert old.json()["totalResults"] == now.json()["totalResults"] - 1  # the new year's row
    bad = posted(asOf="yesterday")
    assert bad.status_code == 400 and [e["path"] for e in bad.json()["errors"]] == ["asOf"]


@pytest.mark.parametrize("path", VERSION_ROUTES)
@pytest.mark.parametrize("as_of", ["2024-11-21T09:29:59Z", "yesterday", ""])
def test_bad_as_of_on_every_route_that_takes_a_version(site: Site, path: str,
                                                       as_of: str) -> None:
    answer = version_at(site, path, as_of)
    assert answer.status_code == 400, answer.text
    errors = answer.json()["errors"]
    assert [e["path"] for e in errors] == ["asOf"]
    assert errors[0]["message"]


def test_openapi_marks_the_extensions(site: Site) -> None:
    doc = site.client.get("/api/openapi.json").json()
    diff = doc["paths"]["/api/v1/data-sets/{dataSetId}/versions/{dataSetVersion}/diff"]["get"]
    assert diff["x-openstats-extension"] is True and "openstats extension" in diff["summary"]
    assert [p["name"] for p in diff["parameters"] if p["in"] == "query"] == [
        "from", "page", "pageSize"]
    for path in ("", "/meta", "/query", "/csv"):
        params = doc["paths"][f"/api/v1/data-sets/{{dataSetId}}{path}"]["get"]["parameters"]
        as_of = next(p for p in params if p["name"] == "asOf")
        assert as_of["x-openstats-extension"] is True
    for path in VERSION_ROUTES:
        path = path.replace("1.*", "{dataSetVersion}").replace("*", "{dataSetVersion}")
        path = path.replace("referral_type", "{column}")
        params = doc["paths"][f"/api/v1/data-sets/{{dataSetId}}{path}"]["get"]["parameters"]
        as_of = next(p for p in params if p["name"] == "asOf")
        assert as_of["x-openstats-extension"] is True, path
    for path in ("/query", "/availability"):
        post = doc["paths"][f"/api/v1/data-sets/{{dataSetId}}{path}"]["post"]["parameters"]
        assert any(p["name"] == "asOf" for p in post)


def test_diff_over_real_http(site: Site) -> None:
    server = serve(site.settings)
    live = next(server)
    try:
        answer = httpx.get(f"{live.api}/v1/data-sets/{DS}/versions/1.1/diff",
                           params={"from": "1.0"}, timeout=30)
        assert answer.status_code == 200
        assert answer.json()["counts"] == {"added": 2, "removed": 1, "changed": 2}
        pinned = answer.headers["cache-control"]
        assert "immutable" in pinned or "max-age" in pinned
        again = httpx.get(f"{live.api}/v1/data-sets/{DS}/versions/1.1/diff",
                          params={"from": "1.0"},
                          headers={"If-None-Match": answer.headers["etag"]}, timeout=30)
        assert again.status_code == 304
        as_of = httpx.get(f"{live.api}/v1/data-sets/{DS}", params={"asOf": "2025-01-01"},
                          timeout=30)
        assert as_of.json()["latestVersion"]["version"] == "1.0"
    finally:
        server.close()
