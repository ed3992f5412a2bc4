"""Monthly, weekly and termly data through the table tool, in process: the time step and
the table's headers name each period as the API and the release page do ("2018 March",
"2017 Week 5", "2017/18 Spring term"), never the bare year repeated.

The monthly and termly pairs are EES's own small files (../shared/samples); the weekly one
is three rows written here. standards/time_periods.py is the one home of the labels.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlencode

import pytest

from openstats.app import create_app
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.conftest import REFERENCE, SAMPLES
from tests.support.inprocess import InProcessClient
from tests.web.html_table import read_table

MONTHLY, WEEKLY, TERMLY = (f"22222222-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
RELEASE = "/find-statistics/periods-of-the-year/calendar-year-2018"
# What the reader must see, in the table's order (time order, as the time step lists them).
LABELS = {
    MONTHLY: ["2018 January", "2018 February", "2018 March", "2018 April", "2018 May",
              "2018 June", "2018 July", "2018 August", "2018 September", "2018 October",
              "2018 November", "2018 December", "2019 January"],
    WEEKLY: ["2017 Week 5", "2017 Week 6", "2017 Week 7"],
    TERMLY: ["2017/18 Spring term", "2017/18 Summer term", "2018/19 Autumn term",
             "2018/19 Spring term", "2019/20 Summer term"],
}
WEEKS = """time_period,time_identifier,geographic_level,country_code,country_name,admissions
2017,Week 5,National,E92000001,England,100
2017,Week 6,National,E92000001,England,110
2017,Week 7,National,E92000001,England,120
"""
WEEKS_META = """col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,\
filter_hint,filter_grouping_column
admissions,Indicator,Admissions,,,,,
"""


def manifest(pairs: dict[str, str]) -> str:
    parts = ["""
[theme]
title = "Periods"

[publication]
title = "Periods of the year"
slug = "periods-of-the-year"
summary = "Monthly, weekly and termly numbers."

[publication.contact]
team_name = "Test team"
team_email = "test@example.org"

[release]
title = "Calendar year 2018"
type = "Official statistics"
published = 2024-06-13T09:30:00Z
"""]
    for data_set_id, name in pairs.items():
        parts.append(f"""
[[data_sets]]
id = "{data_set_id}"
title = "{name}"
summary = "The {name} numbers."
data = "{name}.csv"
meta = "{name}.meta.csv"
""")
    return "".join(parts)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessClient]:
    folder = tmp_path_factory.mktemp("periods")
    for name in ("monthly_simple", "termly_simple"):
        for suffix in (".csv", ".meta.csv"):
            shutil.copyfile(SAMPLES / "ees-small-files" / (name + suffix), folder / (name + suffix))
    (folder / "weekly.csv").write_text(WEEKS, encoding="utf-8")
    (folder / "weekly.meta.csv").write_text(WEEKS_META, encoding="utf-8")
    (folder / "periods.toml").write_text(manifest(
        {MONTHLY: "monthly_simple", WEEKLY: "weekly", TERMLY: "termly_simple"}))
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        rate_limit=0)
    platform = open_platform(settings)
    load_manifest(platform, folder / "periods.toml")
    platform.close()
    with InProcessClient(create_app(settings)) as client:
        yield client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("data_set", [MONTHLY, WEEKLY, TERMLY], ids=["M", "W", "T"])
def test_periods_read_as_the_api_labels_them(site: InProcessClient, data_set: str) -> None:
    meta = site.get(f"/api/v1/data-sets/{data_set}/meta").json()
    # The API: each period's label, in its own order; the same set as the table's.
    assert sorted(t["label"] for t in meta["timePeriods"]) == sorted(LABELS[data_set])
    by_label = {t["label"]: f"{t['period']}|{t['code']}" for t in meta["timePeriods"]}
    england = meta["locations"][0]["options"][0]["id"]

    # The time step offers the labels, in time order, as its "from" and "to" choices.
    step = site.get("/data-tables", params={"dataSetId": data_set, "locations": england,
                                            "step": "time"})
    assert step.status_code == 200
    offered = [unescape(o) for o in re.findall(r"<option[^>]*>([^<]*)</option>", step.text)]
    assert offered == LABELS[data_set] * 2

    # The table from the first period to the last: one header per period, by its label.
    first, last = LABELS[data_set][0], LABELS[data_set][-1]
    query = [("dataSetId", data_set), ("locations", england), ("start", by_label[first]),
             ("end", by_label[last]), *(("indicators", i["id"]) for i in meta["indicators"])]
    page = site.get("/data-tables/table?" + urlencode(query))
    assert page.status_code == 200, text(page.text)[:500]
    table = read_table(page.text, "data-table")
    headers = [c.text for row in table.head for c in row if c.text] + \
        [row[0].text for row in table.body if row and row[0].tag == "th"]
    assert [h for h in headers if h in LABELS[data_set]] == LABELS[data_set]
    # Not the stored year: no header is a bare "2018" or "201718".
    assert not [h for h in headers if re.fullmatch(r"\d{4}(\d{2})?", h)], headers
    assert f"{first} to {last}" in text(page.text)  # what was chosen, in the summary


def test_the_release_page_gives_each_data_sets_periods_by_label(site: InProcessClient) -> None:
    page = text(site.get(RELEASE).text)
    for labels in LABELS.values():
        assert f"{labels[0]} to {labels[-1]}" in page
