"""Generate a large data set in the open data standards (data CSV + meta CSV) for benchmarks.

One DuckDB query over `range(N)` writes every row; nothing loops in Python. Row `i` is
decoded in mixed radix into (location, year, filter combination), so rows are unique on
(time, location, filters) by construction and any row count works:

    combo    = i % 360            sex (3) x school_phase (4) x fsm_status (3) x age_band (10)
    year     = (i // 360) % 5     Academic year 201819 .. 202223
    location = i // 1800

Locations: 1 national, 9 regions, the live local authorities of `las.csv` (with their
region) and then schools. The aggregates are interleaved with the first schools, so even a
small file (a few thousand rows) has every geographic level. Indicator values and
suppression symbols (`c`, `x`, `z`, `low`) come from hashing the row number, so a given
row count always gives the same bytes.

A second shape, `--shape time` (files `bench_time_*`), is laid out the other way round,
as a school census extract often is: school rows only (with their LA and region), two
filters (`sex`, 3 options; `age_band`, 6), eight academic years (201516 .. 202223), and
the rows in time order (a whole year of schools, then the next year):

    combo    = i % 18             sex (3) x age_band (6)
    school   = (i // 18) % S      S = ceil(N / (18 * 8)) schools
    year     = i // (18 * S)

Usage: python benchmarks/generate.py [--rows 10000000] [--shape mixed|time] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "data"
DEFAULT_ROWS = 10_000_000

YEARS = [2018, 2019, 2020, 2021, 2022]  # start years: 201819 .. 202223
SEXES = ["Total", "Female", "Male"]
PHASES = ["Total", "Primary", "Secondary", "Special"]
FSM = ["Total", "Eligible", "Not eligible"]
AGE_BANDS = ["Total", "4 and under", "5", "6", "7", "8", "9", "10", "11", "12 and over"]
COMBOS = len(SEXES) * len(PHASES) * len(FSM) * len(AGE_BANDS)  # 360
ROWS_PER_LOCATION = COMBOS * len(YEARS)  # 1800

# Words for school names; a few names contain a comma so that the CSV has quoted cells.
NAME_FIRST = ["Ashwood", "Beechfield", "Castle Hill", "Dale View", "Elmhurst", "Fairfield",
              "Greenway", "Hollybank", "Ivy Lane", "Juniper", "Kingsmead", "Larchwood",
              "Meadowside", "Northgate", "Oakfield", "Parkside", "Queen's Park", "Riverside",
              "St Mary's", "Thornbury", "Upton", "Valley Road", "Westfield", "Yew Tree"]
NAME_LAST = ["Primary School", "Infant School", "Junior School", "Academy",
             "Church of England Primary School", "Community School", "High School",
             "Secondary School", "Special School", "School, Upper Site"]

META_HEADER = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
               "indicator_dp", "filter_hint", "filter_grouping_column"]
META_ROWS = [
    ["sex", "Filter", "Sex", "", "", "", "Pupil's recorded sex", ""],
    ["school_phase", "Filter", "School phase", "", "", "", "", ""],
    ["fsm_status", "Filter", "Free school meals status", "", "", "",
     "Eligible for free school meals in the census", ""],
    ["age_band", "Filter", "Age", "", "", "", "Age at the start of the academic year", ""],
    ["headcount", "Indicator", "Headcount", "Pupils", "", "0", "", ""],
    ["fte_headcount", "Indicator", "Full-time equivalent pupils", "Pupils", "", "1", "", ""],
    ["attendance_percent", "Indicator", "Attendance rate", "Attendance", "%", "1", "", ""],
    ["spend_per_pupil", "Indicator", "Spend per pupil", "Finance", "£", "2", "", ""],
]


@dataclass(frozen=True)
class LocalAuthority:
    old_code: str
    new_code: str
    name: str
    region: int  # index into the regions list


def default_reference_dir() -> Path:
    """$OPENSTATS_REFERENCE_DIR (the Makefile sets it), else ../shared/reference."""
    value = os.environ.get("OPENSTATS_REFERENCE_DIR")
    return Path(value) if value else HERE.parent.parent / "shared" / "reference"


def read_reference(reference_dir: Path) -> tuple[list[tuple[str, str]], list[LocalAuthority]]:
    """The 9 English regions and the live LAs with a 3-digit old code and a region."""
    with (reference_dir / "regions.csv").open(encoding="utf-8-sig", newline="") as f:
        regions = sorted((r["region_code"], r["region_name"]) for r in csv.DictReader(f)
                         if r["region_code"].startswith("E12"))
    region_index = {code: i for i, (code, _) in enumerate(regions)}
    las: list[LocalAuthority] = []
    with (reference_dir / "las.csv").open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            if (r["status"] == "live" and r["old_la_code"].isdigit()
                    and r["parent_geography_code"] in region_index):
                las.append(LocalAuthority(r["old_la_code"], r["new_la_code"], r["la_name"],
                                          region_index[r["parent_geography_code"]]))
    las.sort(key=lambda la: la.new_code)
    if len(regions) != 9 or not las:
        raise SystemExit(f"{reference_dir}: expected 9 regions and some local authorities")
    return regions, las


def sql_list(values: list[str] | list[int]) -> str:
    """A DuckDB list literal of our own constants (strings are quoted and escaped)."""
    items = [str(v) if isinstance(v, int) else "'" + v.replace("'", "''") + "'"
             for v in values]
    return "[" + ", ".join(items) + "]"


def rnd(key: str, salt: int, n: int) -> str:
    """SQL for a pseudo-random whole number 0..n-1 from hashing `key` with `salt`."""
    return f"CAST(hash({key}, {salt}) % {n} AS BIGINT)"


def place_columns(regions: list[tuple[str, str]], las: list[LocalAuthority]) -> str:
    """SQL of the region, LA and school code columns, from the query's `region`, `la` and
    `school` indexes (NULL where a row has none): the same in both shapes."""
    la_old = sql_list([la.old_code for la in las])
    return ",\n    ".join([
        f"{sql_list([c for c, _ in regions])}[region + 1] AS region_code",
        f"{sql_list([n for _, n in regions])}[region + 1] AS region_name",
        f"{la_old}[la + 1] AS old_la_code",
        f"{sql_list([la.new_code for la in las])}[la + 1] AS new_la_code",
        f"{sql_list([la.name for la in las])}[la + 1] AS la_name",
        "CAST(100000 + school AS VARCHAR) AS school_urn",
        f"{la_old}[la + 1] || CAST(2000 + school // {len(las)} AS VARCHAR) AS school_laestab",
    ])


def build_query(rows: int, regions: list[tuple[str, str]], las: list[LocalAuthority]) -> str:
    """The SELECT producing every data row, in file order."""
    n_la = len(las)
    aggregates = 1 + len(regions) + n_la
    # Lists are 1-based in DuckDB SQL; the indexes below are 0-based, hence the "+ 1"s.
    la_region = sql_list([la.region for la in las])
    first = sql_list(NAME_FIRST)
    last = sql_list(NAME_LAST)
    # Suppression: about 2% 'c', 0.4% each 'low' and 'x', 0.2% 'z' (same cells for the
    # first three indicators, as when a whole row is suppressed).
    pick = rnd("i", 7, 1000)
    symbol = (f"CASE WHEN {pick} < 20 THEN 'c' WHEN {pick} < 24 THEN 'low' WHEN {pick} < 28 "
              f"THEN 'x' WHEN {pick} < 30 THEN 'z' END")
    count = f"scale * ({rnd('i', 3, 900)} + 5)"
    return f"""
