"""Import: a screened pair becomes a Parquet version whose rows decode to the CSV's rows."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Connection

from openstats.catalogue import data_sets
from openstats.errors import ScreeningFailed
from openstats.ingest.build import PARQUET
from openstats.ingest.service import RecordedVersion, import_pair
from openstats.platform import Platform, open_platform
from openstats.standards import geography, time_periods
from tests.conftest import SAMPLES
from tests.core.helpers import TINY_DATA, TINY_META, files_under, make_settings, write_pair

DATA_SET = "8b1e8a0e-8f0e-4d47-9c8c-1f9f6f4a2a10"


@pytest.fixture
def platform(tmp_path: Path, database_url: str) -> Platform:
    p = open_platform(make_settings(tmp_path, database_url))
    yield p  # type: ignore[misc]
    p.close()


def run_import(platform: Platform, data: Path, meta: Path, data_set_id: str = DATA_SET):
    return import_pair(platform.catalogue, platform.storage, platform.settings, data, meta,
                       data_set_id=data_set_id, publication_id=None, title=data.name)


def version_row(platform: Platform, data_set_id: str = DATA_SET) -> dict:
    """The latest version as stored: its row's fields, metadata and changes as JSON text."""
    with platform.catalogue.connect() as conn:
        latest = data_sets.versions(conn, data_set_id)[0]
        changes = data_sets.stored_changes(conn, latest.id)
    meta = platform.catalogue.metadata.get(latest.id)
    return {**asdict(latest), "metadata": json.dumps(meta.to_json()),
            "changes": json.dumps(changes)}


def decoded_rows(platform: Platform, row: dict) -> list[tuple]:
    """Rebuild the original cells from the Parquet ids and the metadata dictionaries."""
    meta = json.loads(row["metadata"])
    table = pq.read_table(platform.storage.path(row["storage_key"]) / PARQUET).to_pylist()
    times = {t["id"]: t for t in meta["time_periods"]}
    locations = {loc["id"]: loc for loc in meta["locations"]}
    options = {f["column"]: {o["id"]: o["label"] for o in f["options"]} for f in meta["filters"]}
    out = []
    for r in table:
        t, loc = times[r["time_period_id"]], locations[r["location_id"]]
        out.append((
            t["period"], t["code"], loc["level"], loc["code"], loc["name"],
            *(options[f["column"]][r[f["column"]]] for f in meta["filters"]),
            *((r[i["column"]] or "") for i in meta["indicators"]),
        ))
    return sorted(out)


def csv_rows(data: Path, meta_json: dict) -> list[tuple]:
    """The same tuples read straight from the CSV by DuckDB, with the standards' tables."""
    con = duckdb.connect()
    header = con.execute("SELECT * FROM read_csv(?, all_varchar=true) LIMIT 0",
                         [str(data)]).description
    names = [d[0] for d in header]
    rows = con.execute("SELECT * FROM read_csv(?, all_varchar=true)", [str(data)]).fetchall()
    out = []
    for raw in rows:
        r = dict(zip(names, raw, strict=True))
        level = geography.BY_LABEL[r["geographic_level"].strip().lower()]
        ident = time_periods.BY_LABEL[r["time_identifier"].strip().lower()]
        code = (r.get(level.code_columns[0]) or "").strip() if level.code_columns else ""
        out.append((
            r["time_period"].strip(), ident.code, level.code, code,
            (r.get(level.name_column) or "").strip(),
            *((r[f["column"]] or "").strip() or "Not specified" for f in meta_json["filters"]),
            *((r[i["column"]] or "").strip() for i in meta_json["indicators"]),
        ))
    return sorted(out)


