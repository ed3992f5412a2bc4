"""Run a checked query against one data-set version's Parquet file with DuckDB.

Public ids are resolved against the version's metadata; the criteria tree becomes one
SQL WHERE clause of column names we wrote ourselves and `?` parameters for every value,
so no user text is ever pasted into SQL. Unknown ids are warnings, as in EES: the part
of the criteria naming them matches nothing (or everything, for notEq and notIn).

Each answer is one DuckDB query: the page's rows with the count of every matching row
beside them (a window count), or, for the default order with no criteria, the page read
in file order from the number of rows of each time period (rows are stored by location,
then time, so "newest period first, then file order" is a read, not a sort). DuckDB
hands back Arrow columns and `json_rows` writes the answer's JSON from them; the answer
is kept as bytes, exactly as the API sends it. Versions stored before any of this are
read the same way (nothing about them is rewritten).
"""

from __future__ import annotations

import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import duckdb
import pyarrow as pa

from openstats import metrics
from openstats.query import json_rows, serving
from openstats.query.answer_cache import Answer, AnswerCache
from openstats.query.request import LocationRef, Problem, QueryRequest, Sort
from openstats.query.where import TRUE, Compiler
from openstats.standards import geography, time_periods
from openstats.standards.screening.sql import q

T = TypeVar("T")

# DuckDB 2's `cursor.sql(query, params=...)` binds a query twice: once to describe the lazy
# relation it returns, once to run it. `cursor.execute` binds it once; the Arrow output of
# its result warns that it copies the rows, a copy of a page that costs microseconds
# against the ~4 ms of the second bind (case (a) of the 10M bench: 22.0 -> 17.7 ms per
# query, the same table). So answers run through `fetch_arrow` and `fetch_rows`, and this module
# (the only caller of that output) silences the warning for itself.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result",
                        category=UserWarning, module=__name__)


