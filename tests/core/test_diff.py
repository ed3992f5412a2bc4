"""The observation diff import writes (ingest/diff.py): which rows it names when values,
symbols, indicators or filters differ between two versions, with repeated observations,
in local storage and in an S3-compatible bucket (moto's real server on loopback)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from sqlalchemy import select

from openstats.catalogue.schema import version_diffs
from openstats.ingest import diff
from openstats.ingest.service import ImportResult, import_pair
from openstats.platform import Platform, open_platform
from openstats.query.diffs import DiffRow, VersionDiffs
from openstats.settings import Settings
from tests.conftest import REFERENCE, S3Server
from tests.core.helpers import TINY_DATA, TINY_META, make_settings, write_pair

DS = "5b0c2f5e-6a55-4a8e-9a39-1f2e3d4c5b01"


def load(p: Platform, folder: Path, data: str, meta: str = TINY_META) -> ImportResult:
    d, m = write_pair(folder, data, meta)
    return import_pair(p.catalogue, p.storage, p.settings, d, m, data_set_id=DS,
                       publication_id=None, title="Tiny")


def described(rows: list[DiffRow]) -> list[tuple[str, str, str, tuple[str, ...], tuple]]:
    """(change, period, place, option labels, (column, old, new)...) of each row."""
    return [(r.change, r.time_period.period, r.location.name,
             tuple(o.label if o else "" for _, o in r.options),
             tuple((v.column, v.old, v.new) for v in r.values)) for r in rows]


def diff_between(p: Platform, old: ImportResult, new: ImportResult) -> tuple[diff.Layout, list]:
    with p.catalogue.connect() as conn:
        from openstats.catalogue import data_sets
        a, b = data_sets.version(conn, old.version_id), data_sets.version(conn, new.version_id)
    assert a is not None and b is not None
    diffs = VersionDiffs(p.catalogue, p.storage, p.settings.data_dir, "256MB")
    d = diffs.get(a, b)
    return d.layout, described(list(diffs.all_rows(d)))


def test_values_symbols_and_rows(tmp_path: Path) -> None:
    p = open_platform(make_settings(tmp_path, ""))
    first = load(p, tmp_path / "a", TINY_DATA)
    changed = (TINY_DATA.replace("Female,Total,60,c", "Female,Total,60,x")
               .replace("Male,Total,40,2.5", "Male,Total,40,2.50")
               .replace("2023,Calendar year,National,E92000001,England,,,Total,Total,110,x\n",
                        ""))
    second = load(p, tmp_path / "b", changed + "2024,Calendar year,National,E92000001,England"
                                               ",,,Total,Total,120,3\n")
    assert second.version == "1.1"
    layout, rows = diff_between(p, first, second)
    assert layout.indicators == ("pupils", "rate") and layout.matchable
    assert rows == [
        ("added", "2024", "England", ("Total", "Total"), (("pupils", None, "120"),
                                                          ("rate", None, "3"))),
        ("removed", "2023", "England", ("Total", "Total"), (("pupils", "110", None),
                                                            ("rate", "x", None))),
        # text, as uploaded: 2.5 -> 2.50 is a change of what was published
        ("changed", "2022", "England", ("Female", "Total"), (("pupils", "60", "60"),
                                                             ("rate", "c", "x"))),
        ("changed", "2022", "England", ("Male", "Total"), (("pupils", "40", "40"),
                                                           ("rate", "2.5", "2.50"))),
    ]
    # Stored with the version: the file in its folder, the counts in the catalogue.
    assert (p.storage.path(second.version_id) / diff.file_name(first.version_id)).is_file()
    with p.catalogue.connect() as conn:
        row = conn.execute(select(version_diffs)).one()
    assert (row.version_id, row.from_version_id, row.added, row.removed, row.changed) == (
        second.version_id, first.version_id, 1, 1, 2)
    p.close()


def test_only_common_indicators_are_compared(tmp_path: Path) -> None:
    p = open_platform(make_settings(tmp_path, ""))
    first = load(p, tmp_path / "a", TINY_DATA)
    # rate goes, share comes; pupils changes in one row, rate "changes" in another (ignored)
    data = (TINY_DATA.replace(",pupils,rate", ",pupils,share")
            .replace("Total,Total,100,1.5", "Total,Total,101,1.5")
            .replace("Male,Total,40,2.5", "Male,Total,40,9.9"))
    meta = TINY_META.replace("rate,Indicator,Rate,,%,1,,", "share,Indicator,Share,,%,1,,")
    second = load(p, tmp_path / "b", data, meta)
    layout, rows = diff_between(p, first, second)
    assert (layout.indicators, layout.indicators_added, layout.indicators_removed) == (
        ("pupils",), ("share",), ("rate",))
    assert rows == [("changed", "2022", "England", ("Total", "Total"),
                     (("pupils", "100", "101"),))]
    p.close()


def test_different_filters_match_nothing(tmp_path: Path) -> None:
    """A filter only one version has: no observation is the same in both."""
    p = open_platform(make_settings(tmp_path, ""))
    first = load(p, tmp_path / "a", TINY_DATA)
    lines = [line.split(",") for line in TINY_DATA.splitlines()]
    data = "".join(",".join([*cells[:9], "age" if i == 0 else "All", *cells[9:]]) + "\n"
                   for i, cells in enumerate(lines))
    meta = TINY_META.replace("pupils,Indicator", "age,Filter,Age,,,,,\npupils,Indicator")
    second = load(p, tmp_path / "b", data, meta)
    layout, rows = diff_between(p, first, second)
    assert layout.filters == ("sex", "phase", "age") and layout.filters_added == ("age",)
    assert [r[0] for r in rows].count("removed") == 6
    assert [r[0] for r in rows].count("added") == 6
    removed = [r for r in rows if r[0] == "removed"]
    assert all(r[3][2] == "" for r in removed)  # the older version has no age
    p.close()


def test_repeated_observations_are_paired_once(tmp_path: Path) -> None:
    """Schools may repeat an observation (the screener allows it at low levels beside
    other levels): repeats are paired in the order of their values, so one changed
    repeat is one change."""
    header = ("time_period,time_identifier,geographic_level,country_code,country_name,"
              "la_name,old_la_code,new_la_code,school_urn,school_name,pupils\n")
    row = "2022,Calendar year,School,E92000001,England,Camden,202,E09000007,100001,A School,{}\n"
    national = "2022,Calendar year,National,E92000001,England,,,,,,30\n"
    meta = ("col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,"
            "filter_hint,filter_grouping_column\npupils,Indicator,Pupils,,,0,,\n")
    p = open_platform(make_settings(tmp_path, ""))
    first = load(p, tmp_path / "a", header + national + row.format(10) + row.format(20),
                 meta)
    assert first.created
    second = load(p, tmp_path / "b", header + national + row.format(10) + row.format(25),
                  meta)
    layout, rows = diff_between(p, first, second)
    assert rows == [("changed", "2022", "A School", (), (("pupils", "20", "25"),))]
    p.close()


def test_a_diff_in_an_s3_bucket(tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE,
                        storage_url=f"s3://{s3_bucket}/stats", s3_endpoint_url=s3_server.endpoint)
    p = open_platform(settings)
    first = load(p, tmp_path / "a", TINY_DATA)
    second = load(p, tmp_path / "b", TINY_DATA.replace("Total,Total,100,1.5",
                                                       "Total,Total,100,1.6"))
    name = diff.file_name(first.version_id)
    assert f"stats/versions/{second.version_id}/{name}" in s3_server.keys(s3_bucket)
    p.close()
    # As on another host: an empty cache, so the diff comes from the bucket.
    shutil.rmtree(settings.data_dir / "files")
    p = open_platform(settings)
    layout, rows = diff_between(p, first, second)
    assert rows == [("changed", "2022", "England", ("Total", "Total"),
                     (("pupils", "100", "100"), ("rate", "1.5", "1.6")))]
    cached = list((tmp_path / "data").rglob(name))
    assert cached and not (tmp_path / "data" / "diffs").exists()  # read, not computed
    p.close()


def test_the_diff_file_reads_with_plain_duckdb(tmp_path: Path) -> None:
    """Its columns are documented (ingest/diff.py): anyone can read it."""
    p = open_platform(make_settings(tmp_path, ""))
    first = load(p, tmp_path / "a", TINY_DATA)
    second = load(p, tmp_path / "b", TINY_DATA.replace(",12,low", ",13,low"))
    path = p.storage.path(second.version_id) / diff.file_name(first.version_id)
    columns = [c[0] for c in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()]
    assert columns == ["row", "change", "old_time_period_id", "new_time_period_id",
                       "old_location_id", "new_location_id", "geographic_level",
                       "old_filter:sex", "new_filter:sex", "old_filter:phase",
                       "new_filter:phase", "old:pupils", "new:pupils", "old:rate", "new:rate"]
    p.close()
