"""Helpers for core tests: settings on a temporary folder, small data files."""

from __future__ import annotations

from pathlib import Path

from openstats.settings import Settings
from tests.conftest import REFERENCE
from tests.support.catalogue import migrated_data_dir

TINY_DATA = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
    "region_name,sex,phase,pupils,rate\n"
    """2022,Calendar year,National,E92000001,England,,,Total,Total,100,1.5
2022,Calendar year,National,E92000001,England,,,Female,Total,60,c
2022,Calendar year,National,E92000001,England,,,Male,Total,40,2.5
2023,Calendar year,National,E92000001,England,,,Total,Total,110,x
2023,Calendar year,Regional,E92000001,England,E12000001,North East,Total,Primary,10,0.5
2023,Calendar year,Regional,E92000001,England,E12000001,North East,Total,Total,12,low
"""
)
TINY_META = (
    "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,"
    "filter_grouping_column\n"
    """sex,Filter,Sex,,,,Filter by sex,
phase,Filter,School phase,,,,,
pupils,Indicator,Number of pupils,,,0,,
rate,Indicator,Rate,,%,1,,
"""
)


def write_pair(folder: Path, data: str = TINY_DATA, meta: str = TINY_META,
               name: str = "tiny") -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    data_path, meta_path = folder / f"{name}.csv", folder / f"{name}.meta.csv"
    data_path.write_text(data, encoding="utf-8")
    meta_path.write_text(meta, encoding="utf-8")
    return data_path, meta_path


def make_settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings of a site in `tmp_path`/data; with database_url "", its own SQLite
    catalogue, copied already migrated (tests/support/catalogue.migrated_data_dir)."""
    data_dir = migrated_data_dir(tmp_path) if not database_url else tmp_path / "data"
    return Settings(data_dir=data_dir, database_url=database_url, reference_dir=REFERENCE)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def write_big_pair(folder: Path, rows: int) -> tuple[Path, Path]:
    """A valid pair of `rows` national rows (TINY_META's columns), written by DuckDB: big
    enough that an import takes long enough to be interrupted part way."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    data, meta = folder / "big.csv", folder / "big.meta.csv"
    with duckdb.connect() as con:  # not DuckDB's default connection, shared in a process
        con.execute(f"""
            COPY (SELECT (2000 + i % 20)::VARCHAR AS time_period,
                         'Calendar year' AS time_identifier, 'National' AS geographic_level,
                         'E92000001' AS country_code, 'England' AS country_name,
                         '' AS region_code, '' AS region_name,
                         CASE WHEN i % 3 = 0 THEN 'Total' ELSE 'Sex ' || (i % 3) END AS sex,
                         'Phase ' || (i // 60) AS phase, (i * 7 % 1000)::VARCHAR AS pupils,
                         CASE WHEN i % 11 = 0 THEN 'c' ELSE (i % 97 / 10)::VARCHAR END AS rate
                  FROM range({int(rows)}) t(i))
            TO '{data}' (HEADER, DELIMITER ',')""")
    meta.write_text(TINY_META, encoding="utf-8")
    return data, meta
