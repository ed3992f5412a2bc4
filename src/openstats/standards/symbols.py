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

# Every symbol an indicator cell may carry once imported: the current ones, then the
# obsolete ones (a warning at screening, so an accepted import may keep them).
CELL_SYMBOLS: tuple[str, ...] = (*SYMBOLS, *OBSOLETE_SYMBOLS)


def meaning(symbol: str) -> str:
    """What a cell symbol means, in words ('not available'; an obsolete one names the
    symbol to use instead)."""
    if symbol in SYMBOLS:
        return SYMBOLS[symbol]
    instead = OBSOLETE_SYMBOLS[symbol]
    return f"obsolete: use '{instead}' ({SYMBOLS[instead]})"
