"""The query's open formats (JSON-stat, SDMX-CSV, Parquet, CSV) and the CSVW metadata, read
back with real readers over real HTTP; each one's numbers equal the EES JSON answer's."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import csvw
import httpx
import jsonstat_validator
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pyjstat import pyjstat

from openstats.standards import geography, time_periods
from openstats.standards.symbols import NUMBER_PATTERN
from tests.api.conftest import LiveServer
from tests.support.open_data import ABSENCE, DEMO, GAPS, open_data_site

SETS = [DEMO, ABSENCE, GAPS]
Key = tuple[str, str, tuple[tuple[str, str], ...], str]  # period|code, location, options, ind


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from open_data_site(tmp_path_factory.mktemp("formats"))


def query(site: LiveServer, ds: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{site.api}/v1/data-sets/{ds}/query", params=params, timeout=30)


def json_cells(site: LiveServer, ds: str, **params: Any) -> dict[Key, str]:
    """Every (observation, indicator) of the EES JSON answer, paged through, as published."""
    out: dict[Key, str] = {}
    page = 1
    while True:
        answer = query(site, ds, page=page, pageSize=100, **params).json()
        for r in answer["results"]:
            place = r["locations"][r["geographicLevel"]]
            period = f"{r['timePeriod']['period']}|{r['timePeriod']['code']}"
            options = tuple(sorted(r["filters"].items()))
            for indicator, value in r["values"].items():
                out[(period, place, options, indicator)] = value
        if page >= answer["paging"]["totalPages"]:
            return out
        page += 1


def number(text: str) -> float | None:
    return float(text) if re.match(NUMBER_PATTERN, text.strip()) else None


def numbers_of(cells: dict[Key, str]) -> dict[Key, float]:
    return {k: n for k, v in cells.items() if (n := number(v)) is not None}


def symbols_of(cells: dict[Key, str]) -> dict[Key, str]:
    return {k: v.strip() for k, v in cells.items() if v.strip() and number(v) is None}


@pytest.mark.parametrize("ds", SETS)
def test_json_stat_is_valid_and_has_the_json_numbers(site: LiveServer, ds: str) -> None:
    cells = json_cells(site, ds)
    answer = query(site, ds, format="json-stat")
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert jsonstat_validator.validate_jsonstat(doc)
    assert doc["class"] == "dataset" and doc["version"] == "2.0"
    meta = httpx.get(f"{site.api}/v1/data-sets/{ds}/meta").json()
    # Dimensions in the data set's order: time, location, each filter as its column comes
    # in the data file, the indicator.
    header = httpx.get(f"{site.api}/v1/data-sets/{ds}/csv").text.splitlines()[0].split(",")
    by_file = sorted(meta["filters"], key=lambda f: header.index(f["column"]))
    assert doc["id"] == ["timePeriod", "location", *(f["id"] for f in by_file), "indicator"]
    assert doc["size"] == [len(doc["dimension"][d]["category"]["index"]) for d in doc["id"]]
    units = doc["dimension"]["indicator"]["category"]["unit"]
    for i in meta["indicators"]:
        assert units[i["id"]]["decimals"] == i["decimalPlaces"]
    # Read back with pyjstat: one row per cube cell, labelled by category ids.
    frame = pyjstat.Dataset.read(answer.text).write("dataframe", naming="id")
    filters = [f["id"] for f in meta["filters"]]
    got = {(r["timePeriod"], r["location"], tuple(sorted((f, r[f]) for f in filters)),
            r["indicator"]): float(r["value"])
           for r in frame.to_dict("records") if pd.notna(r["value"])}
    assert got == numbers_of(cells) and got
    # Symbols are in `status`, at the place of their cell.
    strides = [1] * len(doc["size"])
    for d in range(len(doc["size"]) - 2, -1, -1):
        strides[d] = strides[d + 1] * doc["size"][d + 1]
    status = {}
    for place, symbol in doc.get("status", {}).items():
        ids = [doc["dimension"][d]["category"]["index"][int(place) // s % n]
               for d, s, n in zip(doc["id"], strides, doc["size"], strict=True)]
        status[(ids[0], ids[1], tuple(sorted(zip(filters, ids[2:-1], strict=True))),
                ids[-1])] = symbol
    assert status == symbols_of(cells)


def test_gaps_symbols_reach_json_stat_status(site: LiveServer) -> None:
    doc = query(site, GAPS, format="json-stat").json()
    assert sorted(doc["status"].values()) == ["c", "x", "z"]


@pytest.mark.parametrize("ds", SETS)
def test_sdmx_csv_has_the_json_numbers(site: LiveServer, ds: str) -> None:
    cells = json_cells(site, ds)
    answer = query(site, ds, format="sdmx-csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.sdmx.data+csv;version=2.0.0"
    frame = pd.read_csv(io.BytesIO(answer.content), dtype=str, keep_default_na=False)
    meta = httpx.get(f"{site.api}/v1/data-sets/{ds}/meta").json()
    assert list(frame.columns[:3]) == ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
    assert set(frame["STRUCTURE"]) == {"dataflow"}
    assert set(frame["STRUCTURE_ID"]) == {f"OPENSTATS:{ds}(1.0.0)"}
    components = {f["id"]: f["column"].upper() for f in meta["filters"]}
    keys = [(f"{r['TIME_PERIOD']}|{r['TIME_IDENTIFIER']}", r["LOCATION"],
             tuple(sorted((f, r[c]) for f, c in components.items())), r["INDICATOR"])
            for r in frame.to_dict("records")]
    got = {k: float(r["OBS_VALUE"]) for k, r in zip(keys, frame.to_dict("records"),
                                                    strict=True) if r["OBS_VALUE"]}
    assert got == numbers_of(cells) and got
    symbols = {k: r["OBS_STATUS"] for k, r in zip(keys, frame.to_dict("records"), strict=True)
               if r["OBS_STATUS"]}
    assert symbols == symbols_of(cells)
    assert len(frame) == len(cells)  # one row per observation and indicator, no more


def labelled(site: LiveServer, ds: str) -> dict[tuple[str, ...], str]:
    """The JSON answer's cells keyed by what the flat files write: labels and codes."""
    meta = httpx.get(f"{site.api}/v1/data-sets/{ds}/meta").json()
    options = {o["id"]: o["label"] for f in meta["filters"] for o in f["options"]}
    columns = {i["id"]: i["column"] for i in meta["indicators"]}
    places = {o["id"]: o for g in meta["locations"] for o in g["options"]}
    out = {}
    for (period, place, opts, indicator), value in json_cells(site, ds).items():
        api_period, code = period.split("|")
        loc = places[place]
        loc_code = loc.get("code", loc.get("urn", loc.get("ukprn", "")))
        out[(time_periods.csv_period(api_period, code), code, loc_code, loc["label"],
             *(options[o] for _, o in opts), columns[indicator])] = value
    return out


