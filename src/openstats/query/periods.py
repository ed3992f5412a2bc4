"""Time periods as the public API writes them: `2020/2021|AY`, labels, and EES's order."""

from __future__ import annotations

from openstats.standards import time_periods

# EES's TimeIdentifier enum order, used for the ordinal of gt/gte/lt/lte and sorting.
EES_CODE_ORDER: tuple[str, ...] = (
    "T1", "T2", "T1T2", "T3", "AY", "AYQ1", "AYQ2", "AYQ3", "AYQ4", "CY", "CYQ1", "CYQ2",
    "CYQ3", "CYQ4", "P1", "P2", "FY", "FYQ1", "FYQ2", "FYQ3", "FYQ4", "TY", "TYQ1", "TYQ2",
    "TYQ3", "TYQ4", "RY", *(f"W{i}" for i in range(1, 53)), *(f"M{i}" for i in range(1, 13)),
)
ALL_CODES: tuple[str, ...] = tuple(sorted(EES_CODE_ORDER))
# Codes whose periods span two years (2020/2021): academic and fiscal kinds.
RANGE_CODES: tuple[str, ...] = tuple(
    c for c in EES_CODE_ORDER
    if c.startswith(("AY", "T", "FY", "TY")) or c in ("P1", "P2"))

_TERMS = {"T1": "Autumn term", "T2": "Spring term", "T1T2": "Autumn and spring term",
          "T3": "Summer term"}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


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


def label(csv_value: str, code: str) -> str:
    """Human label, as EES writes it: '2020/21 Autumn term', '2020-21 Q1', '2020 Week 5'."""
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
        return f"{start} {_MONTHS[int(code[1:]) - 1]}"
    return start


def ees_sort_key(csv_value: str, code: str) -> tuple[str, int]:
    """EES numbers a version's periods by (API period string, code in enum order)."""
    return api_period(csv_value), EES_CODE_ORDER.index(code)


def identifier_label(code: str) -> str:
    return time_periods.BY_CODE[code].label
