"""The data guidance text file that goes into every ZIP download."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from openstats.model.metadata import VersionMeta
from openstats.present import ees
from openstats.present.pages import DataSetRow


def variables(meta: VersionMeta) -> list[tuple[str, str]]:
    """(column, description) for each filter and indicator, in the data file's order.

    Filters read "<label> - <hint>", as EES's data-set page shows them.
    """
    described: dict[str, str] = {}
    for f in meta.filters:
        described[f.column] = f"{f.label} - {f.hint}" if f.hint else f.label
    for i in meta.indicators:
        described[i.column] = i.label
    return [(c, described[c]) for c in meta.columns if c in described]


@dataclass(frozen=True)
class GuidanceSection:
    row: DataSetRow
    meta: VersionMeta
    footnotes: list[str]


def data_set_section(section: GuidanceSection) -> str:
    row, meta = section.row, section.meta
    lists = ees.summary_lists(meta)
    lines = [
        row.title, "-" * len(row.title), "",
        f"File name: {row.data_file_name}",
        f"Geographic levels: {'; '.join(lists['geographicLevels'])}",
        "Time period: " + (lists["timePeriods"]["start"] if lists["timePeriods"]["start"]
                           == lists["timePeriods"]["end"] else
                           f"{lists['timePeriods']['start']} to {lists['timePeriods']['end']}"),
        "", "Summary:", *textwrap.wrap(row.summary, 88), "",
        "Variable names and descriptions:",
    ]
    width = max((len(c) for c, _ in variables(meta)), default=10)
    lines += [f"  {c.ljust(width)}  {d}" for c, d in variables(meta)]
    if section.footnotes:
        lines += ["", "Footnotes:"]
        lines += [f"  {n}. {text}" for n, text in enumerate(section.footnotes, start=1)]
    return "\n".join(lines) + "\n"


def guidance_text(sections: list[GuidanceSection]) -> str:
    """The whole file: publication, release, guidance, then one section per data set."""
    first = sections[0].row
    head = [
        first.publication_title, f"Release: {first.release_title}",
        f"Published: {first.published:%d %B %Y}", "",
        "Data guidance", "=============", "",
        (first.data_guidance or "").strip() or "No guidance text was given.", "",
        "Data files", "==========", "",
    ]
    return "\n".join(head) + "\n" + "\n".join(data_set_section(s) for s in sections)