def flat_keys(frame: pd.DataFrame, ds: str, site: LiveServer) -> list[tuple[str, ...]]:
    meta = httpx.get(f"{site.api}/v1/data-sets/{ds}/meta").json()
    order = [f["column"] for f in sorted(meta["filters"], key=lambda f: f["id"])]
    keys = []
    for r in frame.to_dict("records"):
        level = geography.BY_LABEL[r["geographic_level"].lower()]
        code = r.get(level.code_columns[0], "") if level.code_columns else ""
        keys.append((str(r["time_period"]),
                     time_periods.BY_LABEL[r["time_identifier"].lower()].code, code or "",
                     r[level.name_column], *(r[c] for c in order)))
    return keys


@pytest.mark.parametrize("ds", SETS)
def test_csv_has_the_json_values(site: LiveServer, ds: str) -> None:
    want = labelled(site, ds)
    answer = query(site, ds, format="csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(answer.content), dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    meta = httpx.get(f"{site.api}/v1/data-sets/{ds}/meta").json()
    got = {(*key, i["column"]): r[i["column"]]
           for key, r in zip(flat_keys(frame, ds, site), frame.to_dict("records"), strict=True)
           for i in meta["indicators"]}
    assert got == want and got


@pytest.mark.parametrize("ds", SETS)
def test_parquet_has_the_json_numbers(site: LiveServer, ds: str) -> None:
    want = labelled(site, ds)
    answer = query(site, ds, format="parquet")
    assert answer.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(answer.content))
    frame = table.to_pandas()
    meta = httpx.get(f"{site.api}/v1/data-sets/{ds}/meta").json()
    for i in meta["indicators"]:
        assert str(table.schema.field(i["column"]).type) == "double"
    text = frame.astype(object).where(frame.notna(), "")
    got_numbers, got_symbols = {}, {}
    for key, r in zip(flat_keys(text, ds, site), frame.to_dict("records"), strict=True):
        for i in meta["indicators"]:
            if pd.notna(r[i["column"]]):
                got_numbers[(*key, i["column"])] = float(r[i["column"]])
            if pd.notna(r[f"{i['column']}_symbol"]):
                got_symbols[(*key, i["column"])] = r[f"{i['column']}_symbol"]
    assert got_numbers == {k: n for k, v in want.items() if (n := number(v)) is not None}
    assert got_symbols == {k: v for k, v in want.items() if v.strip() and number(v) is None}


