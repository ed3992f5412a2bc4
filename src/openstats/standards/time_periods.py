"""Time identifiers of the open data standards, their API codes and period formats."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TimeIdentifier:
    label: str  # as written in the data file's time_identifier column
    code: str  # the public API's code
    digits: int  # 4 (a single year) or 6 (a year spanning two: 201718)
    family: str  # a file may mix identifiers of one family only
    order: int  # sort order within a year (e.g. terms, months, weeks)
    screener_rejects: bool = False  # EES's importer accepts these, its screener does not
    # How a 6-digit period is shown: "/" for academic years (2017/18), "-" otherwise.
    separator: str = "-"


def _build() -> tuple[TimeIdentifier, ...]:
    rows: list[TimeIdentifier] = []

    def add(label: str, code: str, digits: int, family: str, **kw: object) -> None:
        rows.append(TimeIdentifier(label, code, digits, family, len(rows), **kw))  # type: ignore[arg-type]

    add("Academic year", "AY", 6, "academic", separator="/")
    for q in range(1, 5):
        add(f"Academic year Q{q}", f"AYQ{q}", 6, "academic-quarter", screener_rejects=True,
            separator="/")
    add("Calendar year", "CY", 4, "calendar")
    for q in range(1, 5):
        add(f"Calendar year Q{q}", f"CYQ{q}", 4, "calendar-quarter", screener_rejects=True)
    add("Financial year", "FY", 6, "financial")
    for q in range(1, 5):
        add(f"Financial year Q{q}", f"FYQ{q}", 6, "financial-quarter")
    add("Tax year", "TY", 6, "tax")
    for q in range(1, 5):
        add(f"Tax year Q{q}", f"TYQ{q}", 6, "tax-quarter", screener_rejects=True)
    add("Reporting year", "RY", 4, "reporting")
    add("Autumn term", "T1", 6, "term", separator="/")
    add("Autumn and spring term", "T1T2", 6, "autumn-spring", separator="/")
    add("Spring term", "T2", 6, "term", separator="/")
    add("Summer term", "T3", 6, "term", separator="/")
    add("Part 1 (April to September)", "P1", 6, "part")
    add("Part 2 (October to March)", "P2", 6, "part")
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    for i, month in enumerate(months, start=1):
        add(month, f"M{i}", 4, "month")
    for week in range(1, 53):
        add(f"Week {week}", f"W{week}", 4, "week")
    return tuple(rows)


IDENTIFIERS: tuple[TimeIdentifier, ...] = _build()
BY_LABEL: dict[str, TimeIdentifier] = {t.label.lower(): t for t in IDENTIFIERS}
BY_CODE: dict[str, TimeIdentifier] = {t.code: t for t in IDENTIFIERS}

PERIOD_PATTERN = re.compile(r"^\d{4}(\d{2})?$")


def period_problem(period: str, identifier: TimeIdentifier | None) -> str | None:
    """Why `period` is not a valid period for `identifier`, or None when it is.

    With no (known) identifier, only the shape is checked: 4 digits, or 6 digits for
    two consecutive years.
    """
    if not PERIOD_PATTERN.match(period):
        return "must be 4 digits (2017) or 6 digits (201718), with no '/' or '-'"
    if identifier is not None and len(period) != identifier.digits:
        example = "2017" if identifier.digits == 4 else "201718"
        return f"'{identifier.label}' needs {identifier.digits} digits, like {example}"
    if len(period) == 6:
        first, second = int(period[2:4]), int(period[4:6])
        if second != (first + 1) % 100:
            return "a 6-digit period must cover two consecutive years, like 201718"
    return None


def period_label(period: str, identifier: TimeIdentifier) -> str:
    """How people read a period: 2017/18 for academic years, 2017-18 for financial ones."""
    if len(period) == 6:
        return f"{period[:4]}{identifier.separator}{period[4:]}"
    return period


def sort_key(period: str, identifier: TimeIdentifier) -> tuple[int, int]:
    """Periods in time order: by starting year, then by position within the year."""
    return int(period[:4]), identifier.order
