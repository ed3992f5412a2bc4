"""Which locations, time periods, filter options and indicators have data, given criteria.

"No empty tables": the table tool offers only what has at least one row under the choices
made so far, and the API says the same (an openstats extension). The criteria are the
query's own (same syntax, same compiler); the answer is one DuckDB query over the
version's Parquet file: the distinct ids of each column among the matching rows, and,
per indicator, whether any matching row has a value (a number or a symbol) in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openstats.query.engine import (
    UNORDERED_SOURCE,
    QueryEngine,
    Version,
    answer_warnings,
    fetch_rows,
)
from openstats.query.request import QueryRequest
from openstats.standards.screening.sql import q


@dataclass(frozen=True)
class Availability:
    """What the matching rows hold, by the version's public ids (in the version's order)."""

    rows: int
    levels: list[str]  # geographic level codes
    locations: list[str]  # location public ids (each row's own location)
    time_period_ids: list[int]  # metadata ids, oldest first
    options: dict[str, list[str]]  # filter public id -> option public ids
    indicators: list[str]  # indicator public ids with a value in some matching row
    warnings: list[dict[str, Any]]


def availability(engine: QueryEngine, v: Version, req: QueryRequest) -> Availability:
    """What has data among the rows matching `req`'s criteria (its indicators, when given,
    limit which indicators are checked); remembered per version and criteria, as every
    table-tool step asks again."""
    key = (v.version_id, "availability|" + repr((req.criteria, req.indicators, req.from_get)))
    return engine.cache.remembered(key, lambda: _availability(engine, v, req))


def _availability(engine: QueryEngine, v: Version, req: QueryRequest) -> Availability:
    p = engine.prepare(v, req)
    filters = v.meta["filters"]
    # Which ids occur, as one bit per id (DuckDB's bitstring_agg over the id's known range):
    # a plain aggregate, where eight list(DISTINCT ...) aggregates cost ~15 ms of
    # DuckDB's machinery even for a few thousand matching rows (23 ms -> 14 ms at 10M
    # rows). A row's geographic level is its own location's level, so the levels come
    # from the locations and need no aggregate of their own.
    id_columns = [("location_id", v.derived(("top location id",),
                                            lambda: max(v.location_by_id, default=0))),
                  ("time_period_id", max(v.period_by_id, default=0)),
                  *((q(f["column"]), max((o["id"] for o in f["options"]), default=0))
                    for f in filters)]
    parts = ["count(*)",
             *(f"bitstring_agg({column}::INTEGER, 0, {top})" for column, top in id_columns),
             # A value is any non-blank cell: numbers and symbols (c, x, z, ...) alike.
             *(f"bool_or({q(i['column'])} IS NOT NULL AND trim({q(i['column'])}) <> '')"
               for i in p.indicators)]
    # An aggregate without GROUP BY: always exactly one row.
    [row] = fetch_rows(engine.cursor(),
                       f"SELECT {', '.join(parts)} FROM {UNORDERED_SOURCE} WHERE {p.where}",
                       [str(v.parquet), *p.compiler.params])
    rows = int(row[0])
    # bitstring_agg of no rows is NULL: nothing occurs.
    locations, times, *option_sets = (_ids(bits) for bits in row[1:1 + len(id_columns)])
    has_value = row[1 + len(id_columns):]
    levels = {v.location_by_id[i]["level"] for i in locations}
    return Availability(
        rows=rows,
        levels=[code for code in v.meta["geographic_levels"] if code in levels],
        locations=[loc["public_id"] for loc in v.locations_in_order(locations)],
        time_period_ids=sorted(times, key=v.ordinal.__getitem__),
        options={f["public_id"]: [o["public_id"] for o in f["options"] if o["id"] in ids]
                 for f, ids in zip(filters, option_sets, strict=True)},
        indicators=[i["public_id"] for i, ok in zip(p.indicators, has_value, strict=True)
                    if ok],
        warnings=answer_warnings(p.compiler, req, rows))


def _ids(bits: str | None) -> set[int]:
    """The ids whose bit is set in a bitstring_agg answer (bit i is id i). Found with
    str.find, which skips runs of zeros in C: a string may have 70,000 bits and few set."""
    found: set[int] = set()
    if not bits:
        return found
    i = bits.find("1")
    while i != -1:
        found.add(i)
        i = bits.find("1", i + 1)
    return found