def test_post_criteria_and_accept_headers_choose_the_same_rows(site: LiveServer) -> None:
    body = {"criteria": {"geographicLevels": {"eq": "REG"}}}
    url = f"{site.api}/v1/data-sets/{ABSENCE}/query"
    rows = httpx.post(url, json={**body, "pageSize": 1000}).json()["paging"]["totalResults"]
    as_csv = httpx.post(url + "?format=csv", json=body)
    frame = pd.read_csv(io.BytesIO(as_csv.content), dtype=str, encoding="utf-8-sig")
    assert len(frame) == rows > 0 and set(frame["geographic_level"]) == {"Regional"}
    by_accept = {
        "application/vnd.sdmx.data+csv;version=2.0.0": "application/vnd.sdmx.data+csv",
        "application/vnd.apache.parquet": "application/vnd.apache.parquet",
        "text/csv": "text/csv",
        "text/html, application/json;q=0.9": "application/json",
        "application/json+stat": "application/json"}
    for accept, media in by_accept.items():
        got = httpx.post(url, json=body, headers={"Accept": accept})
        assert got.status_code == 200 and got.headers["content-type"].startswith(media)
        assert "Accept" in got.headers["vary"]
        if accept == "application/json+stat":
            assert got.json()["class"] == "dataset"
    # Paging is off for files: page and pageSize do not cut them.
    paged = httpx.post(url + "?format=csv&pageSize=1&page=2", json=body)
    assert paged.content == as_csv.content


def test_unknown_format_is_a_400_naming_format(site: LiveServer) -> None:
    for answer in (query(site, DEMO, format="xml"),
                   httpx.post(f"{site.api}/v1/data-sets/{DEMO}/query?format=xml", json={})):
        assert answer.status_code == 400
        [error] = answer.json()["errors"]
        assert error["path"] == "format" and "json-stat" in error["message"]


def test_csvw_metadata_describes_the_csv(site: LiveServer) -> None:
    page = httpx.get(f"{site.base}/data-catalogue/data-set/{ABSENCE}")
    url = f"{site.api}/v1/data-sets/{ABSENCE}/versions/1.0/csv-metadata.json"
    assert url.replace(site.base, "") in page.text.replace(site.base, "")
    doc = httpx.get(url).json()
    group = csvw.TableGroup.from_url(url)  # csvw fetches the CSV and code lists itself
    assert group.check_referential_integrity() is True
    data = group.tables[0]
    columns = {c.name: c for c in data.tableSchema.columns}
    percent = columns["sess_unauthorised_percent"]
    assert percent.datatype.base == "number"
    assert doc["tables"][0]["tableSchema"]["columns"][list(columns).index(
        "sess_unauthorised_percent")]["schema:unitText"] == "%"
    rows = list(data.iterdicts())
    source = pd.read_csv(io.BytesIO(httpx.get(f"{site.api}/v1/data-sets/{ABSENCE}/csv").content),
                         dtype=str, keep_default_na=False)
    assert len(rows) == len(source)
    for got, want in zip(rows, source.to_dict("records"), strict=True):
        assert got["enrolments"] == (float(want["enrolments"]) if want["enrolments"] else None)
        assert got["school_type"] == want["school_type"]
    fks = {fk.columnReference[0] for fk in data.tableSchema.foreignKeys}
    assert {"school_type", "ncyear", "country_code", "region_code"} <= fks


