"""The screener keeps which columns each aggregate reads (engine._COLUMNS_READ), by the
expression's text: a file screened with those answers kept gets the very report it gets
with none kept, and a second file with the same header adds nothing to what is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from openstats.standards.findings import report_to_json
from openstats.standards.screening import engine

from .pairs import Pair, base


def broken() -> Pair:
    """A finding in a grouped column (time) and one in an indicator: the kept answers
    decide which table each kind of count is taken from."""
    return base().cell(3, "time_period", "2018/19").cell(4, "enrolments", "about 500")


def test_kept_columns_change_no_report(tmp_path: Path, reference_dir: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_COLUMNS_READ", {})
    first = report_to_json(broken().screen(tmp_path / "a", reference_dir))
    assert {"data.time.period_malformed", "data.indicator.not_numeric"} <= {
        f["rule"] for f in first["findings"]}, first
    kept = dict(engine._COLUMNS_READ)
    assert kept, "the screening kept no answers"
    assert report_to_json(broken().screen(tmp_path / "b", reference_dir)) == first
    assert engine._COLUMNS_READ == kept  # nothing new to parse: all were kept
    engine._COLUMNS_READ.clear()
    assert report_to_json(broken().screen(tmp_path / "c", reference_dir)) == first
