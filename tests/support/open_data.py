"""A live site for the open-format and availability tests: the demo, one EES sample and a
small data set with gaps (some combinations of location, time and option have no rows;
some cells are symbols or blank)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx

from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.conftest import LiveServer, manifest_text, serve
from tests.conftest import REFERENCE
from tests.support.catalogue import migrated_data_dir

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
ABSENCE = "22222222-0000-4000-8000-000000000001"  # ees-tests/absence_school
GAPS = "22222222-0000-4000-8000-000000000002"

# England has Blue and Red (not Green); North East has Blue (2020) and Green (2021); North
# West has data only in 2021, only Blue. `score` has values only in North East.
GAPS_CSV = """\
time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,colour,pupils,rate,score
2020,Calendar year,National,E92000001,England,,,Blue,10,1.5,
2020,Calendar year,National,E92000001,England,,,Red,11,c,
2021,Calendar year,National,E92000001,England,,,Blue,12,2.5,
2020,Calendar year,Regional,E92000001,England,E12000001,North East,Blue,5,x,3
2021,Calendar year,Regional,E92000001,England,E12000001,North East,Green,6,1.0,4
2021,Calendar year,Regional,E92000001,England,E12000002,North West,Blue,7,z,
"""
GAPS_META = """\
col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column
colour,Filter,Colour,,,,,
pupils,Indicator,Number of pupils,,,0,,
rate,Indicator,Rate,,%,1,,
score,Indicator,Score,,,0,,
"""


def write_gaps(folder: Path) -> tuple[Path, Path]:
    data, meta = folder / "gaps.csv", folder / "gaps.meta.csv"
    data.write_text(GAPS_CSV)
    meta.write_text(GAPS_META)
    return data, meta


def open_data_site(folder: Path) -> Iterator[LiveServer]:
    settings = Settings(data_dir=migrated_data_dir(folder), database_url="",
                        reference_dir=REFERENCE,
                        rate_limit=0)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    data, _ = write_gaps(folder)
    text = manifest_text("Open data samples", "open-data-samples", "2024-06-13T09:30:00Z",
                         [(ABSENCE, "Absence", "ees-tests/absence_school")])
    # The gaps pair lives beside the manifest, not among the shared samples.
    text += f"""
[[data_sets]]
id = "{GAPS}"
title = "Gaps"
summary = "A small data set where some combinations have no rows."
data = "{data}"
meta = "{data.with_name('gaps.meta.csv')}"
"""
    (folder / "samples.toml").write_text(text)
    load_manifest(platform, folder / "samples.toml")
    platform.close()
    yield from serve(settings)


def gaps_ids(site: LiveServer) -> dict[str, str]:
    """The gaps data set's public ids, from its metadata: by option, indicator column and
    place label, and "colour" for its one filter."""
    meta = httpx.get(f"{site.api}/v1/data-sets/{GAPS}/meta").json()
    out = {o["label"]: o["id"] for f in meta["filters"] for o in f["options"]}
    out |= {i["column"]: i["id"] for i in meta["indicators"]}
    out |= {o["label"]: o["id"] for g in meta["locations"] for o in g["options"]}
    out["colour"] = meta["filters"][0]["id"]
    return out
