"""What changed between two versions of a data set, observation by observation.

An observation is a row's time period, location (of the row's own geographic level) and
filter options; its numbers are its indicator values, as text, so a `c` that became `x`
is a change too. Two versions' rows are matched with DuckDB over their Parquet files,
each row being

- added: its observation is only in the newer version,
- removed: only in the older one,
- changed: in both, and a value of an indicator both versions have differs.

Items are matched by what names them from one version to the next, the rule of public
ids (catalogue/public_ids.py): periods by period and code, locations by level, codes and
name, options by filter column and label. Only indicators both versions have are
compared (`Layout` says which came and went). When the filter columns differ, no
observation is the same in both: every older row is removed, every newer one added.

The diff is one Parquet file, `diff_from_<older version id>.parquet`, in the newer
version's folder (written at import, query/diffs.py computes other pairs when asked):
`change`, `row` (1, 2, ... in the order shown: added, removed, changed, then place and
time), each side's time period and location ids, `old_filter:<column>` and
`new_filter:<column>` option ids, and `old:<column>` / `new:<column>` values of each
compared indicator. Ids are each version's own Parquet numbers (model/metadata.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openstats.catalogue.public_ids import location_key
from openstats.model.catalogue import DiffCounts as Counts
from openstats.model.metadata import VersionMeta
from openstats.standards.screening.sql import lit, q

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
# What one row of the older version adds to a key's packed count (see _write).
ONE_OLDER = 2**32
KINDS = (ADDED, REMOVED, CHANGED)  # also the order rows are shown in


def file_name(from_version_id: str) -> str:
    """The name of the diff from `from_version_id` in the newer version's folder."""
    return f"diff_from_{from_version_id}.parquet"


def old_filter(column: str) -> str:
    return f"old_filter:{column}"


def new_filter(column: str) -> str:
    return f"new_filter:{column}"


def old_value(column: str) -> str:
    return f"old:{column}"


def new_value(column: str) -> str:
    return f"new:{column}"


@dataclass(frozen=True)
class Layout:
    """Which filters and indicators a diff of two versions holds and compares (columns)."""

    filters: tuple[str, ...]  # every filter of either version: the newer's order first
    indicators: tuple[str, ...]  # those both versions have, in the newer's order
    indicators_added: tuple[str, ...]
    indicators_removed: tuple[str, ...]
    filters_added: tuple[str, ...]
    filters_removed: tuple[str, ...]

    @property
    def matchable(self) -> bool:
        """Whether any observation can be in both versions (same filter columns)."""
        return not self.filters_added and not self.filters_removed


def layout(old: VersionMeta, new: VersionMeta) -> Layout:
    old_f = [f.column for f in old.filters]
    new_f = [f.column for f in new.filters]
    old_i = [i.column for i in old.indicators]
    new_i = [i.column for i in new.indicators]
    return Layout(
        filters=tuple(new_f + [c for c in old_f if c not in new_f]),
        indicators=tuple(c for c in new_i if c in old_i),
        indicators_added=tuple(c for c in new_i if c not in old_i),
        indicators_removed=tuple(c for c in old_i if c not in new_i),
        filters_added=tuple(c for c in new_f if c not in old_f),
        filters_removed=tuple(c for c in old_f if c not in new_f))


def write_diff(con: Any, old_parquet: Path, old: VersionMeta, new_parquet: Path,
               new: VersionMeta, out: Path) -> Counts:
    """Write the diff from `old` to `new` (each version's Parquet file and metadata) to
    `out`, with (a cursor of) the DuckDB connection `con`; return its counts."""
    with con.cursor() as cur:  # its own: the screening's may hold an unread result
        return _write(cur, old_parquet, old, new_parquet, new, out)


