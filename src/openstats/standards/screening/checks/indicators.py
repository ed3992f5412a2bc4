"""Checks of the indicator columns: every cell a number or one of the symbols
(standards/symbols.py), obsolete symbols named with their replacement."""

from __future__ import annotations

from functools import partial
from typing import Any

from openstats.standards import symbols
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.sql import blank, lit, q


def check_indicators(ck: Checker) -> None:
    header = set(ck.s.header)
    allowed = ", ".join(lit(s) for s in symbols.SYMBOLS)
    obsolete = ", ".join(lit(s) for s in symbols.OBSOLETE_SYMBOLS)
    nulls = ", ".join(lit(s) for s in symbols.NULL_MARKERS)
    for m in ck.s.indicators:
        c = m.name
        if c not in header:
            continue
        ck.add_rows("data.indicator.blank", blank(c), c, "Blank cell in indicator {column}.")
        ck.when_rows(f"trim({q(c)}) IN ({obsolete})", q(c), partial(report_obsolete, ck, c))
        # Numbers first: most cells are, and for them the other tests need not run.
        text = (f"NOT regexp_full_match(trim({q(c)}), {lit(symbols.NUMBER_PATTERN[1:-1])}) "
                f"AND NOT {blank(c)} AND trim({q(c)}) NOT IN ({allowed}, {obsolete}, "
                f"{nulls})")
        if m.indicator_unit == "numberstring":
            continue  # codes and identifiers: text is expected
        ck.add_rows("data.indicator.not_numeric", text, c,
                    "'{value}' in {column} is neither a number nor a symbol.")


def report_obsolete(ck: Checker, c: str, rows: list[tuple[Any, ...]], total: int) -> None:
    for i, (row, value) in enumerate(rows):
        ck.r.add("data.indicator.obsolete_symbol", ck.data,
                 f"'{value}' in {c}: use '{symbols.OBSOLETE_SYMBOLS[value.strip()]}'.",
                 row=row, column=c, value=value,
                 more=total - len(rows) if i == len(rows) - 1 else 0)
