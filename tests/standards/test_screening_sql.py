"""The SQL that maps a row's cells to codes (standards/screening/sql.py), run in DuckDB:
each label gives its code whatever its case and spaces, anything else gives NULL."""

from __future__ import annotations

import duckdb

from openstats.standards import geography, time_periods
from openstats.standards.screening.sql import LEVEL_CODE, TIME_CODE, lookup


def test_lookup_gives_each_keys_value_and_null_for_anything_else() -> None:
    mapping = {"a": "1", "b": "2", "it's": "3"}
    con = duckdb.connect()
    rows = con.execute(f"SELECT x, {lookup('x', mapping)} FROM (VALUES ('a'), ('b'), "
                       "('it''s'), ('c'), (''), ('A'), (NULL)) v(x) ORDER BY ALL").fetchall()
    assert rows == [("", None), ("A", None), ("a", "1"), ("b", "2"), ("c", None),
                    ("it's", "3"), (None, None)]


def test_every_level_and_time_label_gives_its_code() -> None:
    con = duckdb.connect()
    levels = [(f"  {label.upper()} ", level.code) for label, level in geography.BY_LABEL.items()]
    times = [(f" {label.title()}  ", t.code) for label, t in time_periods.BY_LABEL.items()]
    for expression, column, cases in ((LEVEL_CODE, "geographic_level", levels),
                                      (TIME_CODE, "time_identifier", times)):
        con.execute(f"CREATE OR REPLACE TABLE t({column} VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?)",
                        [(cell,) for cell, _ in cases] + [("nowhere",), (None,)])
        got = con.execute(f"SELECT {column}, {expression} FROM t").fetchall()
        assert got == [*cases, ("nowhere", None), (None, None)]
