"""Run a checked query against one data-set version's Parquet file with DuckDB.

Public ids are resolved against the version's metadata; the criteria tree becomes one
SQL WHERE clause of column names we wrote ourselves and `?` parameters for every value,
so no user text is ever pasted into SQL. Unknown ids are warnings, as in EES: the part
of the criteria naming them matches nothing (or everything, for notEq and notIn).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from openstats import metrics
from openstats.query.criteria import And, Facets, Not, Or, Problem, QueryRequest, Sort
from openstats.standards import geography, time_periods


class QueryError(Exception):
    """The query cannot run (400): unknown indicators or sort fields."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.code for p in problems))
        self.problems = problems


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    _prepared: dict[str, Any] = field(default_factory=dict)

    def prepared(self) -> dict[str, Any]:
        """Public ids by internal id, built once: turning rows into answers is then cheap."""
        if not self._prepared:
            self._prepared = {
                "times": {t["id"]: {"code": t["code"],
                                    "period": time_periods.api_period(t["period"])}
                          for t in self.meta["time_periods"]},
                "locations": {loc["id"]: loc["public_id"] for loc in self.meta["locations"]},
                "filters": [(f["column"], f["public_id"], [o["public_id"] for o in f["options"]])
                            for f in self.meta["filters"]],
            }
        return self._prepared

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


class _Warnings:
    """Warnings merged by (code, path), items listed once each."""

    def __init__(self) -> None:
        self.items: OrderedDict[tuple[str, str], list[Any]] = OrderedDict()

    def add(self, code: str, path: str, item: Any) -> None:
        bucket = self.items.setdefault((code, path), [])
        if item not in bucket:
            bucket.append(item)

    def as_list(self) -> list[dict[str, Any]]:
        return [Problem(code, path, {"items": items}).as_dict()
                for (code, path), items in self.items.items()]


FALSE, TRUE = "FALSE", "TRUE"


class _Compiler:
    def __init__(self, v: Version, get: bool) -> None:
        self.v = v
        self.get = get
        self.params: list[Any] = []
        self.warnings = _Warnings()

    def node(self, node: Any, negated_parent: bool = False) -> str:
        if node is None:
            return TRUE
        if isinstance(node, And):
            return "(" + " AND ".join(self.node(c) for c in node.children) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.node(c) for c in node.children) + ")"
        if isinstance(node, Not):
            return f"(NOT {self.node(node.child, negated_parent=True)})"
        assert isinstance(node, Facets)
        parts = []
        for facet, ops in node.comparators.items():
            for op, value in ops.items():
                path = f"{node.path}.{facet}.{op}" if node.path else f"{facet}.{op}"
                parts.append(getattr(self, facet)(op, value, path))
        if not parts:
            return TRUE
        # EES joins a facets object directly under `not` with OR before negating it.
        joiner = " OR " if negated_parent else " AND "
        return "(" + joiner.join(parts) + ")"

    def _in(self, column: str, ids: list[Any], negate: bool) -> str:
        # One placeholder per value: DuckDB prunes row groups on literal IN lists, not on
        # a subquery over a list parameter (measured twice as fast on 10M rows).
        self.params.extend(ids)
        marks = ", ".join("?" for _ in ids)
        if negate:  # a row without this column's value is "not in" any list
            return f"({column} IS NULL OR {column} NOT IN ({marks}))"
        return f"({column} IN ({marks}))"

    def _match(self, groups: dict[str, list[Any]], negate: bool) -> str:
        """Known values grouped by column: OR across columns for eq/in, AND for notEq/notIn;
        nothing known matches nothing (or, negated, everything)."""
        if not groups:
            return TRUE if negate else FALSE
        parts = [self._in(column, values, negate) for column, values in groups.items()]
        return "(" + (" AND " if negate else " OR ").join(parts) + ")"

    # Each facet: eq/in match listed things (unknown ones warn); notEq/notIn the opposite.
    def filters(self, op: str, value: Any, path: str) -> str:
        groups: dict[str, list[Any]] = {}
        for item in value if isinstance(value, list) else [value]:
            found = self.v.options.get(item)
            if found is None:
                self.warnings.add("FiltersNotFound", path, item)
            else:
                groups.setdefault(q(found[0]["column"]), []).append(found[1]["id"])
        return self._match(groups, op in ("notEq", "notIn"))

    def geographicLevels(self, op: str, value: Any, path: str) -> str:  # noqa: N802
        groups: dict[str, list[Any]] = {}
        for item in value if isinstance(value, list) else [value]:
            if item in self.v.meta["geographic_levels"]:
                groups.setdefault("geographic_level", []).append(item)
            else:
                self.warnings.add("GeographicLevelsNotFound", path, item)
        return self._match(groups, op in ("notEq", "notIn"))

    def locations(self, op: str, value: Any, path: str) -> str:
        groups: dict[str, list[Any]] = {}
        for ref in value if isinstance(value, list) else [value]:
            ids = self.v.locations_by_ref.get((ref.level, ref.prop, ref.value))
            if not ids:
                self.warnings.add("LocationsNotFound", path, ref.raw)
            else:
                groups.setdefault(q("loc_" + ref.level), []).extend(ids)
        return self._match(groups, op in ("notEq", "notIn"))

    def timePeriods(self, op: str, value: Any, path: str) -> str:  # noqa: N802
        known = []
        for ref in value if isinstance(value, list) else [value]:
            t = self.v.periods.get((time_periods.full_api_period(ref.period, ref.code), ref.code))
            if t is None:
                self.warnings.add("TimePeriodsNotFound", path, ref.raw)
            else:
                known.append(t["id"])
        if known and op in ("gt", "gte", "lt", "lte"):
            # EES compares a version's periods by their place in its own order.
            bound = self.v.ordinal[known[0]]
            test = {"gt": lambda o: o > bound, "gte": lambda o: o >= bound,
                    "lt": lambda o: o < bound, "lte": lambda o: o <= bound}[op]
            known = [tid for tid, o in self.v.ordinal.items() if test(o)]
            if not known:
                return FALSE
        return self._match({"time_period_id": known} if known else {},
                           op in ("notEq", "notIn"))


