"""Every row a query matches, as Arrow columns: what the file formats are written from.

The same request, checks, criteria and order as the JSON answer (`engine.prepare`), with
paging off: files carry the whole answer, whole (`observations`) or a batch at a time
(`batches`, for files of any size). One DuckDB query; the columns are the ids the
Parquet file holds (time period, location and option ids, indicator text as published),
which `exports/` turns into labels with the version's metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from openstats.query import json_rows
from openstats.query.engine import (
    Prepared,
    QueryEngine,
    Version,
    answer_warnings,
    fetch_arrow,
)
from openstats.query.request import QueryRequest
from openstats.standards.screening.sql import q

BATCH_ROWS = 100_000  # rows of a file written at a time


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

    def texts(self, column: str) -> list[str | None]:
        """An indicator's cells as the text the API answers with (`json_rows` writes the
        same): what the table tool lays out."""
        texts: list[str | None] = json_rows.as_text(self.ids(column)).to_pylist()
        return texts


def observations(engine: QueryEngine, v: Version, req: QueryRequest, *,
                 small: bool = False) -> Observations:
    """Every row matching `req`, in its order (default: newest period first, file order).

    `small`: the caller knows the answer is small (the table tool's, bounded by its cell
    limit), so it is read the way the API's pages are (`engine.fetch_arrow`: bound once,
    the rows copied once); a file's rows are not copied again."""
    sql, params, p = _select(engine, v, req)
    table = (fetch_arrow(engine.cursor(), sql, params) if small
             else engine.cursor().sql(sql, params=params).to_arrow_table())
    return Observations(v, p.indicators, table, answer_warnings(p.compiler, req, table.num_rows))


def batches(engine: QueryEngine, v: Version, req: QueryRequest,
            rows: int = BATCH_ROWS) -> Iterator[Observations]:
    """The same rows a batch at a time, for files of any size in bounded memory. The
    request is checked before the first batch is asked for (QueryError at once); the
    batches are read on a cursor of their own, as a response may stream them from any
    thread while this thread's cursor answers other requests."""
    sql, params, p = _select(engine, v, req)
    cursor = engine.con.cursor()
    reader = cursor.sql(sql, params=params).to_arrow_reader(rows)

    def read() -> Iterator[Observations]:
        try:
            empty = True
            for batch in reader:
                empty = False
                yield Observations(v, p.indicators, pa.Table.from_batches([batch]),
                                   p.compiler.warnings.as_list())
            if empty:  # a file of no rows still has its header: one empty batch
                yield Observations(v, p.indicators, reader.schema.empty_table(),
                                   p.compiler.warnings.as_list())
        finally:
            cursor.close()

    return read()


def _select(engine: QueryEngine, v: Version, req: QueryRequest
            ) -> tuple[str, list[Any], Prepared]:
    p = engine.prepare(v, req)
    wanted = ["time_period_id", "geographic_level", "location_id",
              *(c for c, _ in p.shape.locations), *(f["column"] for f in v.meta["filters"]),
              *(i["column"] for i in p.indicators)]
    columns = ", ".join(q(c) for c in dict.fromkeys(wanted))
    src = engine.source(v, req)
    return (f"SELECT {columns} FROM {src.sql} WHERE {p.where} ORDER BY {p.order_by(src.row)}",
            [*src.params, *p.compiler.params, *p.order_params], p)