WITH decoded AS (
    SELECT range AS i, range % {COMBOS} AS combo, (range // {COMBOS}) % {len(YEARS)} AS year,
           range // {ROWS_PER_LOCATION} AS k
    FROM range({rows})
), located AS (
    -- k < 2 * aggregates: even k are aggregates (national, regions, LAs), odd k schools.
    SELECT *,
           CASE WHEN k < {2 * aggregates} AND k % 2 = 0 THEN k // 2 END AS agg,
           CASE WHEN k >= {2 * aggregates} THEN k - {aggregates}
                WHEN k % 2 = 1 THEN k // 2 END AS school
    FROM decoded
), levelled AS (
    SELECT *,
           CASE WHEN agg = 0 THEN 'National' WHEN agg <= {len(regions)} THEN 'Regional'
                WHEN agg IS NOT NULL THEN 'Local authority' ELSE 'School' END AS level,
           CASE WHEN agg > {len(regions)} THEN agg - {len(regions) + 1}
                WHEN school IS NOT NULL THEN school % {n_la} END AS la
    FROM located
), placed AS (
    SELECT *,
           CASE WHEN level = 'Regional' THEN agg - 1
                WHEN la IS NOT NULL THEN {la_region}[la + 1] END AS region,
           CASE level WHEN 'National' THEN 10000 WHEN 'Regional' THEN 1000
                WHEN 'Local authority' THEN 100 ELSE 1 END AS scale,
           {symbol} AS suppressed
    FROM levelled
)
SELECT
    CAST(({sql_list(YEARS)}[year + 1]) * 100 + ({sql_list(YEARS)}[year + 1] + 1) % 100
         AS VARCHAR) AS time_period,
    'Academic year' AS time_identifier,
    level AS geographic_level,
    'E92000001' AS country_code,
    'England' AS country_name,
    {place_columns(regions, las)},
    CASE WHEN school IS NOT NULL THEN {first}[{rnd("school", 1, len(NAME_FIRST))} + 1]
        || ' ' || {last}[{rnd("school", 2, len(NAME_LAST))} + 1] END AS school_name,
    {sql_list(SEXES)}[combo % {len(SEXES)} + 1] AS sex,
    {sql_list(PHASES)}[(combo // {len(SEXES)}) % {len(PHASES)} + 1] AS school_phase,
    {sql_list(FSM)}[(combo // {len(SEXES) * len(PHASES)}) % {len(FSM)} + 1] AS fsm_status,
    {sql_list(AGE_BANDS)}[combo // {len(SEXES) * len(PHASES) * len(FSM)} + 1] AS age_band,
    coalesce(suppressed, CAST({count} AS VARCHAR)) AS headcount,
    coalesce(suppressed, CAST(CAST({count} * (0.9 + {rnd("i", 4, 100)} / 1000.0)
                                   AS DECIMAL(18, 1)) AS VARCHAR)) AS fte_headcount,
    CASE WHEN suppressed = 'low' THEN 'z' WHEN suppressed IS NOT NULL THEN suppressed
         ELSE CAST(CAST(85 + {rnd("i", 5, 1500)} / 100.0 AS DECIMAL(5, 1)) AS VARCHAR)
         END AS attendance_percent,
    CASE WHEN {rnd("i", 6, 1000)} < 5 THEN 'x'
         ELSE CAST(CAST(4000 + {rnd("i", 8, 400000)} / 100.0 AS DECIMAL(10, 2)) AS VARCHAR)
         END AS spend_per_pupil
FROM placed
"""


TIME_YEARS = list(range(2015, 2023))  # 201516 .. 202223
TIME_AGE_BANDS = ["Total", "4 and under", "5 to 7", "8 to 10", "11", "12 and over"]
TIME_COMBOS = len(SEXES) * len(TIME_AGE_BANDS)  # 18
SHAPES = ("mixed", "time")


def build_time_query(rows: int, regions: list[tuple[str, str]],
                     las: list[LocalAuthority]) -> str:
    """The SELECT of the `time` shape: school rows only, in time order (see the top)."""
    schools = max(1, -(-rows // (TIME_COMBOS * len(TIME_YEARS))))
    n_la = len(las)
    la_region = sql_list([la.region for la in las])
    years = sql_list(TIME_YEARS)
    pick = rnd("i", 7, 1000)
    symbol = f"CASE WHEN {pick} < 20 THEN 'c' WHEN {pick} < 24 THEN 'low' END"
    count = f"({rnd('i', 3, 900)} + 5)"
    return f"""
WITH decoded AS (
    SELECT range AS i, range % {TIME_COMBOS} AS combo,
           (range // {TIME_COMBOS}) % {schools} AS school,
           range // ({TIME_COMBOS} * {schools}) AS year
    FROM range({rows})
), placed AS (
    SELECT *, school % {n_la} AS la, {la_region}[school % {n_la} + 1] AS region,
           {symbol} AS suppressed
    FROM decoded
)
SELECT
    CAST({years}[year + 1] * 100 + ({years}[year + 1] + 1) % 100 AS VARCHAR) AS time_period,
    'Academic year' AS time_identifier,
    'School' AS geographic_level,
    'E92000001' AS country_code,
    'England' AS country_name,
    {place_columns(regions, las)},
    {sql_list(NAME_FIRST)}[{rnd("school", 1, len(NAME_FIRST))} + 1] || ' '
        || {sql_list(NAME_LAST)}[{rnd("school", 2, len(NAME_LAST))} + 1] AS school_name,
    {sql_list(SEXES)}[combo % {len(SEXES)} + 1] AS sex,
    {sql_list(TIME_AGE_BANDS)}[combo // {len(SEXES)} + 1] AS age_band,
    coalesce(suppressed, CAST({count} AS VARCHAR)) AS headcount,
    CASE WHEN suppressed IS NOT NULL THEN suppressed
         ELSE CAST(CAST(85 + {rnd("i", 5, 1500)} / 100.0 AS DECIMAL(5, 1)) AS VARCHAR)
         END AS attendance_percent
FROM placed
"""


TIME_META_ROWS = [META_ROWS[0], META_ROWS[3], META_ROWS[4], META_ROWS[6]]


def file_stem(rows: int, shape: str = "mixed") -> str:
    """bench_10m, bench_200k, bench_time_10m: the name part of the files for a row count."""
    prefix = "bench_" if shape == "mixed" else f"bench_{shape}_"
    if rows % 1_000_000 == 0:
        return f"{prefix}{rows // 1_000_000}m"
    if rows % 1_000 == 0:
        return f"{prefix}{rows // 1_000}k"
    return f"{prefix}{rows}"


def paths_for(rows: int, out_dir: Path = DEFAULT_OUT, shape: str = "mixed"
              ) -> tuple[Path, Path]:
    """(data CSV, meta CSV) for a row count and shape."""
    stem = file_stem(rows, shape)
    return out_dir / f"{stem}.csv", out_dir / f"{stem}.meta.csv"


def generate(rows: int, out_dir: Path = DEFAULT_OUT,
             reference_dir: Path | None = None, shape: str = "mixed") -> tuple[Path, Path]:
    """Write the data and meta CSVs for `rows` rows of a shape; returns their paths."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}")
    regions, las = read_reference(reference_dir or default_reference_dir())
    data_path, meta_path = paths_for(rows, out_dir, shape)
    query = (build_query if shape == "mixed" else build_time_query)(rows, regions, las)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = data_path.with_suffix(".csv.partial")
    con = duckdb.connect()
    try:
        # Keep the rows in range() order (the default; stated because the order matters).
        con.execute("SET preserve_insertion_order = true")
        con.execute(f"COPY ({query}) TO '{partial}' "
                    "(FORMAT csv, HEADER)")
    finally:
        con.close()
    partial.replace(data_path)  # only a complete file gets the real name
    with meta_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(META_HEADER)
        writer.writerows(META_ROWS if shape == "mixed" else TIME_META_ROWS)
    return data_path, meta_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS,
                        help=f"number of data rows (default {DEFAULT_ROWS:,})")
    parser.add_argument("--shape", choices=SHAPES, default="mixed",
                        help="mixed: every level, location then time (default); "
                             "time: school rows in time order")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default benchmarks/data)")
    parser.add_argument("--reference-dir", type=Path, default=None,
                        help="folder with regions.csv and las.csv "
                             "(default $OPENSTATS_REFERENCE_DIR or ../shared/reference)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data_path, meta_path = generate(args.rows, args.out, args.reference_dir, args.shape)
    size = data_path.stat().st_size
    print(f"{data_path} ({size / 1e6:,.1f} MB, {args.rows:,} rows) and {meta_path.name} "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