def test_table_tool_downloads_the_open_formats(site: LiveServer) -> None:
    meta = httpx.get(f"{site.api}/v1/data-sets/{GAPS}/meta").json()
    params = [("dataSetId", GAPS), *(("locations", o["id"]) for g in meta["locations"]
                                     for o in g["options"]),
              ("start", "2020|CY"), ("end", "2021|CY"),
              *((f"filter_{meta['filters'][0]['id']}", o["id"])
                for o in meta["filters"][0]["options"]),
              *(("indicators", i["id"]) for i in meta["indicators"])]
    table_csv = httpx.get(f"{site.base}/data-tables/table.csv", params=params)
    flat = pd.read_csv(io.BytesIO(table_csv.content), dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")
    stat = httpx.get(f"{site.base}/data-tables/table.json-stat", params=params)
    assert stat.status_code == 200 and jsonstat_validator.validate_jsonstat(stat.json())
    values = [v for v in stat.json()["value"] if v is not None]
    assert sorted(values) == sorted(float(v) for c in ("pupils", "rate", "score")
                                    for v in flat[c] if number(v) is not None)
    sdmx = pd.read_csv(io.BytesIO(httpx.get(f"{site.base}/data-tables/table.sdmx-csv",
                                            params=params).content), dtype=str)
    assert len(sdmx) == len(flat) * 3
    parquet = pq.read_table(io.BytesIO(httpx.get(f"{site.base}/data-tables/table.parquet",
                                                 params=params).content))
    assert parquet.column("pupils").to_pylist() == [float(v) for v in flat["pupils"]]


def test_openapi_marks_the_extensions(site: LiveServer) -> None:
    doc = httpx.get(f"{site.api}/openapi.json").json()
    query_get = doc["paths"]["/api/v1/data-sets/{dataSetId}/query"]["get"]
    [fmt] = [p for p in query_get["parameters"] if p["name"] == "format"]
    assert fmt["x-openstats-extension"] and "json-stat" in fmt["schema"]["enum"]
    for path in ("/api/v1/data-sets/{dataSetId}/availability",
                 "/api/v1/data-sets/{dataSetId}/versions/{dataSetVersion}/csv-metadata.json"):
        assert doc["paths"][path]["get"]["x-openstats-extension"] is True
    docs = httpx.get(f"{site.api}/docs").text
    assert "openstats extension: not part of EES&#39;s API" in docs or \
        "openstats extension: not part of EES's API" in docs
    assert json.dumps(doc)  # the document stays JSON


def test_csv_cells_never_become_formulas_and_numbers_stay() -> None:
    """The CSV format's vectorised check says what `formulas.neutralise` says, cell by cell."""
    import pyarrow as pa

    from openstats.exports.flat_table import _safe_values
    from openstats.standards.formulas import neutralise

    cells = ["-5", "=1+1", "12", "@x", "c", "-1,234.5", "+3", "-", "\tx", "＝1", "low"]
    assert _safe_values(pa.chunked_array([cells])).to_pylist() == [neutralise(c) for c in cells]


@pytest.mark.parametrize("name", ["csv", "sdmx-csv", "parquet"])
def test_files_streamed_in_batches_equal_the_whole(site: LiveServer, name: str) -> None:
    """Big answers are written a batch of rows at a time: the file is the same."""
    from openstats.exports import formats
    from openstats.platform import open_platform
    from openstats.query.engine import QueryEngine
    from openstats.query.observations import batches, observations
    from openstats.query.request import QueryRequest
    from openstats.settings import Settings

    platform = open_platform(Settings(data_dir=site.data_dir, database_url=""))
    try:
        version = next(d for d in platform.catalogue.snapshots.view().versions_of(ABSENCE))
        engine = QueryEngine(cache_bytes=0)
        v = engine.version(version.version_id, platform.storage.file(
            version.version.storage_key, "data.parquet"),
            platform.catalogue.metadata.get_json(version.version_id))
    finally:
        platform.close()
    fmt = formats.FORMATS[name]
    whole = formats.render(fmt, observations(engine, v, QueryRequest()), data_set_id=ABSENCE,
                           version="1.0", label="")
    parts = list(batches(engine, v, QueryRequest(), rows=7))
    assert len(parts) > 10
    streamed = b"".join(formats.stream(fmt, parts, data_set_id=ABSENCE, version="1.0"))
    if name == "parquet":
        assert pq.read_table(io.BytesIO(streamed)).equals(pq.read_table(io.BytesIO(whole)))
    else:
        assert streamed == whole
