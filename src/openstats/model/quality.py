"""A data-set version's quality report, as typed objects: the screener's warnings accepted
at import, and what its cells hold (rows by geographic level and time period, and per
indicator the cells that are blank or carry each symbol).

Import counts the cells once (ingest/quality.py) and the catalogue keeps the counts with
the version (catalogue/quality.py): versions never change, so neither do their counts,
and answering a report is a read of one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openstats.standards import geography
from openstats.standards.findings import Report


@dataclass(frozen=True)
class RowCount:
    """The rows of one geographic level in one time period."""

    level: str  # level code: NAT, LA, ...
    time_period_id: int  # TimePeriod.id of the version
    rows: int


@dataclass(frozen=True)
class IndicatorCells:
    """What one indicator's cells hold: how many are blank and how many carry each symbol
    (standards/symbols.py); the rest are numbers (or text, for a `numberstring` unit)."""

    column: str
    blank: int
    symbols: tuple[tuple[str, int], ...]  # (symbol, cells), only symbols present

    def count_of(self, symbol: str) -> int:
        return dict(self.symbols).get(symbol, 0)


@dataclass(frozen=True)
class CellCounts:
    row_count: int
    rows: tuple[RowCount, ...]  # by level and time period, every pair that has rows
    indicators: tuple[IndicatorCells, ...]  # in the version's indicator order

    def rows_by_level(self) -> list[tuple[str, int]]:
        """(level code, rows), national first (the standard order of levels)."""
        totals: dict[str, int] = {}
        for r in self.rows:
            totals[r.level] = totals.get(r.level, 0) + r.rows
        return sorted(totals.items(), key=lambda item: geography.LEVEL_ORDER.get(item[0], 99))

    def rows_by_time_period(self) -> dict[int, int]:
        """TimePeriod.id -> rows."""
        totals: dict[int, int] = {}
        for r in self.rows:
            totals[r.time_period_id] = totals.get(r.time_period_id, 0) + r.rows
        return totals

    def symbols_present(self) -> list[str]:
        """Every symbol some indicator's cells carry, in the order first found."""
        return list(dict.fromkeys(s for i in self.indicators for s, _ in i.symbols))

    def to_json(self) -> dict[str, Any]:
        return {"row_count": self.row_count,
                "rows": [[r.level, r.time_period_id, r.rows] for r in self.rows],
                "indicators": [{"column": i.column, "blank": i.blank,
                                "symbols": dict(i.symbols)} for i in self.indicators]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CellCounts:
        return cls(int(doc["row_count"]),
                   tuple(RowCount(str(level), int(t), int(n)) for level, t, n in doc["rows"]),
                   tuple(IndicatorCells(str(i["column"]), int(i["blank"]), tuple(
                       (str(s), int(n)) for s, n in i["symbols"].items()))
                       for i in doc["indicators"]))


@dataclass(frozen=True)
class VersionQuality:
    counts: CellCounts
    # The screening at import, whose warnings the publisher accepted (it had no errors);
    # None for a version imported before openstats kept reports with versions.
    screening: Report | None
