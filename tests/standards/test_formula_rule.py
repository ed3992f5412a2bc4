"""The screener's formula warning and the downloads' neutralising are one rule
(standards/formulas.py): the screener warns about exactly the cells a download changes.

Before, the screener had its own pattern: it warned about `+3` (a number a download keeps)
and missed full-width `＝`, a leading line break and `- foo` (which a download changes).
"""

from __future__ import annotations

from pathlib import Path

from openstats.standards import formulas

from .pairs import LAST_ROW, META_ROW, base

CELLS = ["=1+1", "+3", "-5", "-1,234.5", "12%", "+Sex", "- foo", "-SUM(1)", "@x", "\tx",
         "\nx", "\uff1dSUM(1)", "\uff0bx", "\uff0dx", "\uff20x", "+", "-", "-%", "1e5",
         "-.5", "+3.2e-4%", "-1abc", "Year -1", "'=x"]


def test_screener_warns_about_exactly_what_downloads_neutralise(tmp_path: Path,
                                                                reference_dir: Path) -> None:
    pair = base()
    for value in CELLS:
        pair.add_row(school_type=value)
    # Rows LAST_ROW + 1, ... hold the cells above, in order.
    pair.meta("sex", "label", "+3").meta("school_type", "label", "\uff1dSUM(1)")
    report = pair.screen(tmp_path, reference_dir)
    flagged = report.by_rule().get("data.formula", [])
    data_rows = {f.row for f in flagged if f.file == pair.data_name}
    expected = {LAST_ROW + 1 + n for n, value in enumerate(CELLS) if formulas.risky(value)}
    by_value = {CELLS[row - LAST_ROW - 1]: row in data_rows for row in
                range(LAST_ROW + 1, LAST_ROW + 1 + len(CELLS))}
    assert data_rows == expected, by_value
    # The rule is not vacuous: both kinds of cell are in the list.
    assert 0 < len(expected) < len(CELLS)
    meta_rows = {f.row for f in flagged if f.file == pair.meta_name}
    assert meta_rows == {META_ROW["school_type"]}  # the full-width =, not the number +3
