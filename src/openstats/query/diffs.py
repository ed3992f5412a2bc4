"""Reading observation-level diffs between two versions (the file ingest/diff.py writes).

Import writes the diff from the version before; any other pair (an older version, or
versions imported before diffs were kept) is computed when first asked for, from the two
Parquet files directly rather than by chaining adjacent diffs (simpler, and as fast), and
kept in `data_dir/diffs/` on this host. Versions are immutable, so a kept diff never goes
stale.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from openstats.catalogue import version_diffs
from openstats.catalogue.db import Catalogue
from openstats.ingest import diff
from openstats.ingest.build import PARQUET
from openstats.model.catalogue import DataSetVersion, DiffCounts
from openstats.model.metadata import Filter, FilterOption, Location, TimePeriod, VersionMeta
from openstats.standards.screening.sql import lit
from openstats.storage import Storage

CHUNK = 10_000  # rows read at a time for a download


@dataclass(frozen=True)
class Diff:
    """The diff from `old` to `new`: its file, counts and what it compares."""

    old: DataSetVersion
    new: DataSetVersion
    old_meta: VersionMeta
    new_meta: VersionMeta
    path: Path
    counts: DiffCounts
    layout: diff.Layout


@dataclass(frozen=True)
class Value:
    column: str  # the indicator's column (both versions have it)
    old: str | None  # None: the observation is not in that version
    new: str | None


@dataclass(frozen=True)
class DiffRow:
    """One observation that was added, removed or changed, named in the words of the
    version it is in (the newer, unless it was removed)."""

    change: str  # diff.ADDED, REMOVED or CHANGED
    time_period: TimePeriod
    level: str
    location: Location
    options: tuple[tuple[Filter, FilterOption | None], ...]  # each filter of either version
    values: tuple[Value, ...]


class VersionDiffs:
    def __init__(self, catalogue: Catalogue, storage: Storage, data_dir: Path,
                 memory_limit: str) -> None:
        self.catalogue = catalogue
        self.storage = storage
        self.cache = data_dir / "diffs"
        self.memory_limit = memory_limit

    def get(self, old: DataSetVersion, new: DataSetVersion) -> Diff:
        """The diff from `old` to `new` (two versions of one data set, `old` earlier)."""
        old_meta = self.catalogue.metadata.get(old.id)
        new_meta = self.catalogue.metadata.get(new.id)
        counts = self._stored(old, new)
        if counts is not None:
            path = self.storage.file(new.storage_key, diff.file_name(old.id))
        else:
            path = self._computed(old, old_meta, new, new_meta)
            with self._connect() as con:
                counts = diff.counts_of(con, path)
        return Diff(old, new, old_meta, new_meta, path, counts, diff.layout(old_meta, new_meta))

    def rows(self, d: Diff, offset: int, limit: int) -> list[DiffRow]:
        """Rows offset+1 .. offset+limit, in the file's order."""
        with self._connect() as con:
            result = con.execute(f"SELECT * FROM read_parquet({lit(str(d.path))}) "
                                 "WHERE row > ? AND row <= ? ORDER BY row",
                                 [offset, offset + limit])
            return self._named(d, result, result.fetchall())

    def all_rows(self, d: Diff) -> Iterator[DiffRow]:
        """Every row, read a chunk at a time (for downloads)."""
        with self._connect() as con:
            result = con.execute(f"SELECT * FROM read_parquet({lit(str(d.path))}) ORDER BY row")
            while chunk := result.fetchmany(CHUNK):
                yield from self._named(d, result, chunk)

    # --- inside --------------------------------------------------------------------------
    def _stored(self, old: DataSetVersion, new: DataSetVersion) -> DiffCounts | None:
        try:
            with self.catalogue.connect() as conn:
                return version_diffs.stored(conn, new.id, old.id)
        except Exception:  # noqa: BLE001 - while the database is away, compute it here
            return None

    def _computed(self, old: DataSetVersion, old_meta: VersionMeta, new: DataSetVersion,
                  new_meta: VersionMeta) -> Path:
        target = self.cache / new.id / diff.file_name(old.id)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written under a name of its own, then renamed: a reader never sees half a file,
        # and two requests computing the same pair each end with a whole one.
        part = target.with_name(f".{uuid.uuid4().hex}.part")
        try:
            with self._connect() as con:
                diff.write_diff(con, self.storage.file(old.storage_key, PARQUET), old_meta,
                                self.storage.file(new.storage_key, PARQUET), new_meta, part)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
        return target

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.execute(f"SET memory_limit = {lit(self.memory_limit)}")
        # A join of two big versions may not fit in memory: it spills here, not to the
        # working directory.
        con.execute(f"SET temp_directory = {lit(str(self.cache / '.spill'))}")
        return con

    def _named(self, d: Diff, result: Any, rows: list[tuple[Any, ...]]) -> list[DiffRow]:
        columns = [c[0] for c in result.description]
        names = _Names(d)
        return [names.row(dict(zip(columns, r, strict=True))) for r in rows]


class _Names:
    """Turns a diff file's row (each version's own numbers) into named things."""

    def __init__(self, d: Diff) -> None:
        self.d = d
        self.options = {(side, f.column): {o.id: o for o in f.options}
                        for side, meta in (("old", d.old_meta), ("new", d.new_meta))
                        for f in meta.filters}

    def row(self, r: dict[str, Any]) -> DiffRow:
        d = self.d
        # A removed observation is named as the older version names it; others as the newer.
        removed = r["change"] == diff.REMOVED
        side, meta, other = ("old", d.old_meta, d.new_meta) if removed else (
            "new", d.new_meta, d.old_meta)
        options: list[tuple[Filter, FilterOption | None]] = []
        for column in d.layout.filters:
            f = meta.filter_by_column.get(column)
            if f is None:  # a filter only the other version has: the row has no option
                options.append((other.filter_by_column[column], None))
                continue
            option_id = r[diff.old_filter(column) if removed else diff.new_filter(column)]
            options.append((f, self.options[(side, column)].get(option_id)))
        return DiffRow(
            r["change"], meta.period_by_id[r[f"{side}_time_period_id"]], r["geographic_level"],
            meta.location_by_id[r[f"{side}_location_id"]], tuple(options),
            tuple(Value(c, r[diff.old_value(c)], r[diff.new_value(c)])
                  for c in d.layout.indicators))
