"""The data guidance text file that goes into every ZIP download."""

from __future__ import annotations

import textwrap
from typing import Any

from openstats.api import views


def variables(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, description) for each filter and indicator, in the data file's order.

    Filters read "<label> - <hint>", as EES's data-set page shows them.
    """
    described: dict[str, str] = {}
    for f in meta["filters"]:
        described[f["column"]] = f"{f['label']} - {f['hint']}" if f.get("hint") else f["label"]
    for i in meta["indicators"]:
        described[i["column"]] = i["label"]
    return [(c, described[c]) for c in meta["columns"] if c in described]


def data_set_section(row: dict[str, Any], meta: dict[str, Any],
                     footnotes: list[str]) -> str:
    lists = views.summary_lists(meta)
    lines = [
        row["title"], "-" * len(row["title"]), "",
        f"File name: {row['data_file_name']}",
        f"Geographic levels: {'; '.join(lists['geographicLevels'])}",
        "Time period: " + (lists["timePeriods"]["start"] if lists["timePeriods"]["start"]
                           == lists["timePeriods"]["end"] else
                           f"{lists['timePeriods']['start']} to {lists['timePeriods']['end']}"),
        "", "Summary:", *textwrap.wrap(row["summary"], 88), "",
        "Variable names and descriptions:",
    ]
    width = max((len(c) for c, _ in variables(meta)), default=10)
    lines += [f"  {c.ljust(width)}  {d}" for c, d in variables(meta)]
    if footnotes:
        lines += ["", "Footnotes:"]
        lines += [f"  {n}. {text}" for n, text in enumerate(footnotes, start=1)]
    return "\n".join(lines) + "\n"


def guidance_text(rows: list[tuple[dict[str, Any], dict[str, Any], list[str]]]) -> str:
    """The whole file: publication, release, guidance, then one section per data set."""
    first = rows[0][0]
    head = [
        first["publication_title"], f"Release: {first['release_title']}",
        f"Published: {first['published']:%d %B %Y}", "",
        "Data guidance", "=============", "",
        (first["data_guidance"] or "").strip() or "No guidance text was given.", "",
        "Data files", "==========", "",
    ]
    return "\n".join(head) + "\n" + "\n".join(data_set_section(*r) for r in rows)
