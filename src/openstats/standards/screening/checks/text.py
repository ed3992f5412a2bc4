"""Text that other software would run: spreadsheet formulas and HTML markup, in the meta
file's fields (meta.py calls these patterns) and in the text cells an import keeps."""

from __future__ import annotations

import re

from openstats.standards import formulas, geography
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.sql import q

# Text a spreadsheet would take for a formula (CSV injection) is what standards/formulas.py
# says it is: the same cells a download neutralises, in the data file (risky_sql) and in
# the meta file (risky).
FORMULA_MESSAGE = ("'{value}' in {column} starts like a spreadsheet formula: a spreadsheet "
                   "opening a download could run it.")
# An HTML tag or comment: '<' and a letter, '/' or '!', up to a '>'. "<5" is not one.
MARKUP = re.compile(r"<\s*[A-Za-z/!][^>]*>")
MARKUP_MESSAGE = "'{value}' in {column} looks like HTML; it will be shown as typed."


def check_text_cells(ck: Checker) -> None:
    """Formulas and markup in the text columns an import keeps: filters, their groups
    and location names. Both are stored and shown as typed (escaped on every page), so
    they only warn: a spreadsheet opening a download would run a formula, and markup
    in a label is almost always pasted by mistake."""
    for c in text_columns(ck):
        ck.add_rows("data.formula", formulas.risky_sql(q(c)), c, FORMULA_MESSAGE)
        ck.add_matches("data.markup", MARKUP.pattern, c, MARKUP_MESSAGE)


def text_columns(ck: Checker) -> list[str]:
    """The data file's text columns an import keeps: filters, their groups and
    location names."""
    header = ck.s.header
    names = {lv.name_column for lv in geography.LEVELS}
    columns = [c for m in ck.s.filters for c in (m.name, m.filter_grouping_column)
               if c in header]
    columns += [c for c in header if c in names]
    return list(dict.fromkeys(columns))


def check_text(ck: Checker, text: str, file: str, row: int, column: str) -> None:
    """Formula and markup warnings for one piece of text from the meta file."""
    if formulas.risky(text):
        ck.r.add("data.formula", file, FORMULA_MESSAGE.format(value=text, column=column),
                 row=row, column=column, value=text)
    if MARKUP.search(text):
        ck.r.add("data.markup", file, MARKUP_MESSAGE.format(value=text, column=column),
                 row=row, column=column, value=text)
