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

from openstats.query.engine import SOURCE, QueryEngine, Version, answer_warnings
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
    parts = ["count(*)", "list(DISTINCT geographic_level)", "list(DISTINCT location_id)",
             "list(DISTINCT time_period_id)",
             *(f"list(DISTINCT {q(f['column'])})" for f in filters),
             # A value is any non-blank cell: numbers and symbols (c, x, z, ...) alike.
             *(f"bool_or({q(i['column'])} IS NOT NULL AND trim({q(i['column'])}) <> '')"
               for i in p.indicators)]
    # An aggregate without GROUP BY: always exactly one row.
    [row] = engine.cursor().sql(
        f"SELECT {', '.join(parts)} FROM {SOURCE} WHERE {p.where}",
        params=[str(v.parquet), *p.compiler.params]).fetchall()
    # list() of no rows is NULL, not an empty list.
    rows, levels, locations, times = (int(row[0]), set(row[1] or ()), set(row[2] or ()),
                                      set(row[3] or ()))
    option_sets = [set(ids or ()) for ids in row[4:4 + len(filters)]]
    has_value = row[4 + len(filters):]
    return Availability(
        rows=rows,
        levels=[code for code in v.meta["geographic_levels"] if code in levels],
        locations=[loc["public_id"] for loc in v.meta["locations"] if loc["id"] in locations],
        time_period_ids=sorted((t for t in times if t is not None), key=v.ordinal.__getitem__),
        options={f["public_id"]: [o["public_id"] for o in f["options"] if o["id"] in ids]
                 for f, ids in zip(filters, option_sets, strict=True)},
        indicators=[i["public_id"] for i, ok in zip(p.indicators, has_value, strict=True)
                    if ok],
        warnings=answer_warnings(p.compiler, req, rows))
