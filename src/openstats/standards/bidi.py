"""Characters that reorder text on screen (bidirectional controls): the screener's
warning about them, and `isolate`, which keeps their effect inside the text they are in.

U+202A-U+202E (embeddings and overrides), U+2066-U+2069 (isolates), U+200E and U+200F
(left-to-right and right-to-left marks) and U+061C (the Arabic letter mark) are
invisible and change the order in which characters are shown, not the order they are
stored in: "Rate\u202e%05" shows as "Rate50%", and an override left open in a label
reverses what follows it on the same line, numbers included (the "Trojan Source" trick,
CVE-2021-42574). English statistics labels have no use for them; a label in a
right-to-left script needs none either, since the Unicode algorithm orders it by itself.

Downloads (CSV, XLSX, the API) keep text exactly as published, formula-neutralised as
ever: a data file is a record of what the publisher sent. Pages isolate it (`isolate`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Protocol

CONTROLS = ("\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
            "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
            "\u200e\u200f\u061c")  # LRM RLM ALM
# The characters themselves, not escapes: Python's re and DuckDB's RE2 read this alike.
PATTERN = f"[{CONTROLS}]"
_FOUND = re.compile(PATTERN)
_OPENS_ISOLATE, _CLOSES_ISOLATE = "\u2066\u2067\u2068", "\u2069"
FSI, PDI = "\u2068", "\u2069"
RULE = "data.bidi"
CELL_MESSAGE = ("A value in {column} holds invisible characters that change the order it "
                "is shown in.")


def visible(text: str) -> str:
    """The text with each control written out, e.g. 'Rate[U+202E RIGHT-TO-LEFT OVERRIDE]%05'."""
    return _FOUND.sub(lambda m: f"[U+{ord(m[0]):04X} {unicodedata.name(m[0])}]", text)


def isolate(text: str) -> str:
    """`text` wrapped in a first-strong isolate (U+2068 ... U+2069) when it holds any
    bidirectional control, so that nothing it opens reaches the text around it.

    The wrapper must be the last thing closed: a stray U+2069 in the text would close
    it early, so one that closes nothing inside the text is dropped (it had no effect
    there anyway), and isolates the text leaves open are closed before ours. Embeddings
    and overrides left open end at our closing U+2069 by the Unicode algorithm's own
    rules. Text without controls comes back unchanged. The result is plain text (it
    works in any element, an attribute, a <title>): Jinja escapes it as usual.
    """
    if not _FOUND.search(text):
        return text
    out, depth = [FSI], 0
    for character in text:
        if character in _OPENS_ISOLATE:
            depth += 1
        elif character == _CLOSES_ISOLATE:
            if depth == 0:
                continue
            depth -= 1
        out.append(character)
    return "".join([*out, PDI * depth, PDI])


def isolate_plain_text(value: object) -> object:
    """Jinja's `finalize` for the public pages: every plain string a template prints
    (a title, a label, a name) is isolated; Markup (our own HTML, or sanitised markdown)
    and everything else pass unchanged. Applied to attribute values too, which is why it
    suits pages whose form values are ids, never labels (web/pages.py says so)."""
    return isolate(value) if type(value) is str else value


class Checker(Protocol):
    """What `check` needs of the screener's checker."""

    meta_file: str
    r: Any  # the report: add(rule, file, message, row=, column=, value=)
    s: Any  # the screening: .meta, the MetaColumns read from the meta file

    def add_matches(self, rule: str, pattern: str, column: str, message: str) -> None: ...


def check(checker: Checker, text_columns: list[str]) -> None:
    """Warn about bidirectional controls in the labels, hints and groupings of the meta
    file and in the text cells an import keeps (filter values, their groups, location
    names: `text_columns`). Called once, with the other row checks, while they are batched."""
    for m in checker.s.meta:
        for column in ("label", "filter_hint", "indicator_grouping"):
            value = getattr(m, column)
            if _FOUND.search(value):
                checker.r.add(RULE, checker.meta_file,
                              f"The {column} of '{m.name}' holds invisible characters that "
                              f"change the order it is shown in: '{visible(value)}'.",
                              row=m.row, column=column, value=value)
    for column in text_columns:
        checker.add_matches(RULE, PATTERN, column, CELL_MESSAGE)
