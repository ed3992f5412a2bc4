"""Every row a query matches, as Arrow columns: what the file formats are written from.

The same request, checks, criteria and order as the JSON answer (`engine.prepare`), with
paging off: files carry the whole answer. One DuckDB query; the columns are the ids the
Parquet file holds (time period, location and option ids, indicator text as published),
which `exports/` turns into labels with the version's metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from openstats.query.criteria import QueryRequest
from openstats.query.engine import SOURCE, QueryEngine, Version, answer_warnings
from openstats.standards.screening.sql import q


@dataclass(frozen=True)
class Observations:
    """The rows of one answer with what is needed to describe them."""

    version: Version
    indicators: list[dict[str, Any]]  # metadata of the indicators asked for, in order
    table: pa.Table  # time_period_id, geographic_level, location_id, loc_*, filters, values
    warnings: list[dict[str, Any]]

    @property
    def filters(self) -> list[dict[str, Any]]:
        return list(self.version.meta["filters"])

    def ids(self, column: str) -> pa.Array:
        """One id column as a single array (null ids stay null)."""
        col = self.table.column(column)
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)


def observations(engine: QueryEngine, v: Version, req: QueryRequest) -> Observations:
    """Every row matching `req`, in its order (default: newest period first, file order)."""
    p = engine.prepare(v, req)
    wanted = ["time_period_id", "geographic_level", "location_id",
              *(c for c, _ in p.shape.locations), *(f["column"] for f in v.meta["filters"]),
              *(i["column"] for i in p.indicators)]
    columns = ", ".join(q(c) for c in dict.fromkeys(wanted))
    table = engine.cursor().sql(
        f"SELECT {columns} FROM {SOURCE} WHERE {p.where} ORDER BY {p.order}",
        params=[str(v.parquet), *p.compiler.params, *p.order_params]).to_arrow_table()
    return Observations(v, p.indicators, table, answer_warnings(p.compiler, req, table.num_rows))
