"""Footnotes: text a publisher attaches to a data set, or to one of its filters, options or
indicators, in a release version.

Stored as JSON: a plain string is a footnote on the whole data set (as manifests write
them); an object names its target: {"text", "filter"}, {"text", "filter", "option"} or
{"text", "indicator"}, by column and label, so a footnote survives a new version of the
data whose ids changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from openstats.model.metadata import VersionMeta


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

    def problem(self, meta: VersionMeta) -> str | None:
        """Why this footnote's target is not in the data set, or None when it is."""
        if self.indicator and self.indicator not in meta.indicator_by_column:
            return f"no indicator '{self.indicator}'"
        if self.filter:
            f = meta.filter_by_column.get(self.filter)
            if f is None:
                return f"no filter '{self.filter}'"
            if self.option and self.option not in f.option_by_label:
                return f"filter '{self.filter}' has no option '{self.option}'"
        return None

    def applies_to(self, meta: VersionMeta) -> str:
        """What the footnote applies to, in words ('' for the whole data set)."""
        if self.indicator:
            indicator = meta.indicator_by_column.get(self.indicator)
            return f"Indicator: {indicator.label if indicator else self.indicator}"
        if self.filter:
            f = meta.filter_by_column.get(self.filter)
            head = f.label if f else self.filter
            return f"{head}: {self.option}" if self.option else f"Filter: {head}"
        return ""

    def applies_to_table(self, options: dict[str, set[str]], indicators: set[str]) -> bool:
        """Whether it belongs under a table of these option labels (by filter column) and
        indicator columns."""
        if self.indicator and self.indicator not in indicators:
            return False
        return not (self.filter and self.option
                    and self.option not in options.get(self.filter, set()))


@dataclass(frozen=True)
class ShownFootnote:
    """A footnote as pages show it: its text and what it applies to, in words."""

    text: str
    applies_to: str


def parse(items: list[Any]) -> tuple[Footnote, ...]:
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(Footnote(item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append(Footnote(item["text"], str(item.get("filter", "")),
                                str(item.get("option", "")), str(item.get("indicator", ""))))
    return tuple(out)


def loads(text: str) -> tuple[Footnote, ...]:
    return parse(json.loads(text or "[]"))


def dumps(notes: tuple[Footnote, ...] | list[Footnote]) -> str:
    return json.dumps([n.as_json() for n in notes], ensure_ascii=False)


def shown(notes: tuple[Footnote, ...], meta: VersionMeta) -> list[ShownFootnote]:
    return [ShownFootnote(n.text, n.applies_to(meta)) for n in notes]


def for_table(notes: tuple[Footnote, ...], meta: VersionMeta, options: dict[str, set[str]],
              indicators: set[str]) -> list[ShownFootnote]:
    """Footnotes that apply to a table: chosen option labels by filter column, indicator
    columns chosen."""
    return [ShownFootnote(n.text, n.applies_to(meta)) for n in notes
            if n.applies_to_table(options, indicators)]
