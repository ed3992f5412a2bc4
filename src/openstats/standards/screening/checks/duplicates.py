"""Repeated rows: two rows with the same time, location and filter values (everything but
the indicators), found by hashing the key and confirming on the full key."""

from __future__ import annotations

from openstats.standards import geography
from openstats.standards.findings import CAP_PER_RULE
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.sql import DATA, LEVEL_CODE, lit, q


def check_duplicates(ck: Checker) -> None:
    header = ck.s.header
    if not {"time_period", "time_identifier", "geographic_level"} <= set(header):
        return
    # Everything but the indicators identifies an observation: time, location, filters,
    # groups, and columns the meta file leaves undescribed (EES keeps those apart too).
    indicators = {m.name for m in ck.s.indicators}
    key = [c for c in header if c not in indicators]
    present = ck.levels_present
    only = set(present)
    low = {c for c in present if geography.BY_CODE[c].low_level}
    if only in ({"SCH"}, {"PROV"}):
        low -= only
    where = (f"WHERE coalesce({LEVEL_CODE}, '') NOT IN ({', '.join(lit(c) for c in low)})"
             if low else "")
    # Hash first (cheap, one column), then confirm candidates on the full key.
    hashed = f"hash({', '.join(q(c) for c in key)})"
    candidates = ck.sql(
        f"SELECT h FROM (SELECT {hashed} AS h FROM {DATA} {where}) GROUP BY h "
        f"HAVING count(*) > 1 LIMIT 10000")
    if not candidates:
        return
    ck.s.con.execute("CREATE TEMP TABLE dup_hashes(h UBIGINT)")  # type: ignore[union-attr]
    ck.s.con.executemany("INSERT INTO dup_hashes VALUES (?)", candidates)  # type: ignore[union-attr]
    cols = ", ".join(q(c) for c in key)
    groups = ck.sql(
        f"SELECT list(rowid ORDER BY rowid), {cols} FROM {DATA} "
        f"WHERE {hashed} IN (SELECT h FROM dup_hashes) GROUP BY {cols} "
        f"HAVING count(*) > 1 ORDER BY min(rowid) LIMIT {CAP_PER_RULE}")
    if not groups:
        return
    # Every repeat counts, also those beyond the listed groups (counted by hash).
    total = ck.sql(f"SELECT sum(n - 1) FROM (SELECT count(*) AS n FROM {DATA} {where} "
                   f"GROUP BY {hashed} HAVING count(*) > 1)")[0][0]
    listed = sum(len(rowids) - 1 for rowids, *_ in groups)
    for i, (rowids, *_) in enumerate(groups):
        rows = [ck.s.row_number(rowid) for rowid in rowids[:10]]
        more = f" and {len(rowids) - 10} more" if len(rowids) > 10 else ""
        extra = max(total - listed, 0) if i == len(groups) - 1 else 0
        ck.r.add("data.rows.duplicate", ck.data,
                 f"Rows {', '.join(str(r) for r in rows)}{more} have the same time, "
                 "location and filter values.", row=rows[1],
                 count=len(rowids) - 1, more=extra)