def fetch_arrow(cursor: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> pa.Table:
    """The rows of one query, bound once (see above), as an Arrow table."""
    cursor.execute(sql, params)
    table: pa.Table = cursor.to_arrow_table()
    return table


def fetch_rows(cursor: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[Any]:
    """The rows of one small query, bound once, as Python tuples."""
    return cursor.execute(sql, params).fetchall()

dumps = json_rows.dumps


class QueryError(Exception):
    """The query cannot run (400): unknown indicators or sort fields."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.code for p in problems))
        self.problems = problems


@dataclass
class Version:
    """A version's metadata, indexed for resolving public ids."""

    version_id: str
    parquet: Path
    meta: dict[str, Any]
    options: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)
    filters: dict[str, dict[str, Any]] = field(default_factory=dict)
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    locations_by_ref: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    location_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    periods: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    period_by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    ordinal: dict[int, int] = field(default_factory=dict)  # time id -> EES ordinal
    location_levels: set[str] = field(default_factory=set)
    _rows_by_time: list[tuple[int, int]] | None = None
    _derived: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def derived(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """What `make` computes from this version's metadata alone (e.g. a label array
        of the file formats), made once and kept as long as the version is. A version
        with 70,000 schools took ~150 ms per CSV answer to rebuild its location labels.
        Two threads may both make it once; either result is the same."""
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = make()
        return cast(T, found)

    def shape(self, indicator_columns: tuple[str, ...], debug: bool) -> json_rows.Shape:
        """How this version's answer rows are written (json_rows.py), made once per
        choice of indicators and debug labels."""
        return self.derived(("shape", indicator_columns, debug),
                            lambda: _shape(self, indicator_columns, debug))

    def locations_in_order(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        """The locations with these ids, in the version's own order (its metadata's list),
        found without walking that list: a version may hold 70,000 schools."""
        order = self.derived(("location order",), lambda: {
            loc["id"]: n for n, loc in enumerate(self.meta["locations"])})
        return [self.location_by_id[i] for i in sorted(ids, key=order.__getitem__)]

    def location_ids(self, ref: LocationRef) -> tuple[str, list[int]] | None:
        """The Parquet column and location ids a location reference names (a code may
        name several locations), or None when it names none of this version's."""
        ids = self.locations_by_ref.get((ref.level, ref.prop, ref.value))
        return (f"loc_{ref.level}", ids) if ids else None

    def row_count(self, cursor: duckdb.DuckDBPyConnection) -> int:
        return sum(count for _, count in self.rows_by_time(cursor))

    def rows_by_time(self, cursor: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
        """(time period id, rows) in the default answer order: newest period first.

        Counted once per process from the file itself (a scan of one small column), so
        versions stored before these counts existed answer the same way."""
        if self._rows_by_time is None:
            counts = dict(fetch_rows(
                cursor, f"SELECT time_period_id, count(*) FROM {SOURCE} GROUP BY ALL",
                [str(self.parquet)]))
            self._rows_by_time = sorted(((int(t), int(n)) for t, n in counts.items()),
                                        key=lambda tn: -self.ordinal[tn[0]])
        return self._rows_by_time

    @classmethod
    def load(cls, version_id: str, parquet: Path, meta: dict[str, Any]) -> Version:
        v = cls(version_id, parquet, meta)
        for f in meta["filters"]:
            v.filters[f["public_id"]] = f
            for o in f["options"]:
                v.options[o["public_id"]] = (f, o)
        v.indicators = {i["public_id"]: i for i in meta["indicators"]}
        for loc in meta["locations"]:
            v.locations[loc["public_id"]] = loc
            v.location_by_id[loc["id"]] = loc
            v.location_levels.add(loc["level"])
            column = geography.secondary_code_column(loc["level"])
            refs = [("id", loc["public_id"]), *geography.location_refs(
                loc["level"], loc["code"], str(loc.get(column) or "") if column else "")]
            for prop, value in refs:
                v.locations_by_ref.setdefault((loc["level"], prop, value), []).append(loc["id"])
        for t in meta["time_periods"]:
            v.periods[(time_periods.api_period(t["period"]), t["code"])] = t
            v.period_by_id[t["id"]] = t
        ordered = sorted(meta["time_periods"],
                         key=lambda t: time_periods.ees_sort_key(t["period"], t["code"]))
        v.ordinal = {t["id"]: i for i, t in enumerate(ordered)}
        return v


class QueryEngine:
    """Answers queries with one DuckDB query each; keeps version indexes and recent
    answers in bounded caches (`answer_cache`)."""

    def __init__(self, cache_bytes: int = 32 * 2**20,
                 serving_copies: serving.ServingCopies | None = None) -> None:
        self.serving_copies = serving_copies  # None: every answer reads the published file
        self.con = duckdb.connect()
        # Version files never change, so their Parquet footers can be cached between queries.
        self.con.execute("SET parquet_metadata_cache = true")
        self.lock = threading.Lock()
        self.local = threading.local()  # a DuckDB cursor per thread, opened once
        self.versions: OrderedDict[str, Version] = OrderedDict()
        self.cache = AnswerCache(cache_bytes)

    def version(self, version_id: str, parquet: Path, meta: dict[str, Any]) -> Version:
        with self.lock:
            v = self.versions.get(version_id)
            if v is None:
                v = Version.load(version_id, parquet, meta)
                self.versions[version_id] = v
                if len(self.versions) > 32:
                    self.versions.popitem(last=False)
            return v

    def run(self, v: Version, req: QueryRequest) -> dict[str, Any]:
        """The answer as Python objects (the table tool reads rows this way)."""
        result: dict[str, Any] = json.loads(self.answer(v, req).body)
        return result

    def answer(self, v: Version, req: QueryRequest) -> Answer:
        return self.cache.cached((v.version_id, req.canonical()), lambda: self._run(v, req))

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self.local, "cursor", None)
        if cursor is None:
            cursor = self.local.cursor = self.con.cursor()
        return cursor

    def prepare(self, v: Version, req: QueryRequest) -> Prepared:
        """The request checked against the version and compiled to SQL pieces (QueryError
        for unknown indicators or sort fields): shared by every kind of answer."""
        problems: list[Problem] = []
        indicators = v.meta["indicators"]
        if req.indicators is not None:
            missing = [i for i in req.indicators if i not in v.indicators]
            if missing:
                problems.append(Problem("IndicatorsNotFound", "indicators", {"items": missing}))
            indicators = [v.indicators[i] for i in req.indicators if i in v.indicators]
        order, order_params, default_order = self._order(v, req, problems)
        if problems:
            raise QueryError(problems)
        compiler = Compiler(v, req.from_get)
        where = compiler.node(req.criteria)
        shape = v.shape(tuple(i["column"] for i in indicators), req.debug)
        return Prepared(indicators, shape, where, compiler, order, order_params, default_order)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's DuckDB cursor (for the other answers built on `prepare`)."""
        return self._cursor()

    def source(self, v: Version, req: QueryRequest) -> Source:
        """Where an answer reads its rows: the serving copy's files that can hold them when
        the criteria name locations and the copy is ready (`serving`), else the published
        file. Either way the same rows in the same order."""
        copy = self._serving_copy(v)
        if copy is not None:
            files = serving.Places(copy, v.location_ids).files(req.criteria)
            if files:  # no file at all: no row matches; the published file says so
                metrics.SERVING_COPY.labels("copy").inc()
                return Source.copy_files([copy.files[i] for i in sorted(files)])
        metrics.SERVING_COPY.labels("published").inc()
        return Source.published(v)

    def _run(self, v: Version, req: QueryRequest) -> bytes:
        p = self.prepare(v, req)
        shape, where, compiler = p.shape, p.where, p.compiler
        offset = (req.page - 1) * req.page_size
        if where == TRUE and p.default_order:
            total = v.row_count(self._cursor())
            table = self._blocks(v, shape, offset, req.page_size)
        else:
            src = self.source(v, req)
            table, total = self._page(src, shape, where, compiler.params, p.order_by(src.row),
                                      p.order_params, offset, req.page_size)
        warnings = answer_warnings(compiler, req, total)
        paging = {"page": req.page, "pageSize": req.page_size, "totalResults": total,
                  "totalPages": max(1, -(-total // req.page_size))}
        # The same bytes as json.dumps of {"paging", "results", "warnings"} (json_rows.py).
        return b"".join([b'{"paging":', dumps(paging).encode(), b',"results":[',
                         json_rows.rows_json(shape, table), b'],"warnings":',
                         dumps(warnings).encode(), b"}"])

    def _page(self, src: Source, shape: json_rows.Shape, where: str, params: list[Any],
              order: str, order_params: list[Any], offset: int, size: int
              ) -> tuple[pa.Table, int]:
        """One query: the page's rows, and the number of all matching rows beside them."""
        columns = ", ".join(q(c) for c in dict.fromkeys(shape.columns))
        cursor = self._cursor()
        table = fetch_arrow(
            cursor, f"SELECT {columns}, count(*) OVER () AS _os_total FROM {src.sql} "
            f"WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*src.params, *params, *order_params, size, offset])
        if table.num_rows:
            return table, int(table.column("_os_total")[0].as_py())
        if offset == 0:
            return table, 0
        # A page past the end has no row to carry the count: count on its own (rare).
        [(count,)] = fetch_rows(cursor, f"SELECT count(*) FROM {src.sql} WHERE {where}",
                                [*src.params, *params])
        return table, int(count)

    def _serving_copy(self, v: Version) -> serving.ServingCopy | None:
        """The version's serving copy when it is ready (asking for it starts it)."""
        if self.serving_copies is None:
            return None
        return self.serving_copies.get(
            v.version_id, v.parquet, v.row_count(self._cursor()),
            [f"loc_{level}" for level in _levels_in_parquet(v)])

    def _blocks(self, v: Version, shape: json_rows.Shape, offset: int, size: int) -> pa.Table:
        """A page of every row in the default order (newest time period first, then file
        order): read, not sorted. Rows are stored by location then time, so each time
        period's rows are read in file order, from the counts of rows per period."""
        parts: list[str] = []
        params: list[Any] = []
        start = 0
        columns = ", ".join(q(c) for c in dict.fromkeys(shape.columns))
        copy = self._serving_copy(v)
        for time_id, count in v.rows_by_time(self._cursor()):
            end = start + count
            lo, hi = max(offset, start), min(offset + size, end)
            if lo < hi:
                # No ORDER BY: DuckDB keeps the files' order (preserve_insertion_order),
                # so LIMIT/OFFSET take the period's rows in file order without a sort;
                # from a serving copy, only the files holding those rows are read.
                skip = lo - start
                src = Source.published(v)
                if copy is not None:
                    files, before = copy.period_rows(time_id, skip, hi - lo)
                    src, skip = Source.copy_files(files), skip - before
                parts.append(f"(SELECT {len(parts)} AS _os_block, {src.row} AS _os_place, "
                             f"{columns} FROM {src.sql} WHERE time_period_id = ? "
                             "LIMIT ? OFFSET ?)")
                params += [*src.params, time_id, hi - lo, skip]
            start = end
        if not parts:
            return pa.table({c: pa.nulls(0, pa.int32()) for c in shape.columns})
        metrics.SERVING_COPY.labels("copy" if copy is not None else "published").inc()
        return fetch_arrow(self._cursor(), f"SELECT * FROM ({' UNION ALL '.join(parts)}) "
                           "ORDER BY _os_block, _os_place", params)

    def _order(self, v: Version, req: QueryRequest,
               problems: list[Problem]) -> tuple[str, list[Any], bool]:
        """ORDER BY text, its parameters, and whether it is the default order."""
        sorts = req.sorts or [Sort("timePeriod", "Desc", "timePeriod|Desc")]
        default = [(s.field, s.direction) for s in sorts] == [("timePeriod", "Desc")]
        parts: list[str] = []
        params: list[Any] = []
        unknown: list[Any] = []
        for s in sorts:
            direction = "ASC" if s.direction == "Asc" else "DESC"
            name, _, arg = s.field.partition("|")
            if s.field == "timePeriod":
                ranked = sorted(v.ordinal, key=v.ordinal.__getitem__)
                parts.append(f"list_position(?, time_period_id) {direction}")
                params.append(ranked)
            elif s.field == "geographicLevel":
                codes = sorted(v.meta["geographic_levels"],
                               key=lambda c: geography.BY_CODE[c].label)
                parts.append(f"list_position(?, geographic_level) {direction}")
                params.append(codes)
            elif name == "location" and arg in _levels_in_parquet(v):
                ranked = [loc["id"] for loc in sorted(
                    (x for x in v.meta["locations"] if x["level"] == arg),
                    key=lambda x: x["name"])]
                parts.append(f"list_position(?, {q('loc_' + arg)}) {direction} NULLS LAST")
                params.append(ranked)
            elif name == "filter" and arg in v.filters:
                f = v.filters[arg]
                ranked = [o["id"] for o in sorted(f["options"], key=lambda o: o["label"])]
                parts.append(f"list_position(?, {q(f['column'])}) {direction}")
                params.append(ranked)
            elif name == "indicator" and arg in v.indicators:
                col = q(v.indicators[arg]["column"])
                # Numbers in numeric order; symbols and text after them, as text.
                parts.append(f"TRY_CAST({col} AS DOUBLE) {direction} NULLS LAST")
                parts.append(f"{col} {direction}")
            else:
                unknown.append(s.raw)
        if unknown:
            problems.append(Problem("SortFieldsNotFound", "sorts", {"items": unknown}))
        return ", ".join(parts), params, default


SOURCE = "read_parquet(?, file_row_number = true)"
# The same rows without their place in the file, for answers that keep no order (counts,
# distinct values): asking DuckDB for file_row_number made an availability answer at 10M
# rows take 32 ms instead of 23 ms.
UNORDERED_SOURCE = "read_parquet(?)"


@dataclass(frozen=True)
class Prepared:
    """A request compiled against one version: what every kind of answer starts from."""

    indicators: list[dict[str, Any]]  # the indicators asked for, in the request's order
    shape: json_rows.Shape
    where: str
    compiler: Compiler  # its params go with `where`; its warnings with the answer
    order: str  # without its tie-break: `order_by` adds the row's place in the file
    order_params: list[Any]
    default_order: bool

    def order_by(self, row: str) -> str:
        """The ORDER BY text for a source whose rows' places are in column `row`: ties
        broken by the place in the published file, so pages are stable."""
        return f"{self.order}, {row} ASC"


@dataclass(frozen=True)
class Source:
    """Where a query reads its rows: FROM text, its parameters, the column of each row's
    place in the published file."""

    sql: str
    params: list[Any]
    row: str

    @classmethod
    def published(cls, v: Version) -> Source:
        return cls(SOURCE, [str(v.parquet)], "file_row_number")

    @classmethod
    def copy_files(cls, files: list[str]) -> Source:
        """Some files of a version's serving copy (query/serving.py), in row order."""
        return cls("read_parquet(?)", [files], serving.ROW)


def answer_warnings(compiler: Compiler, req: QueryRequest, total: int) -> list[dict[str, Any]]:
    """EES's warnings of an answer: unknown ids, no results, debug mode."""
    warnings = compiler.warnings.as_list()
    if total == 0:
        warnings.append(Problem("QueryNoResults", "").as_dict() | {"path": ""})
    if req.debug:
        warnings.append(Problem("DebugEnabled", "").as_dict())
    for w in warnings:
        if not w.get("path"):
            w.pop("path", None)
        if w.get("detail") is None:
            w.pop("detail", None)
    return warnings


def _shape(v: Version, indicator_columns: tuple[str, ...], debug: bool) -> json_rows.Shape:
    """The fragments of every part of a row (json_rows.Shape), from the version's metadata."""
    times: list[str | None] = [None] * (max(v.period_by_id, default=-1) + 1)
    for tid, t in v.period_by_id.items():
        period = {"code": t["code"], "period": time_periods.api_period(t["period"])}
        times[tid] = '{"timePeriod":' + dumps(period) + ',"geographicLevel":"'
    size = max(v.location_by_id, default=-1) + 1
    locations = []
    for level in _levels_in_parquet(v):
        texts: list[str | None] = [None] * size
        for loc_id, loc in v.location_by_id.items():
            if loc["level"] == level:
                texts[loc_id] = json_rows.pair(
                    level, _debug_location(loc) if debug else loc["public_id"])
        locations.append((f"loc_{level}", json_rows.fragments(texts)))
    filters = []
    for f in v.meta["filters"]:
        key = f"{f['public_id']} :: {f['column']}" if debug else f["public_id"]
        filters.append((f["column"], json_rows.fragments([
            json_rows.pair(key, f"{o['public_id']} :: {o['label']}" if debug else o["public_id"])
            for o in f["options"]])))
    by_column = {i["column"]: i for i in v.meta["indicators"]}
    values = []
    for column in indicator_columns:
        i = by_column[column]
        key = f"{i['public_id']} :: {i['column']}" if debug else i["public_id"]
        values.append((column, dumps(key) + ':"'))
    return json_rows.Shape(json_rows.fragments(times), locations, filters, values)


def _levels_in_parquet(v: Version) -> list[str]:
    return [lv.code for lv in geography.LEVELS if lv.code in v.location_levels]


def _debug_location(loc: dict[str, Any]) -> str:
    head = f"{loc['public_id']} :: {loc['name']}"
    level = loc["level"]
    if level == "RSC":
        return head
    if level == "LA":
        return f"{head} (code = {loc['code']}, oldCode = {loc.get('old_la_code', '')})"
    if level == "SCH":
        return f"{head} (urn = {loc['code']}, laEstab = {loc.get('school_laestab', '')})"
    if level == "PROV":
        return f"{head} (ukprn = {loc['code']})"
    return f"{head} (code = {loc['code']})"
