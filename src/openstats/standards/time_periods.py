"""Time identifiers of the open data standards, their API codes, period formats and labels.

The only home of what a time period looks like: the CSV form (`201718`), the public API's
form (`2017/2018`), the label people read (`2017/18 Autumn term`, `2017 March`), which
codes span two years, and EES's order of codes. The screener, the importer, the query
engine, the API, the table tool and the pages all ask this module.
"""

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


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _build() -> tuple[TimeIdentifier, ...]:
    rows: list[TimeIdentifier] = []

    def add(label: str, code: str, digits: int, family: str,
            screener_rejects: bool = False) -> None:
        rows.append(TimeIdentifier(label, code, digits, family, len(rows), screener_rejects))

    add("Academic year", "AY", 6, "academic")
    for q in range(1, 5):
        add(f"Academic year Q{q}", f"AYQ{q}", 6, "academic-quarter", screener_rejects=True)
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
    add("Autumn term", "T1", 6, "term")
    add("Autumn and spring term", "T1T2", 6, "autumn-spring")
    add("Spring term", "T2", 6, "term")
    add("Summer term", "T3", 6, "term")
    add("Part 1 (April to September)", "P1", 6, "part")
    add("Part 2 (October to March)", "P2", 6, "part")
    for i, month in enumerate(MONTHS, start=1):
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


def sort_key(period: str, identifier: TimeIdentifier) -> tuple[int, int]:
    """Periods in time order: by starting year, then by position within the year."""
    return int(period[:4]), identifier.order


# EES's TimeIdentifier enum order, used for the ordinal of gt/gte/lt/lte and sorting.
EES_CODE_ORDER: tuple[str, ...] = (
    "T1", "T2", "T1T2", "T3", "AY", "AYQ1", "AYQ2", "AYQ3", "AYQ4", "CY", "CYQ1", "CYQ2",
    "CYQ3", "CYQ4", "P1", "P2", "FY", "FYQ1", "FYQ2", "FYQ3", "FYQ4", "TY", "TYQ1", "TYQ2",
    "TYQ3", "TYQ4", "RY", *(f"W{i}" for i in range(1, 53)), *(f"M{i}" for i in range(1, 13)),
)
ALL_CODES: tuple[str, ...] = tuple(sorted(EES_CODE_ORDER))
# Codes whose periods span two years (2020/2021): the identifiers written with 6 digits.
RANGE_CODES: tuple[str, ...] = tuple(c for c in EES_CODE_ORDER if BY_CODE[c].digits == 6)

_TERMS = {"T1": "Autumn term", "T2": "Spring term", "T1T2": "Autumn and spring term",
          "T3": "Summer term"}


def api_period(csv_period: str) -> str:
    """'202021' -> '2020/2021'; '2020' -> '2020'."""
    if len(csv_period) == 6:
        # Keep the year's four digits (0999 -> 0999/1000): the API reader wants \d{4}.
        start = int(csv_period[:4])
        return f"{csv_period[:4]}/{start + 1:04d}"
    return csv_period


def csv_period(api_value: str, code: str) -> str:
    """The stored form of an API period: '2020/2021' or (for range codes) '2020' -> '202021'."""
    start = api_value.split("/")[0]
    if code in RANGE_CODES or "/" in api_value:
        return f"{start}{(int(start) + 1) % 100:02d}"
    return start


def full_api_period(period: str, code: str) -> str:
    """A single year on a range code means that year and the next: 2020|AY = 2020/2021."""
    if "/" not in period and code in RANGE_CODES:
        return f"{period}/{int(period) + 1}"
    return period


def label(csv_value: str, code: str) -> str:
    """The label people read, as EES writes it: '2020/21 Autumn term', '2020-21 Q1',
    '2020 Week 5', '2017 March'. Every page, table, download and API answer uses it."""
    start = csv_value[:4]
    short = f"{(int(start) + 1) % 100:02d}"
    academic = f"{start}/{short}"
    fiscal = f"{start}-{short}"
    if code == "AY":
        return academic
    if code.startswith("AYQ"):
        return f"{academic} Q{code[-1]}"
    if code in _TERMS:
        return f"{academic} {_TERMS[code]}"
    if code in ("CY", "RY"):
        return start
    if code.startswith("CYQ"):
        return f"{start} Q{code[-1]}"
    if code in ("FY", "TY"):
        return fiscal
    if code.startswith(("FYQ", "TYQ")):
        return f"{fiscal} Q{code[-1]}"
    if code == "P1":
        return f"{fiscal} Part 1 (Apr to Sep)"
    if code == "P2":
        return f"{fiscal} Part 2 (Oct to Mar)"
    if code.startswith("W"):
        return f"{start} Week {code[1:]}"
    if code.startswith("M"):
        return f"{start} {MONTHS[int(code[1:]) - 1]}"
    return start


def ees_sort_key(csv_value: str, code: str) -> tuple[str, int]:
    """EES numbers a version's periods by (API period string, code in enum order)."""
    return api_period(csv_value), EES_CODE_ORDER.index(code)
