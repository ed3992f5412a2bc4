"""The state of one screening and the means every check shares: SQL over the loaded
cells, findings per matching row, and the batch that counts the row-by-row conditions of
all checks in one scan.

While the checks are batched (`batch` is a dict), a check does not run its counts at
once: it names the aggregates it needs (`with_aggregates`, `when_rows`) with a handler,
`count_batch` computes every aggregate named, 200 to a scan, and the handlers then run in
the order the checks asked, so the report reads as if each check had run alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from openstats.standards.csvfile import ByteScan
from openstats.standards.findings import CAP_PER_RULE
from openstats.standards.screening.background import InBackground
from openstats.standards.screening.result import Screening
from openstats.standards.screening.sql import DATA, lit, q

# The columns each aggregate expression reads, by its text (Checker.columns_read).
# Bounded so that files with ever-new column names cannot grow it without end.
_COLUMNS_READ: dict[str, frozenset[str]] = {}
_COLUMNS_READ_KEPT = 20_000


class Checker:
    """One screening in progress: what the checks read (`s`), where findings go (`r`: the
    report, or a `Deferred` standing in for it), and what the checks hand on."""

    def __init__(self, s: Screening, reference_dir: Path | None, memory_limit: str,
                 threads: int | None) -> None:
        self.s = s
        self.r = s.report
        self.data = s.data_path.name
        self.meta_file = s.meta_path.name
        self.reference_dir = reference_dir
        self.memory_limit = memory_limit
        self.threads = threads
        self.byte_scan: InBackground[ByteScan] | None = None  # the data file's byte scan
        self.attempts = 0  # databases created to load the cells
        self.unreadable: str | None = None  # why the parser gave up, if it did
        # While the checks are batched: the aggregates they asked for, and their values.
        self.batch: dict[str, object] | None = None
        # Rows per geographic level code (check_geography), for check_duplicates.
        self.levels_present: dict[str, int] = {}
        # Tables of grouped cells and their columns (group_cells).
        self._grouped: dict[str, set[str]] = {}

    def sql(self, query: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        assert self.s.con is not None
        return self.s.con.execute(query, list(params)).fetchall()

    def first_rows(self, condition: str, select: str, total: int | None = None
                   ) -> tuple[list[tuple[Any, ...]], int]:
        """The first rows matching `condition`, as (row number, *values of `select`), and
        how many rows match (`total`, when already counted)."""
        if total == 0:
            return [], 0
        rows = self.sql(f"SELECT rowid, {select} FROM {DATA} WHERE {condition} "
                        f"ORDER BY rowid LIMIT {CAP_PER_RULE}")
        if total is None:
            total = len(rows)
            if total == CAP_PER_RULE:
                total = self.sql(f"SELECT count(*) FROM {DATA} WHERE {condition}")[0][0]
        return [(self.s.row_number(rowid), *values) for rowid, *values in rows], total

    def when_rows(self, condition: str, select: str,
                  handler: Callable[[list[tuple[Any, ...]], int], None]) -> None:
        """Call `handler` with first_rows(condition, select): at once, or, while the checks
        are batched, after one scan has counted the rows of every condition (only the
        conditions some row meets cost a query of their own)."""
        count = f"count_if({condition})"
        self.with_aggregates([count], lambda values: handler(
            *self.first_rows(condition, select, None if values is None else values[0])))

    def with_aggregates(self, aggregates: list[str],
                        handler: Callable[[list[Any] | None], None]) -> None:
        """Call `handler` with the values of these aggregates over the data table.

        While the checks are batched, the aggregates of every check are computed together
        (count_batch) and the handlers called in order afterwards; otherwise the handler is
        called at once with None.
        """
        batch = self.batch
        if batch is None:
            handler(None)
            return
        for aggregate in aggregates:
            batch.setdefault(aggregate, None)
        self.r.call(lambda: handler([batch[a] for a in aggregates]))  # type: ignore[attr-defined]

    def count_batch(self) -> None:
        """Compute the aggregates of the batch, 200 to a scan.

        An aggregate that only reads columns of a table of grouped cells (group_cells) is
        computed over that table, weighting each group by its row count.
        """
        assert self.batch is not None
        aggregates = list(self.batch)
        by_source: dict[str, list[tuple[str, str]]] = {DATA: []}
        for aggregate, columns in zip(aggregates, self.columns_read(aggregates), strict=True):
            table = next((t for t, have in self._grouped.items()
                          if columns and columns <= have), None)
            counted = re.fullmatch(r"count_if\((.*)\)", aggregate, re.DOTALL)
            if table is not None and counted:
                physical = f"coalesce(sum(_os_n) FILTER (WHERE {counted[1]}), 0)"
            elif table is not None and aggregate.startswith("approx_count_distinct("):
                physical = aggregate  # a sketch of distinct values: repeats do not matter
            else:
                table, physical = DATA, aggregate
            by_source.setdefault(table, []).append((aggregate, physical))
        for source, items in by_source.items():
            for start in range(0, len(items), 200):
                part = items[start:start + 200]
                values = self.sql(f"SELECT {', '.join(p for _, p in part)} FROM {source}")[0]
                self.batch.update(zip((a for a, _ in part), values, strict=True))

    def columns_read(self, expressions: list[str]) -> list[set[str] | None]:
        """The columns each SQL expression reads (None if DuckDB cannot parse it).

        What an expression reads depends on its text alone, and the checks ask the same
        few hundred expressions of every file with the same header, so the answers are
        kept (`_COLUMNS_READ`): parsing them is a third of a small file's screening.
        """
        # A local copy: screenings in other threads may clear the shared one meanwhile.
        known = {e: c for e in expressions if (c := _COLUMNS_READ.get(e)) is not None}
        missing = list(dict.fromkeys(e for e in expressions if e not in known))
        if missing:
            parsed = self._parse_columns(missing)
            if parsed is None:
                # One of them does not parse: none of these is known, as when the whole
                # batch was parsed at once, and nothing is kept for them.
                return [set(known[e]) if e in known else None for e in expressions]
            if len(_COLUMNS_READ) + len(missing) > _COLUMNS_READ_KEPT:
                _COLUMNS_READ.clear()  # a bound, not a policy: the next file refills it
            _COLUMNS_READ.update(zip(missing, parsed, strict=True))
            known.update(zip(missing, parsed, strict=True))
        return [set(known[e]) for e in expressions]

    def _parse_columns(self, expressions: list[str]) -> list[frozenset[str]] | None:
        """The columns each expression reads, or None if DuckDB cannot parse them all."""
        tree = json.loads(self.sql("SELECT json_serialize_sql(?)",
                                   [f"SELECT {', '.join(expressions)}"])[0][0])
        if tree.get("error"):
            return None
        items = tree["statements"][0]["node"]["select_list"]

        def walk(node: object, found: set[str]) -> set[str]:
            if isinstance(node, dict):
                if node.get("class") == "COLUMN_REF":
                    found.add(node["column_names"][-1])
                for value in node.values():
                    walk(value, found)
            elif isinstance(node, list):
                for value in node:
                    walk(value, found)
            return found

        if len(items) != len(expressions):
            return None
        return [frozenset(walk(item, set())) for item in items]

    def group_cells(self) -> None:
        """Tables of the distinct combinations of some columns, with how many rows have
        each and the first of them: time and geography columns (and any others that are
        neither filters nor indicators), and the filter columns. A few thousand groups
        stand for millions of rows in the checks that read only those columns."""
        header = self.s.header
        indicators = {m.name for m in self.s.indicators}
        filters = [c for m in self.s.filters for c in (m.name, m.filter_grouping_column)
                   if c in header and c not in indicators]
        filters = list(dict.fromkeys(filters))
        others = [c for c in header if c not in indicators and c not in filters]
        self._grouped = {}
        for table, columns in (("_os_cells_g", others), ("_os_cells_f", filters)):
            if columns:
                self.s.con.execute(  # type: ignore[union-attr]
                    f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT "
                    f"{', '.join(q(c) for c in columns)}, count(*) AS _os_n, "
                    f"min(rowid) AS _os_first FROM {DATA} GROUP BY ALL")
                self._grouped[table] = set(columns)
        self.s.grouped = dict(self._grouped)

    def cells(self, *columns: str) -> tuple[str, str, str]:
        """Where to count rows by these columns: (table, first row's rowid, row count)
        aggregates, from a table of grouped cells if one has them all."""
        for table, have in self._grouped.items():
            if set(columns) <= have:
                return table, "min(_os_first)", "sum(_os_n)"
        return DATA, "min(rowid)", "count(*)"

    def add_rows(self, rule: str, condition: str, column: str, message: str,
                 column_in_finding: bool = True) -> None:
        """One finding per matching row (up to the cap); `message` may use {value},
        {column} and {row}."""
        def report(rows: list[tuple[Any, ...]], total: int) -> None:
            for i, (row, value) in enumerate(rows):
                self.r.add(rule, self.data,
                           message.format(value=value, column=column, row=row),
                           row=row, column=column if column_in_finding else None,
                           value=value if column_in_finding else None,
                           more=total - len(rows) if i == len(rows) - 1 else 0)

        self.when_rows(condition, q(column) if column else "NULL", report)


    def add_matches(self, rule: str, pattern: str, column: str, message: str) -> None:
        """add_rows for the cells of `column` that match a regular expression (RE2)."""
        self.add_rows(rule, f"regexp_matches({q(column)}, {lit(pattern)})", column, message)
