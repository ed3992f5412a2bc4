"""Spreadsheet formula injection: text we write into CSV or spreadsheet files stays text.

A cell that starts with `=`, `+`, `-` or `@` (or a tab, carriage return or line break,
which some programs skip before looking) is read as a formula when a CSV file is opened in Excel,
LibreOffice or Google Sheets; a label such as `=HYPERLINK("http://evil", "Click")` or
`=cmd|' /C calc'!A0` would then run. Following OWASP's advice, such text cells get a
single quote in front (`'=HYPERLINK(...)`), which spreadsheets read as "this is text".

Numbers are left alone: `-5`, `-1,234.5`, `-12%` or `+3` start with a sign but are plain
numbers that cannot call anything, and readers need them to stay numbers. Full-width
forms of the four characters (`＝＋－＠`) are treated like them, as some spreadsheets do.

Where this applies: the table tool's CSV, XLSX and ODS downloads (`exports/tables.py`) and
the audit log CSV. Where it does not, on purpose: the data and meta files a publisher
uploaded are served byte for byte (their SHA-256 is published and tested); changing a
cell there would break that promise and the open data standards' file, so those files
are what the publisher wrote, as EES serves them too. The screener warns about the same
cells, by the same rule (`risky_sql` is `risky` for DuckDB), so that a publisher learns
which of their labels a download will change, and of no others.
"""

from __future__ import annotations

import re

from openstats.standards.screening.sql import lit

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A plain number as we format or store them: sign, digits with optional thousands commas,
# decimals, exponent, and a trailing % (percentages), nothing that could name a function.
NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?%?")


# The same two tests as regular expressions that Python, RE2 (DuckDB) and Arrow all read
# alike: for the vectorised and SQL forms of `risky` below and in exports/flat_table.py.
_IN_A_CLASS = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "-": "\\-"}
STARTS_LIKE_A_FORMULA = "^[" + "".join(_IN_A_CLASS.get(c, c) for c in TRIGGERS) + "]"
WHOLE_NUMBER = f"^(?:{NUMBER.pattern})$"


def is_plain_number(text: str) -> bool:
    return bool(text) and any(c.isdigit() for c in text) and NUMBER.fullmatch(text) is not None


def risky(text: str) -> bool:
    """True when a spreadsheet could read this text cell as a formula."""
    return text.startswith(TRIGGERS) and not is_plain_number(text)


def risky_sql(column: str) -> str:
    """`risky` as a DuckDB condition on a text column (a quoted name or an expression)."""
    return (f"(regexp_matches({column}, {lit(STARTS_LIKE_A_FORMULA)}) AND NOT "
            f"(regexp_matches({column}, {lit(WHOLE_NUMBER)}) AND "
            f"regexp_matches({column}, '[0-9]')))")


def neutralise(text: str) -> str:
    """The cell as it may be written to a CSV file: risky text gets a leading `'`."""
    return "'" + text if risky(text) else text


def neutralise_row(row: list[str]) -> list[str]:
    return [neutralise(cell) if isinstance(cell, str) else cell for cell in row]
