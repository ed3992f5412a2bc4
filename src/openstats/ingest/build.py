"""Turn a screened data set into a version folder: data.parquet, metadata, source files.

The Parquet file is laid out for fast queries: filter options, locations and time
periods are small integer ids (their dictionaries go into the metadata), and rows are
ordered by location and time so that filters on either prune row groups. Indicator values
stay the text that was uploaded (symbols such as `c` and `x` pass through unchanged).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from openstats.standards import geography, time_periods
from openstats.standards.screening.background import InBackground
from openstats.standards.screening.result import Screening
from openstats.standards.screening.sql import DATA, LEVEL_CODE, TIME_CODE, blank, lit, q

PARQUET = "data.parquet"
ROW_GROUP_SIZE = 122_880  # DuckDB's own: fewer, larger groups measured faster to query
# LZ4 decompresses several times faster than zstd: a query decoding one row group took
# 6.1 ms instead of 7.5 ms, the first page of everything 3.9 ms instead of 7.5 ms (10M
# rows), for a file 30% larger (111 MB instead of 84 MB). Versions stored with zstd are
# read the same way.
COMPRESSION = "lz4_raw"
NOT_SPECIFIED = "Not specified"  # what a blank filter cell means


def location_columns(level: geography.GeographicLevel) -> list[str]:
    return [*level.code_columns, level.name_column]


def build_version(s: Screening, folder: Path) -> dict[str, Any]:
    """Write `folder/data.parquet` and copies of the two source files; return metadata."""
    con = s.con
    assert con is not None and s.report.ok, "only a screened pair without errors is imported"
    header = set(s.header)
    # The uploaded files are kept byte for byte; the copy (in the kernel) overlaps the build.
    copies = InBackground(_copy_sources, s, folder)
    try:
        metadata = _build(s, con, header, folder)
    finally:
        copies.result()
    return metadata


def _copy_sources(s: Screening, folder: Path) -> None:
    shutil.copyfile(s.data_path, folder / s.data_path.name)
    shutil.copyfile(s.meta_path, folder / s.meta_path.name)


def _build(s: Screening, con: Any, header: set[str], folder: Path) -> dict[str, Any]:
    column_levels = [
        lv for lv in geography.LEVELS
        if lv.name_column in header and (not lv.code_columns or lv.code_columns[0] in header)
    ]
    # --- the distinct (time, location) tuples ---------------------------------------------
    # A row's time period and locations depend only on these columns, so ids are worked out
    # once per distinct tuple (a few thousand, against millions of rows) and the rows are
    # joined to them by a hash of the tuple.
    keys = ["time_period", "time_identifier", "geographic_level"]
    for lv in column_levels:
        keys += [c for c in (*lv.code_columns[:2], lv.name_column) if c in header]
    keys = list(dict.fromkeys(keys))
    key_list = ", ".join(q(c) for c in keys)
    con.execute(f"CREATE OR REPLACE TEMP TABLE dim_rows AS SELECT *, hash({key_list}) AS "
                f"_os_hash FROM (SELECT DISTINCT {key_list} FROM {s.cells_of(keys)})")
    distinct_hashes, tuples = con.execute(
        "SELECT count(DISTINCT _os_hash), count(*) FROM dim_rows").fetchone()
    by_hash = distinct_hashes == tuples  # else two tuples share a hash: join on the columns

    # --- time periods, in time order -----------------------------------------------------
    periods = con.execute(
        f"SELECT DISTINCT trim(time_period), {TIME_CODE} FROM dim_rows").fetchall()
    ordered = sorted(periods, key=lambda p: time_periods.sort_key(
        p[0], time_periods.BY_CODE[p[1]]))
    # Labels are not stored: standards.time_periods.label makes them when they are shown.
    time_meta = [{"id": i, "period": period, "code": code}
                 for i, (period, code) in enumerate(ordered)]
    con.execute("CREATE OR REPLACE TEMP TABLE dim_time(id INTEGER, period VARCHAR, code VARCHAR)")
    con.executemany("INSERT INTO dim_time VALUES (?, ?, ?)",
                    [(t["id"], t["period"], t["code"]) for t in time_meta])

    # --- a view with each tuple's level, time code and every level's location columns ---
    # A row carries a location for its own level and for every other level whose columns
    # it fills (an LA row also names its region and country), as EES's API expects.
    level_codes = [r[0] for r in con.execute(
        f"SELECT DISTINCT {LEVEL_CODE} FROM dim_rows").fetchall()]
    level_codes.sort(key=lambda c: geography.LEVEL_ORDER[c])
    extra = []
    for lv in column_levels:
        code = lv.code_columns[0] if lv.code_columns else None
        code2 = lv.code_columns[1] if len(lv.code_columns) > 1 else None
        filled = " AND ".join(f"NOT {blank(c)}" for c in (code, lv.name_column) if c)
        extra += [
            f"{_text(code, header)} AS {q(_col(lv, 'code'))}",
            f"{_text(code2, header)} AS {q(_col(lv, 'code2'))}",
            f"{_text(lv.name_column, header)} AS {q(_col(lv, 'name'))}",
            f"({filled}) AS {q(_col(lv, 'filled'))}",
        ]
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW src AS SELECT *, {LEVEL_CODE} AS _os_level, "
        f"{TIME_CODE} AS _os_time, {', '.join(extra)} FROM dim_rows"
    )

    # --- locations: one dictionary over all levels, ordered by level then code -----------
    parts = [
        f"SELECT {lit(lv.code)} AS level, {q(_col(lv, 'code'))} AS code, "
        f"{q(_col(lv, 'code2'))} AS code2, {q(_col(lv, 'name'))} AS name FROM src "
        f"WHERE _os_level = {lit(lv.code)} OR {q(_col(lv, 'filled'))}"
        for lv in column_levels
    ]
    order = _case_order([lv.code for lv in column_levels])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dim_location AS SELECT (row_number() OVER (ORDER BY "
        f"{order}, code, code2, name) - 1)::INTEGER AS id, * FROM (SELECT DISTINCT * FROM "
        f"({' UNION ALL '.join(parts)}))")
    locations: list[dict[str, Any]] = []
    for loc_id, code, main_code, second_code, loc_name in con.execute(
            "SELECT id, level, code, code2, name FROM dim_location ORDER BY id").fetchall():
        level = geography.BY_CODE[code]
        entry: dict[str, Any] = {"id": loc_id, "level": code, "code": main_code,
                                 "name": loc_name}
        if len(level.code_columns) > 1:
            entry[level.code_columns[1]] = second_code
        locations.append(entry)

    # --- each tuple's ids ----------------------------------------------------------------
    # (Helper names start with _os_, which no data column does.)
    select = ["d._os_hash", *(f"d.{q(c)}" for c in keys), "d._os_level"]
    own = " ".join(f"WHEN {lit(lv.code)} THEN l_{lv.code}.id" for lv in column_levels)
    select.append(f"(CASE d._os_level {own} END)::INTEGER AS _os_location_id")
    select.append("t.id AS _os_time_period_id")
    joins = ["JOIN dim_time t ON t.period = trim(d.time_period) AND t.code = d._os_time"]
    for lv in column_levels:
        alias = f"l_{lv.code}"
        joins.append(
            f"LEFT JOIN dim_location {alias} ON {alias}.level = {lit(lv.code)} AND "
            f"{alias}.code = d.{q(_col(lv, 'code'))} AND {alias}.code2 = "
            f"d.{q(_col(lv, 'code2'))} AND {alias}.name = d.{q(_col(lv, 'name'))} AND "
            f"(d._os_level = {lit(lv.code)} OR d.{q(_col(lv, 'filled'))})")
        select.append(f"{alias}.id AS {q('_os_loc_' + lv.code)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE dim_ids AS SELECT {', '.join(select)} "
                f"FROM src d {' '.join(joins)}")

    # --- filters: options as ids, "Total" first -------------------------------------------
    filters_meta: list[dict[str, Any]] = []
    for i, f in enumerate(s.filters, start=1):
        group = f.filter_grouping_column if f.filter_grouping_column in header else ""
        raw = [f.name, group] if group else [f.name]
        # Distinct cells first, then their labels (a blank cell means "Not specified").
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw_filter_{i} AS SELECT DISTINCT "
                    f"{', '.join(q(c) for c in raw)} FROM {s.cells_of(raw)}")
        def label(column: str, table: str = "") -> str:
            prefix = f"{table}." if table else ""
            return f"coalesce(nullif(trim({prefix}{q(column)}), ''), {lit(NOT_SPECIFIED)})"

        table = f"dim_filter_{i}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT (row_number() OVER (ORDER BY "
            "label != 'Total', grp, label) - 1)::INTEGER AS id, label, grp FROM (SELECT "
            f"DISTINCT {label(f.name)} AS label, "
            f"{label(group) if group else 'NULL::VARCHAR'} AS grp FROM raw_filter_{i})")
        on = f"o.label = {label(f.name, 'r')}" + (
            f" AND o.grp = {label(group, 'r')}" if group else "")
        con.execute(f"CREATE OR REPLACE TEMP TABLE map_filter_{i} AS SELECT r.*, o.id AS "
                    f"_os_id FROM raw_filter_{i} r JOIN {table} o ON {on}")
        rows = con.execute(f"SELECT id, label, grp FROM {table} ORDER BY id").fetchall()
        options = [{"id": oid, "label": label, **({"group": g} if group else {})}
                   for oid, label, g in rows]
        labels = {o["label"] for o in options}
        default = f.filter_default if f.filter_default in labels else (
            "Total" if "Total" in labels else None)
        filters_meta.append({
            "column": f.name, "label": f.label, "hint": f.filter_hint,
            "group_column": group, "parent_filter": f.parent_filter,
            "default": default, "options": options,
        })

    indicators_meta: list[dict[str, Any]] = [
        {"column": m.name, "label": m.label, "unit": m.indicator_unit,
         "decimal_places": m.indicator_dp, "group": m.indicator_grouping}
        for m in s.indicators
    ]

    # --- the Parquet file ----------------------------------------------------------------
    select = ["m._os_level AS geographic_level", "m._os_location_id AS location_id",
              "m._os_time_period_id AS time_period_id"]
    select += [f"m.{q('_os_loc_' + lv.code)} AS {q('loc_' + lv.code)}" for lv in column_levels]
    if by_hash:
        joins = [f"JOIN dim_ids m ON m._os_hash = hash({', '.join(f'd.{q(c)}' for c in keys)})"]
    else:
        joins = ["JOIN dim_ids m ON " + " AND ".join(
            f"m.{q(c)} IS NOT DISTINCT FROM d.{q(c)}" for c in keys)]
    for i, fm in enumerate(filters_meta, start=1):
        raw = [fm["column"], fm["group_column"]] if fm["group_column"] else [fm["column"]]
        joins.append(f"JOIN map_filter_{i} f{i} ON " + " AND ".join(
            f"f{i}.{q(c)} IS NOT DISTINCT FROM d.{q(c)}" for c in raw))
        select.append(f"f{i}._os_id::{_int_type(len(fm['options']))} AS {q(fm['column'])}")
    for ind in indicators_meta:
        select.append(f"trim(d.{q(ind['column'])}) AS {q(ind['column'])}")
    # Rows in location hierarchy order (country, region, local authority, ..., school),
    # then time: all rows under one place sit together, so a query for an LA or a school
    # reads a few row groups, not all of them. Then the file's own order: DuckDB's sort
    # runs on several threads and keeps no order among equal keys, so without it the rows
    # of one place and period came out in another order when the machine was busy, and
    # the same files imported twice answered a query's tied rows differently.
    order_by = ", ".join([*(f"m.{q('_os_loc_' + lv.code)} NULLS FIRST" for lv in column_levels),
                          "m._os_location_id", "m._os_time_period_id", "d.rowid"])
    parquet = folder / PARQUET
    con.execute(
        f"COPY (SELECT {', '.join(select)} FROM {DATA} d {' '.join(joins)} "
        f"ORDER BY {order_by}) TO {lit(str(parquet))} "
        f"(FORMAT parquet, COMPRESSION {COMPRESSION}, ROW_GROUP_SIZE {ROW_GROUP_SIZE})"
    )
    written = con.execute(f"SELECT count(*) FROM read_parquet({lit(str(parquet))})").fetchone()
    if written is None or written[0] != s.row_count:
        raise RuntimeError(f"import wrote {written} rows, expected {s.row_count}")

    assert s.data_scan is not None and s.meta_scan is not None
    return {
        "row_count": s.row_count,
        "data_file": s.data_path.name,
        "meta_file": s.meta_path.name,
        "data_sha256": s.data_scan.sha256,
        "meta_sha256": s.meta_scan.sha256,
        "columns": s.header,
        "geographic_levels": level_codes,
        "time_periods": time_meta,
        "locations": locations,
        "filters": filters_meta,
        "indicators": indicators_meta,
    }


def _col(level: geography.GeographicLevel, part: str) -> str:
    """Name of a helper column of the `src` view (prefixed so it never meets a data column)."""
    return f"_os_{level.code}_{part}"


def _text(column: str | None, header: set[str]) -> str:
    return f"coalesce(trim({q(column)}), '')" if column and column in header else "''"


def _case_order(level_codes: list[str]) -> str:
    """SQL giving each level's position in the standard order (national first)."""
    branches = " ".join(f"WHEN {lit(c)} THEN {geography.LEVEL_ORDER[c]}" for c in level_codes)
    return f"CASE level {branches} END"


def _int_type(count: int) -> str:
    return "SMALLINT" if count < 32_000 else "INTEGER"