class QueryEngine:
    """Answers queries; keeps version indexes and recent answers in bounded caches."""

    def __init__(self, cache_size: int = 256) -> None:
        self.con = duckdb.connect()
        # Version files never change, so their Parquet footers can be cached between queries.
        self.con.execute("SET parquet_metadata_cache = true")
        self.lock = threading.Lock()
        self.versions: OrderedDict[str, Version] = OrderedDict()
        self.answers: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self.cache_size = cache_size

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
        # Keyed by version id: a version never changes, so a cached answer can never hide
        # a publication (that changes which version a request resolves to, not the answer).
        key = (v.version_id, req.canonical())
        with self.lock:
            cached = self.answers.get(key)
            if cached is not None:
                self.answers.move_to_end(key)
                metrics.ANSWER_CACHE.labels("hit").inc()
                return cached
        metrics.ANSWER_CACHE.labels("miss").inc()
        with metrics.QUERY_SECONDS.time():
            answer = self._run(v, req)
        with self.lock:
            self.answers[key] = answer
            if len(self.answers) > self.cache_size:
                self.answers.popitem(last=False)
        return answer

    def _run(self, v: Version, req: QueryRequest) -> dict[str, Any]:
        problems: list[Problem] = []
        indicators = v.meta["indicators"]
        if req.indicators is not None:
            missing = [i for i in req.indicators if i not in v.indicators]
            if missing:
                problems.append(Problem("IndicatorsNotFound", "indicators", {"items": missing}))
            indicators = [v.indicators[i] for i in req.indicators if i in v.indicators]
        order, order_params = self._order(v, req, problems)
        if problems:
            raise QueryError(problems)
        compiler = _Compiler(v, req.from_get)
        where = compiler.node(req.criteria)
        cursor = self.con.cursor()
        source = "read_parquet(?, file_row_number = true)"
        loc_columns = [f"loc_{lv}" for lv in _levels_in_parquet(v)]
        columns = ["geographic_level", "time_period_id", *loc_columns,
                   *(f["column"] for f in v.meta["filters"]), *(i["column"] for i in indicators)]
        rows = cursor.execute(
            f"SELECT {', '.join(q(c) for c in columns)} FROM {source} WHERE {where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [str(v.parquet), *compiler.params, *order_params, req.page_size,
             (req.page - 1) * req.page_size]).fetchall()
        if req.page == 1 and len(rows) < req.page_size:
            total = len(rows)  # a short first page is everything: no second scan to count
        else:
            total = cursor.execute(f"SELECT count(*) FROM {source} WHERE {where}",
                                   [str(v.parquet), *compiler.params]).fetchone()[0]  # type: ignore[index]
        results = [self._row(v, dict(zip(columns, r, strict=True)), loc_columns, indicators,
                             req.debug) for r in rows]
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
        return {
            "paging": {"page": req.page, "pageSize": req.page_size, "totalResults": total,
                       "totalPages": max(1, -(-total // req.page_size))},
            "results": results,
            "warnings": warnings,
        }

    def _order(self, v: Version, req: QueryRequest,
               problems: list[Problem]) -> tuple[str, list[Any]]:
        sorts = req.sorts or [Sort("timePeriod", "Desc", "timePeriod|Desc")]
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
        parts.append("file_row_number ASC")  # stable pages
        return ", ".join(parts), params

    def _row(self, v: Version, r: dict[str, Any], loc_columns: list[str],
             indicators: list[dict[str, Any]], debug: bool) -> dict[str, Any]:
        if not debug:
            return self._fast_row(v, r, loc_columns, indicators)
        t = v.period_by_id[r["time_period_id"]]
        locations: dict[str, str] = {}
        for column in loc_columns:
            loc_id = r[column]
            if loc_id is None:
                continue
            loc = v.location_by_id[loc_id]
            locations[loc["level"]] = _debug_location(loc) if debug else loc["public_id"]
        filters: dict[str, str] = {}
        for f in v.meta["filters"]:
            o = f["options"][r[f["column"]]]
            if debug:
                filters[f"{f['public_id']} :: {f['column']}"] = f"{o['public_id']} :: {o['label']}"
            else:
                filters[f["public_id"]] = o["public_id"]
        values = {
            (f"{i['public_id']} :: {i['column']}" if debug else i["public_id"]):
                r[i["column"]] if r[i["column"]] is not None else ""
            for i in indicators
        }
        return {"timePeriod": {"code": t["code"], "period": time_periods.api_period(t["period"])},
                "geographicLevel": r["geographic_level"], "locations": locations,
                "filters": filters, "values": values}


    def _fast_row(self, v: Version, r: dict[str, Any], loc_columns: list[str],
                  indicators: list[dict[str, Any]]) -> dict[str, Any]:
        """The common case (no debug labels), with lookups prepared once per version."""
        p = v.prepared()
        return {
            "timePeriod": p["times"][r["time_period_id"]],
            "geographicLevel": r["geographic_level"],
            "locations": {c[4:]: p["locations"][r[c]] for c in loc_columns if r[c] is not None},
            "filters": {fid: options[r[col]] for col, fid, options in p["filters"]},
            "values": {i["public_id"]: r[i["column"]] if r[i["column"]] is not None else ""
                       for i in indicators},
        }


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