@pytest.mark.parametrize("name", [
    "ees-tests/absence_school", "ees-tests/seven_filters", "ees-tests/dates",
    "ees-tests/filter_hierarchy_student_enrolment", "ees-tests/grouped-filters-and-indicators",
    "ees-tests/tiny-two-filters", "ees-small-files/LA", "ees-small-files/escaped_commas",
])
def test_import_round_trips_every_cell(platform: Platform, name: str) -> None:
    data, meta = SAMPLES / f"{name}.csv", SAMPLES / f"{name}.meta.csv"
    result = run_import(platform, data, meta)
    assert result.created and result.version == "1.0"
    row = version_row(platform)
    meta_json = json.loads(row["metadata"])
    assert decoded_rows(platform, row) == csv_rows(data, meta_json)
    assert row["row_count"] == result.row_count == len(csv_rows(data, meta_json))
    assert row["data_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert row["meta_sha256"] == hashlib.sha256(meta.read_bytes()).hexdigest()
    # The uploaded files are kept byte for byte, for downloads.
    folder = platform.storage.path(row["storage_key"])
    assert (folder / data.name).read_bytes() == data.read_bytes()
    assert (folder / meta.name).read_bytes() == meta.read_bytes()


def test_parquet_layout_ids_and_order(platform: Platform, tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "in")
    run_import(platform, data, meta)
    row = version_row(platform)
    meta_json = json.loads(row["metadata"])
    path = platform.storage.path(row["storage_key"]) / PARQUET
    schema = pq.read_schema(path)
    assert str(schema.field("location_id").type) == "int32"
    assert str(schema.field("sex").type) == "int16"  # filter options are small ids
    assert str(schema.field("rate").type) == "string"  # values as uploaded: c, x, low
    rows = pq.read_table(path).to_pylist()
    # Rows follow the location hierarchy (country, then region...), then time.
    keys = [(r["loc_NAT"] if r["loc_NAT"] is not None else -1,
             r["loc_REG"] if r["loc_REG"] is not None else -1, r["time_period_id"])
            for r in rows]
    assert keys == sorted(keys)
    assert [(t["period"], t["code"]) for t in meta_json["time_periods"]] == [
        ("2022", "CY"), ("2023", "CY")]
    sex = next(f for f in meta_json["filters"] if f["column"] == "sex")
    assert sex["options"][0]["label"] == "Total" and sex["default"] == "Total"
    assert sex["hint"] == "Filter by sex" and sex["label"] == "Sex"
    rate = next(i for i in meta_json["indicators"] if i["column"] == "rate")
    assert {k: v for k, v in rate.items() if k != "public_id"} == {
        "column": "rate", "label": "Rate", "unit": "%", "decimal_places": 1, "group": ""}
    assert meta_json["geographic_levels"] == ["NAT", "REG"]
    assert [(loc["level"], loc["code"], loc["name"]) for loc in meta_json["locations"]] == [
        ("NAT", "E92000001", "England"), ("REG", "E12000001", "North East")]
    # Row groups carry statistics, so a reader can skip groups by location and time.
    stats = pq.ParquetFile(path).metadata.row_group(0).column(1).statistics
    assert stats is not None and stats.has_min_max


def test_time_periods_sort_in_time_order(platform: Platform, tmp_path: Path) -> None:
    data = TINY_DATA.replace("2022,Calendar year", "2021,Calendar year")
    data += "2020,Calendar year,National,E92000001,England,,,Total,Total,90,1\n"
    data_path, meta_path = write_pair(tmp_path / "in", data=data)
    run_import(platform, data_path, meta_path)
    periods = json.loads(version_row(platform)["metadata"])["time_periods"]
    assert [p["period"] for p in periods] == ["2020", "2021", "2023"]


def test_same_files_again_change_nothing(platform: Platform, tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "in")
    first = run_import(platform, data, meta)
    before = files_under(platform.settings.data_dir / "files")
    second = run_import(platform, data, meta)
    assert not second.created and second.version == first.version == "1.0"
    assert files_under(platform.settings.data_dir / "files") == before


def test_additions_make_a_minor_version_and_removals_a_major_one(
        platform: Platform, tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "v1")
    run_import(platform, data, meta)
    added = TINY_DATA + "2024,Calendar year,National,E92000001,England,,,Total,Total,120,2\n"
    data2, meta2 = write_pair(tmp_path / "v2", data=added)
    assert run_import(platform, data2, meta2).version == "1.1"
    changes = json.loads(version_row(platform)["changes"])
    assert changes["minorChanges"]["timePeriods"] == [
        {"currentState": {"code": "CY", "period": "2024", "label": "2024"}}]
    assert not changes["majorChanges"]
    removed = "\n".join(line for line in added.splitlines() if ",Male," not in line) + "\n"
    data3, meta3 = write_pair(tmp_path / "v3", data=removed)
    assert run_import(platform, data3, meta3).version == "2.0"
    changes = json.loads(version_row(platform)["changes"])
    [gone] = changes["majorChanges"]["filterOptions"]
    assert gone["filter"]["column"] == "sex"
    assert [o["previousState"]["label"] for o in gone["options"]] == ["Male"]
    # Earlier versions stay stored, each with its own files.
    assert platform.catalogue.counts()["data_set_versions"] == 3


def test_a_file_with_errors_stores_nothing(platform: Platform, tmp_path: Path) -> None:
    bad = TINY_DATA.replace("2023,Calendar year,National", "2023,Calendar yr,National")
    data, meta = write_pair(tmp_path / "in", data=bad)
    with pytest.raises(ScreeningFailed) as failed:
        run_import(platform, data, meta)
    assert "data.time.identifier_unknown" in failed.value.report.rule_ids()  # type: ignore[attr-defined]
    assert platform.catalogue.counts()["data_set_versions"] == 0
    assert platform.catalogue.counts()["data_sets"] == 0
    assert files_under(platform.settings.data_dir / "files") == []


def test_an_error_while_recording_leaves_no_files(platform: Platform, tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "in")

    def failing_write(conn: Connection, recorded: list[RecordedVersion]) -> None:
        assert recorded  # the version's row is written in this transaction: rolled back
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        import_pair(platform.catalogue, platform.storage, platform.settings, data, meta,
                    data_set_id=DATA_SET, publication_id=None, title="x",
                    write_catalogue=failing_write)
    assert platform.catalogue.counts()["data_sets"] == 0
    assert files_under(platform.settings.data_dir / "files") == []


def test_rows_carry_every_level_they_fill(platform: Platform) -> None:
    data = SAMPLES / "ees-tests/absence_school.csv"
    run_import(platform, data, SAMPLES / "ees-tests/absence_school.meta.csv")
    row = version_row(platform)
    meta = json.loads(row["metadata"])
    by_id = {loc["id"]: loc for loc in meta["locations"]}
    rows = pq.read_table(platform.storage.path(row["storage_key"]) / PARQUET).to_pylist()
    la_row = next(r for r in rows if r["geographic_level"] == "LA")
    assert la_row["loc_LA"] == la_row["location_id"]
    assert by_id[la_row["loc_NAT"]]["code"] == "E92000001"
    assert by_id[la_row["loc_REG"]]["level"] == "REG"
    national = next(r for r in rows if r["geographic_level"] == "NAT")
    assert national["loc_REG"] is None and national["loc_LA"] is None
    school = next(r for r in rows if r["geographic_level"] == "SCH")
    assert by_id[school["loc_SCH"]]["school_laestab"]  # the secondary code is kept
    # Everything under one local authority (its own rows, its schools) sits together,
    # so a query for that LA reads few row groups.
    blocks = [key for key, _ in itertools.groupby(r["loc_LA"] for r in rows)
              if key is not None]
    assert len(blocks) == len(set(blocks)) > 1


def test_data_columns_named_like_internal_ones(platform: Platform, tmp_path: Path) -> None:
    data = TINY_DATA.replace(",sex,phase,", ",level,id,").replace(
        "sex,Filter,Sex", "level,Filter,Level")
    meta = (TINY_META.replace("sex,Filter,Sex", "level,Filter,Level")
            .replace("phase,Filter,School phase", "id,Filter,Identifier"))
    data_path, meta_path = write_pair(tmp_path / "in", data=data, meta=meta)
    assert run_import(platform, data_path, meta_path).created
    row = version_row(platform)
    assert decoded_rows(platform, row) == csv_rows(data_path, json.loads(row["metadata"]))


def test_public_ids_survive_new_versions(platform: Platform, tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "v1")
    run_import(platform, data, meta)
    first = json.loads(version_row(platform)["metadata"])
    added = TINY_DATA + "2024,Calendar year,National,E92000001,England,,,Other,Total,1,2\n"
    data2, meta2 = write_pair(tmp_path / "v2", data=added)
    run_import(platform, data2, meta2)
    second = json.loads(version_row(platform)["metadata"])

    def ids(m: dict) -> dict[str, str]:
        out = {f"f:{f['column']}": f["public_id"] for f in m["filters"]}
        out |= {f"o:{f['column']}:{o['label']}": o["public_id"]
                for f in m["filters"] for o in f["options"]}
        out |= {f"i:{i['column']}": i["public_id"] for i in m["indicators"]}
        out |= {f"l:{loc['code']}": loc["public_id"] for loc in m["locations"]}
        return out

    before, after = ids(first), ids(second)
    assert all(after[k] == v for k, v in before.items())  # unchanged things keep their ids
    assert after["o:sex:Other"] not in before.values()  # new things get new ids
    assert len(set(after.values())) == len(after)  # and no two things share one
    assert all(len(v) >= 5 for v in after.values())
