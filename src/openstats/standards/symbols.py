"""Symbols allowed in indicator cells, and obsolete ones with what to use instead."""

from __future__ import annotations

# Symbol -> meaning (GSS guidance, as adopted by the open data standards).
SYMBOLS: dict[str, str] = {
    "c": "confidential or suppressed",
    "x": "not available",
    "z": "not applicable",
    "u": "low reliability",
    "low": "rounds to 0, but is not 0",
    "k": "rounds to 0, but is not 0 (sensitive data)",
}

# Obsolete symbol -> the symbol to use instead.
OBSOLETE_SYMBOLS: dict[str, str] = {
    ":": "x",
    "~": "low",
    ".": "x",
    "-": "z",
    "..": "x",
    "N/A": "z",
    "n/a": "z",
}

# Values that are never data: a program's missing-value marker leaked into the file.
NULL_MARKERS: frozenset[str] = frozenset({"NULL", "Null", "null", "NA", "na"})

NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
