"""A version's quality report as readers see it, on its page and in the API (the same
objects, the same numbers): the screener's warnings accepted at import, rows by
geographic level and by time period, and per indicator the share of cells that are blank
or carry each symbol.

Reports are stored with their versions at import (ingest/quality.py). A version imported
before that has none stored: its counts are made from its Parquet file when first asked
for (the same count as at import) and kept in this process, and its report says its
screening was not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from openstats.ingest.quality import count_cells
from openstats.model.metadata import Indicator, TimePeriod, VersionMeta
from openstats.model.public import PublicDataSet
from openstats.model.quality import CellCounts, VersionQuality
from openstats.platform import Platform
from openstats.standards import geography, symbols
from openstats.standards.findings import Finding
from openstats.standards.rules import RULES

_COUNTED: OrderedDict[str, VersionQuality] = OrderedDict()
_LOCK = threading.Lock()
_COUNTED_SIZE = 64


def version_quality(p: Platform, item: PublicDataSet) -> VersionQuality:
    """The stored report, or (a version imported before reports were kept) one counted now."""
    found = p.catalogue.metadata.quality(item.version_id)
    if found is not None:
        return found
    with _LOCK:
        if item.version_id in _COUNTED:
            return _COUNTED[item.version_id]
    meta = p.catalogue.metadata.get(item.version_id)
    parquet = p.storage.file(item.version.storage_key, "data.parquet")
    counted = VersionQuality(count_cells(p.engine.con.cursor(), parquet,
                                         [i.column for i in meta.indicators]), None)
    with _LOCK:
        _COUNTED[item.version_id] = counted
        while len(_COUNTED) > _COUNTED_SIZE:
            _COUNTED.popitem(last=False)
    return counted


@dataclass(frozen=True)
class Cells:
    """A number of cells and their share of all an indicator's cells (0 to 1)."""

    count: int
    share: float

    @property
    def percent(self) -> str:
        if self.count and self.share < 0.001:
            return "less than 0.1%"
        return f"{self.share * 100:.1f}%"


@dataclass(frozen=True)
class IndicatorQuality:
    indicator: Indicator
    blank: Cells
    symbols: tuple[tuple[str, Cells], ...]  # every symbol of the report's columns, in order
    values: Cells  # neither blank nor a symbol: numbers (or text for a numberstring unit)


@dataclass(frozen=True)
class WarningRule:
    """One screener rule that warned, with the findings it listed."""

    rule: str
    title: str
    advice: str
    count: int
    findings: tuple[Finding, ...]
    unlisted: int


@dataclass(frozen=True)
class QualityReport:
    row_count: int
    screening_kept: bool
    warning_count: int
    warnings: tuple[WarningRule, ...]
    rows_by_level: tuple[tuple[str, str, int], ...]  # (code, label, rows), national first
    rows_by_time_period: tuple[tuple[TimePeriod, int], ...]  # in time order
    symbols: tuple[tuple[str, str], ...]  # (symbol, meaning): the symbols this version has
    indicators: tuple[IndicatorQuality, ...]


def _cells(count: int, total: int) -> Cells:
    return Cells(count, count / total if total else 0.0)


def report(quality: VersionQuality, meta: VersionMeta) -> QualityReport:
    counts: CellCounts = quality.counts
    total = counts.row_count
    # Every current symbol, then any obsolete one a cell still carries.
    shown = [*symbols.SYMBOLS, *(s for s in counts.symbols_present()
                                 if s not in symbols.SYMBOLS)]
    by_column = {c.column: c for c in counts.indicators}
    indicators = []
    for ind in meta.indicators:
        cells = by_column.get(ind.column)
        if cells is None:
            continue
        carried = sum(n for _, n in cells.symbols)
        indicators.append(IndicatorQuality(
            ind, _cells(cells.blank, total),
            tuple((s, _cells(cells.count_of(s), total)) for s in shown),
            _cells(total - cells.blank - carried, total)))
    warnings: list[WarningRule] = []
    screening = quality.screening
    if screening is not None:
        for rule_id, findings in screening.by_rule().items():
            rule = RULES[rule_id]
            if rule.severity == "warning":
                warnings.append(WarningRule(rule_id, rule.title, rule.advice,
                                            screening.counts.get(rule_id, 0),
                                            tuple(findings), screening.unlisted(rule_id)))
    by_period = counts.rows_by_time_period()
    return QualityReport(
        total, screening is not None,
        screening.count_of("warning") if screening is not None else 0, tuple(warnings),
        tuple((code, geography.BY_CODE[code].label, n) for code, n in counts.rows_by_level()),
        tuple((t, by_period[t.id]) for t in meta.time_periods if t.id in by_period),
        tuple((s, symbols.meaning(s)) for s in shown), tuple(indicators))


def api_body(item: PublicDataSet, r: QualityReport) -> dict[str, Any]:
    """The API's answer (an openstats extension): the report in the API's words."""
    def cells(c: Cells) -> dict[str, Any]:
        return {"count": c.count, "share": c.share}

    return {
        "dataSetId": item.data_set_id, "version": item.version.version,
        "totalResults": r.row_count,
        "screening": {
            "kept": r.screening_kept, "warningCount": r.warning_count,
            "warnings": [{"rule": w.rule, "title": w.title, "advice": w.advice,
                          "count": w.count, "unlisted": w.unlisted,
                          "findings": [{"file": f.file, "row": f.row, "column": f.column,
                                        "value": f.value, "message": f.message}
                                       for f in w.findings]} for w in r.warnings]},
        "rowsByGeographicLevel": [{"code": code, "label": label, "rows": n}
                                  for code, label, n in r.rows_by_level],
        "rowsByTimePeriod": [{"period": t.api_period, "code": t.code, "label": t.label,
                              "rows": n} for t, n in r.rows_by_time_period],
        "symbols": [{"symbol": s, "meaning": m} for s, m in r.symbols],
        "indicators": [{"id": i.indicator.public_id, "column": i.indicator.column,
                        "label": i.indicator.label, "blank": cells(i.blank),
                        "symbols": {s: cells(c) for s, c in i.symbols},
                        "values": cells(i.values)} for i in r.indicators],
    }
