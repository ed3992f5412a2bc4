"""Footnotes: text attached to a data set, or to one of its filters, options or indicators.

Stored as JSON on the data set: a plain string is a footnote on the whole data set (as
manifests write them); an object names its target: {"text", "filter"}, {"text",
"filter", "option"} or {"text", "indicator"}, by column and label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Footnote:
    text: str
    filter: str = ""  # a filter column
    option: str = ""  # an option label of that filter
    indicator: str = ""  # an indicator column

    def as_json(self) -> str | dict[str, str]:
        if not (self.filter or self.indicator):
            return self.text
        return {k: v for k, v in (("text", self.text), ("filter", self.filter),
                                  ("option", self.option), ("indicator", self.indicator)) if v}


def parse(items: list[Any]) -> list[Footnote]:
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(Footnote(item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append(Footnote(item["text"], str(item.get("filter", "")),
                                str(item.get("option", "")), str(item.get("indicator", ""))))
    return out


def problem(note: Footnote, meta: dict[str, Any]) -> str | None:
    """Why a footnote's target is not in the data set, or None when it is."""
    if note.indicator and note.indicator not in {i["column"] for i in meta["indicators"]}:
        return f"no indicator '{note.indicator}'"
    if note.filter:
        f = next((f for f in meta["filters"] if f["column"] == note.filter), None)
        if f is None:
            return f"no filter '{note.filter}'"
        if note.option and note.option not in {o["label"] for o in f["options"]}:
            return f"filter '{note.filter}' has no option '{note.option}'"
    return None


def label(note: Footnote, meta: dict[str, Any]) -> str:
    """What a footnote applies to, in words ('' for the whole data set)."""
    if note.indicator:
        names = {i["column"]: i["label"] for i in meta["indicators"]}
        return f"Indicator: {names.get(note.indicator, note.indicator)}"
    if note.filter:
        names = {f["column"]: f["label"] for f in meta["filters"]}
        head = names.get(note.filter, note.filter)
        return f"{head}: {note.option}" if note.option else f"Filter: {head}"
    return ""


def for_page(items: list[Any], meta: dict[str, Any]) -> list[dict[str, str]]:
    return [{"text": n.text, "applies_to": label(n, meta)} for n in parse(items)]


def for_table(items: list[Any], meta: dict[str, Any], options: dict[str, set[str]],
              indicators: set[str]) -> list[dict[str, str]]:
    """Footnotes that apply to a table: chosen option labels by filter column, indicator
    columns chosen."""
    out = []
    for n in parse(items):
        if n.indicator and n.indicator not in indicators:
            continue
        if n.filter and n.option and n.option not in options.get(n.filter, set()):
            continue
        out.append({"text": n.text, "applies_to": label(n, meta)})
    return out
