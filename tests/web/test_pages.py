"""The public pages over real HTTP: every part of the data-set page, catalogue, releases."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from html import unescape

import httpx
import pytest

from tests.api.conftest import FUTURE_ID, LiveServer, data_set_id, live  # noqa: F401
from tests.conftest import SAMPLES, SHARED

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
PUBLICATION = "children-in-need-a-focus-on-re-referrals"


def page(live: LiveServer, path: str) -> str:  # noqa: F811
    answer = httpx.get(live.base + path)
    assert answer.status_code == 200, (path, answer.status_code)
    return unescape(answer.text)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_data_set_page_has_every_part_of_the_seed_page(live: LiveServer) -> None:  # noqa: F811
    html = page(live, f"/data-catalogue/data-set/{DEMO}")
    text = text_of(html)
    for expected in (
        "E1. Re-referrals by level of intervention by CSC, 2017-23", "Latest data",
        "Published 21 November 2024", "Last updated 21 November 2024",
        "Number of referrals by in England, in the year to 31st March",
        "On this page", "Data set details", "Theme Children's social care",
        "Publication Children in need: A focus on re-referrals", "Release Reporting year 2024",
        "Release type Ad hoc statistics", "Number of rows 5", "Geographic levels National",
        "Indicators Percent Referrals",
        "Filters Highest level of intervention Referral type", "Time period 2017",
        "Data set preview", "Table showing first 5 rows, from underlying data",
        "2017 Reporting year National E92000001 England 1. No futher action Total 141760 21.6",
        "Variables in this data set", "Table showing all 4 variables",
        "level_description Highest level of intervention - Filter by event",
        "referral_type Referral type - Filter by referral type", "referrals_percent Percent",
        "Using this data", "Download the underlying data as a compressed ZIP file",
        "View or create your own tables", "Download this data using code",
        "Access this data using common programming languages using the URL below.",
        "Contact us", "If you have a specific enquiry about E1. Re-referrals by level of "
        "intervention by CSC, 2017-23 statistics and data:",
        "Children's Social Care Analysis and Research",
        "Email: Bruce.GOLDING@education.gov.uk", "Contact name: Bruce Golding",
    ):
        assert expected in text, expected
    assert f"/data-tables?dataSetId={DEMO}" in html
    assert f"{live.base}/data-catalogue/data-set/{DEMO}/csv" in html  # as EES shows it


def test_json_ld_describes_the_data_set(live: LiveServer) -> None:  # noqa: F811
    html = httpx.get(f"{live.base}/data-catalogue/data-set/{DEMO}").text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block
    doc = json.loads(block.group(1))
    assert doc["@type"] == "Dataset"
    assert doc["name"].startswith("E1. Re-referrals")
    assert "open-government-licence/version/3" in doc["license"]
    assert doc["temporalCoverage"] == "2017/2017"
    columns = doc["mainEntity"]["csvw:tableSchema"]["csvw:columns"]
    assert [c["csvw:name"] for c in columns][:3] == ["time_period", "time_identifier",
                                                       "geographic_level"]
    assert {"csvw:name": "referrals", "csvw:titles": "Referrals", "csvw:datatype": "string",
            "csvw:description": "Referrals"} in columns


def test_example_python_code_runs_as_written(live: LiveServer) -> None:  # noqa: F811
    html = httpx.get(f"{live.base}/data-catalogue/data-set/{DEMO}").text
    codes = dict(re.findall(r'data-language="([^"]+)">(.*?)</code>', html, re.S))
    for language in ("Python (pandas)", "Python (csv)"):
        done = subprocess.run([sys.executable, "-c", unescape(codes[language])],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ})
        assert done.returncode == 0, done.stderr
        assert "141760" in done.stdout or "5 rows" in done.stdout
    assert "read.csv(" in unescape(codes["R"]) and "curl" in unescape(codes["curl"])


def test_full_table_for_small_data_sets(live: LiveServer) -> None:  # noqa: F811
    html = page(live, f"/data-catalogue/data-set/{data_set_id('absence')}")
    assert "Show the full table (199 rows)" in html
    full = text_of(page(live, f"/data-catalogue/data-set/{data_set_id('absence')}?preview=all"))
    assert "Table showing all 199 rows, from underlying data" in full


def test_zip_holds_the_uploaded_files_and_guidance(live: LiveServer) -> None:  # noqa: F811
    answer = httpx.get(f"{live.base}/data-catalogue/data-set/{DEMO}/zip")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        'attachment; filename="e1_re_referrals_by_level_of_intervention_by_csc_2017_23.zip"')
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == ["data-guidance/data-guidance.txt",
                                          "data/e1_re_referrals.csv",
                                          "data/e1_re_referrals.meta.csv"]
    seed = (SHARED / "seed/e1_re_referrals_preview.csv").read_bytes()
    assert hashlib.sha256(archive.read("data/e1_re_referrals.csv")).hexdigest() == \
        hashlib.sha256(seed).hexdigest()
    guidance = archive.read("data-guidance/data-guidance.txt").decode()
    for expected in ("Children in need: A focus on re-referrals", "Reporting year 2024",
                     "File name: e1_re_referrals.csv", "Geographic levels: National",
                     "level_description  Highest level of intervention - Filter by event"):
        assert expected in guidance


def test_release_zip_holds_every_data_set(live: LiveServer) -> None:  # noqa: F811
    answer = httpx.get(f"{live.base}/find-statistics/ees-test-samples/academic-year-2020-21/zip")
    assert answer.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert "data/absence_school.csv" in names and "data/seven_filters.csv" in names
    assert names.count("data-guidance/data-guidance.txt") == 1
    original = (SAMPLES / "ees-tests/seven_filters.csv").read_bytes()
    assert zipfile.ZipFile(io.BytesIO(answer.content)).read("data/seven_filters.csv") == original


def test_release_page(live: LiveServer) -> None:  # noqa: F811
    text = text_of(page(live, f"/find-statistics/{PUBLICATION}/2024"))
    for expected in ("Children in need: A focus on re-referrals", "Reporting year 2024",
                     "Download all data (ZIP)", "Explore data and files", "Data guidance",
                     "Headline facts and figures", "218,030", "Help and support",
                     "E1. Re-referrals by level of intervention by CSC, 2017-23",
                     "This release holds one data set"):
        assert expected in text, expected
    assert text_of(page(live, f"/find-statistics/{PUBLICATION}")) == text


def test_home_lists_themes_and_publications(live: LiveServer) -> None:  # noqa: F811
    text = text_of(page(live, "/"))
    assert "Children's social care" in text and "Children in need: A focus on re-referrals" in text
    assert "Embargoed statistics" not in text


@pytest.mark.parametrize(("query", "titles"), [
    ("search=absence", ["absence"]),
    ("search=sess_unauthorised_percent", ["absence"]),  # a variable name
    ("search=No+futher+action", ["E1. Re-referrals by level of intervention by CSC, 2017-23"]),
    ("search=Bricklaying+nothing", []),
    ("theme=childrens-social-care",
     ["E1. Re-referrals by level of intervention by CSC, 2017-23"]),
    ("geographic_level=LA", ["absence"]),
    ("geographic_level=NAT", ["absence", "dates",
                              "E1. Re-referrals by level of intervention by CSC, 2017-23",
                              "seven"]),
])
def test_catalogue_search_and_filters(live: LiveServer, query: str,  # noqa: F811
                                      titles: list[str]) -> None:
    html = page(live, f"/data-catalogue?{query}&sort=title")
    # Only the results list: a search of several words also shows how it was read as a
    # question, and that panel links to data sets too.
    results = html.split('id="results"', 1)[1].split("</ul>", 1)[0] if titles else ""
    assert ('id="results"' in html) == bool(titles)
    found = re.findall(r'href="/data-catalogue/data-set/[^"]+">([^<]+)</a>', results)
    assert found == titles
    count = f"{len(titles)} data set{'' if len(titles) == 1 else 's'}"
    assert count in text_of(html)


def test_catalogue_counts_sorts_and_pages(live: LiveServer) -> None:  # noqa: F811
    text = text_of(page(live, "/data-catalogue?sort=title"))
    assert "5 data sets" in text
    titles = re.findall(r'href="/data-catalogue/data-set/[^"]+">([^<]+)</a>',
                        page(live, "/data-catalogue?sort=title"))
    assert titles == sorted(titles, key=str.lower)
    assert "Embargoed" not in text and "Not yet" not in text


@pytest.mark.parametrize("path", [
    f"/data-catalogue/data-set/{FUTURE_ID}", f"/data-catalogue/data-set/{FUTURE_ID}/zip",
    "/find-statistics/embargoed-statistics", "/find-statistics/embargoed-statistics/x",
    "/data-catalogue/data-set/not-an-id", "/find-statistics/no-such-publication",
])
def test_unpublished_and_unknown_pages_are_not_found(live: LiveServer, path: str) -> None:  # noqa: F811
    answer = httpx.get(live.base + path)
    assert answer.status_code == 404 and "Page not found" in answer.text


def revalidates(url: str, cookies: dict[str, str] | None = None) -> httpx.Response:
    """200 with an ETag, then 304 with no body when the reader sends it back."""
    first = httpx.get(url, cookies=cookies, timeout=30)
    assert first.status_code == 200, url
    again = httpx.get(url, cookies=cookies, timeout=30,
                      headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"", url
    assert again.headers["etag"] == first.headers["etag"]
    return first


@pytest.mark.parametrize("path", [
    "/", "/data-catalogue", "/data-catalogue?search=referrals&sort=title",
    f"/data-catalogue/data-set/{DEMO}", f"/data-catalogue/data-set/{DEMO}?version=1.0",
    f"/find-statistics/{PUBLICATION}", f"/find-statistics/{PUBLICATION}/2024",
    f"/data-catalogue/data-set/{DEMO}/zip",
    "/find-statistics/ees-test-samples/academic-year-2020-21/zip",
])
def test_pages_and_downloads_revalidate(live: LiveServer, path: str) -> None:  # noqa: F811
    first = revalidates(live.base + path)
    # Even a version-pinned page says which version is the latest: never immutable.
    assert first.headers["cache-control"] == "public, max-age=60"
    assert "Cookie" in first.headers["vary"]
    # Signed in, a page may show pre-release data sets: only that person's browser keeps it.
    signed_in = revalidates(live.base + path, cookies={"openstats_session": "x.y"})
    assert signed_in.headers["cache-control"] == "private, no-cache"


def test_a_pinned_zip_is_immutable(live: LiveServer) -> None:  # noqa: F811
    pinned = revalidates(f"{live.base}/data-catalogue/data-set/{DEMO}/zip?version=1.0")
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    latest = httpx.get(f"{live.base}/data-catalogue/data-set/{DEMO}/zip")
    assert latest.headers["etag"] == pinned.headers["etag"]  # the same files, so one tag
    assert latest.content == pinned.content