def _write(con: Any, old_parquet: Path, old: VersionMeta, new_parquet: Path,
           new: VersionMeta, out: Path) -> Counts:
    shape = layout(old, new)
    # Each older item's number in the newer version (NULL: the newer has no such item).
    # The tables are small (a version's dictionaries), the rows are joined to them.
    new_time = {(t.period, t.code): t.id for t in new.time_periods}
    new_place = {location_key(loc): loc.id for loc in new.locations}
    _mapping(con, "_os_map_time", [(t.id, new_time.get((t.period, t.code)))
                                   for t in old.time_periods])
    _mapping(con, "_os_map_location", [(loc.id, new_place.get(location_key(loc)))
                                       for loc in old.locations])
    common = [c for c in shape.filters if c in old.filter_by_column
              and c in new.filter_by_column]
    for i, column in enumerate(common):
        by_label = new.filter_by_column[column].option_by_label
        _mapping(con, f"_os_map_filter_{i}", [
            (o.id, by_label[o.label].id if o.label in by_label else None)
            for o in old.filter_by_column[column].options])

    # Key columns, in the newer version's numbers; an older item the newer lacks gets a
    # negative number of its own, which matches nothing.
    side = "0" if shape.matchable else "1"  # different filters: nothing matches
    old_select = [f"{side} AS _os_side", "d.geographic_level AS _os_level",
                  "d.time_period_id AS _os_old_time", "d.location_id AS _os_old_location",
                  "coalesce(mt.new_id, -1 - d.time_period_id) AS _os_k_time",
                  "coalesce(ml.new_id, -1 - d.location_id) AS _os_k_location"]
    old_joins = ["LEFT JOIN _os_map_time mt ON mt.old_id = d.time_period_id",
                 "LEFT JOIN _os_map_location ml ON ml.old_id = d.location_id"]
    new_select = ["0 AS _os_side", "d.geographic_level AS _os_level",
                  "d.time_period_id AS _os_new_time", "d.location_id AS _os_new_location",
                  "d.time_period_id AS _os_k_time", "d.location_id AS _os_k_location"]
    keys = ["_os_side", "_os_k_time", "_os_k_location"]
    for i, column in enumerate(common):
        old_select += [f"d.{q(column)} AS {q(old_filter(column))}",
                       f"coalesce(mf{i}.new_id, -1 - d.{q(column)}) AS _os_k_f{i}"]
        old_joins.append(f"LEFT JOIN _os_map_filter_{i} mf{i} ON mf{i}.old_id = d.{q(column)}")
        new_select += [f"d.{q(column)} AS {q(new_filter(column))}",
                       f"d.{q(column)} AS _os_k_f{i}"]
        keys.append(f"_os_k_f{i}")
    old_select += [f"d.{q(c)} AS {q(old_filter(c))}" for c in shape.filters_removed]
    new_select += [f"d.{q(c)} AS {q(new_filter(c))}" for c in shape.filters_added]
    old_select += [f"d.{q(c)} AS {q(old_value(c))}" for c in shape.indicators]
    new_select += [f"d.{q(c)} AS {q(new_value(c))}" for c in shape.indicators]
    con.execute(f"CREATE OR REPLACE TEMP VIEW _os_old AS SELECT {', '.join(old_select)} "
                f"FROM read_parquet({lit(str(old_parquet))}) d {' '.join(old_joins)}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW _os_new AS SELECT {', '.join(new_select)} "
                f"FROM read_parquet({lit(str(new_parquet))}) d")
    # Which observations can be in the diff, from one aggregate over both versions: the
    # keys not exactly once in each, or whose values differ (by a hash of them). The
    # exact join below then reads only those rows, not 2 x N wide ones (78% of the time).
    # A hash collision can only keep a row the exact comparison then drops, or, with odds
    # of about 2^-64 a changed row, miss one.
    # Two cheap aggregates say it all (min/max and count took twice as long): `_os_n`
    # packs both counts, newer + older * 2^32 (no key has 2^32 rows), so "once in each"
    # is _os_n = 2^32 + 1; and then the values are equal when their hashes XOR to 0.
    # The side is a key only when nothing can match (then it keeps the versions apart).
    group = keys if not shape.matchable else keys[1:]
    key_list = ", ".join(group)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _os_candidates AS "
        f"SELECT {key_list}, sum(_os_one) AS _os_n FROM ("
        f"SELECT {key_list}, {ONE_OLDER} AS _os_one, "
        f"{_values_hash(shape.indicators, old_value)} AS _os_vh FROM _os_old UNION ALL "
        f"SELECT {key_list}, 1, {_values_hash(shape.indicators, new_value)} FROM _os_new) "
        f"GROUP BY {key_list} "
        f"HAVING sum(_os_one) <> {ONE_OLDER + 1} OR bit_xor(_os_vh) <> 0")
    # An observation normally appears once per version, but the screener allows repeats
    # at low levels (schools) and beside undescribed columns: then repeats are paired in
    # the order of their values, so that nothing is matched twice. Every repeated key is
    # a candidate (its counts are not one of each).
    [(repeats,)] = con.execute(
        f"SELECT coalesce(bool_or(_os_n % {ONE_OLDER} > 1 OR _os_n // {ONE_OLDER} > 1), "
        "false) FROM _os_candidates").fetchall()
    if not repeats:
        for name in ("_os_old", "_os_new"):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_cand AS SELECT v.* FROM {name} v "
                        f"SEMI JOIN _os_candidates c ON "
                        + " AND ".join(f"v.{k} = c.{k}" for k in group))
        sources = ("_os_old_cand", "_os_new_cand")
    else:
        for name, value in (("_os_old", old_value), ("_os_new", new_value)):
            order = ", ".join(q(value(c)) for c in shape.indicators) or "1"
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_seq AS SELECT *, row_number() "
                        f"OVER (PARTITION BY {', '.join(keys)} ORDER BY {order}) AS _os_seq "
                        f"FROM {name}")
        sources = ("_os_old_seq", "_os_new_seq")
        keys.append("_os_seq")

    on = " AND ".join(f"o.{k} = n.{k}" for k in keys)
    differs = " OR ".join(f"o.{q(old_value(c))} IS DISTINCT FROM n.{q(new_value(c))}"
                          for c in shape.indicators) or "false"
    kind = (f"CASE WHEN n._os_side IS NULL THEN {lit(REMOVED)} "
            f"WHEN o._os_side IS NULL THEN {lit(ADDED)} ELSE {lit(CHANGED)} END")
    rank = "CASE WHEN n._os_side IS NULL THEN 2 WHEN o._os_side IS NULL THEN 1 ELSE 3 END"
    columns = [f"{kind} AS change",
               "o._os_old_time AS old_time_period_id", "n._os_new_time AS new_time_period_id",
               "o._os_old_location AS old_location_id", "n._os_new_location AS new_location_id",
               "coalesce(n._os_level, o._os_level) AS geographic_level"]
    for column in shape.filters:
        if column in old.filter_by_column:
            columns.append(f"o.{q(old_filter(column))}")
        if column in new.filter_by_column:
            columns.append(f"n.{q(new_filter(column))}")
    for column in shape.indicators:
        columns += [f"o.{q(old_value(column))}", f"n.{q(new_value(column))}"]
    # Rows in the order pages show them (kind, then place, time and options); `row`
    # numbers them so that a page reads only its own row groups.
    sort = [f"{rank} AS _os_sort_kind",
            "coalesce(n._os_new_location, o._os_old_location) AS _os_sort_location",
            "coalesce(n._os_k_time, o._os_k_time) AS _os_sort_time",
            *(f"coalesce(n._os_k_f{i}, o._os_k_f{i}) AS _os_sort_f{i}"
              for i in range(len(common)))]
    helpers = [s.rsplit(" AS ", 1)[1] for s in sort]
    con.execute(
        f"COPY (SELECT row_number() OVER (ORDER BY {', '.join(helpers)}) AS row, "
        f"* EXCLUDE ({', '.join(helpers)}) FROM (SELECT {', '.join(columns + sort)} "
        f"FROM {sources[0]} o FULL OUTER JOIN {sources[1]} n ON {on} "
        f"WHERE n._os_side IS NULL OR o._os_side IS NULL OR {differs}) "
        f"ORDER BY row) TO {lit(str(out))} (FORMAT parquet, COMPRESSION zstd)")
    return counts_of(con, out)


def _values_hash(indicators: tuple[str, ...], name: Callable[[str], str]) -> str:
    """A 64-bit hash of a row's indicator values (by their column names in a view)."""
    return f"hash({', '.join(q(name(c)) for c in indicators)})" if indicators else "0"


def counts_of(con: Any, path: Path) -> Counts:
    """How many rows of a diff file are of each kind."""
    found = dict(con.execute(f"SELECT change, count(*) FROM read_parquet({lit(str(path))}) "
                             "GROUP BY change").fetchall())
    return Counts(int(found.get(ADDED, 0)), int(found.get(REMOVED, 0)),
                  int(found.get(CHANGED, 0)))


def _mapping(con: Any, name: str, pairs: list[tuple[int, int | None]]) -> None:
    # Imported here, not at the top: every `openstats import` loads this module, and
    # only an import with a version before it to compare needs pyarrow (start-up cost).
    import pyarrow as pa

    table = pa.table({"old_id": pa.array([p[0] for p in pairs], pa.int32()),
                      "new_id": pa.array([p[1] for p in pairs], pa.int32())})
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")
