"""How a diff between two versions is written: the API's JSON (in the style of EES's
query results, with public ids) and the CSV download (in the open data standards'
columns, with labels). The API, the data-set page and the release page all use these.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from openstats.ingest import diff
from openstats.model.catalogue import DiffCounts
from openstats.present import ees
from openstats.query.diffs import Diff, DiffRow
from openstats.standards import formulas, geography


def summary(d: Diff) -> dict[str, Any]:
    """The counts and what was compared: indicators both versions have; the indicators
    and filters only one of them has."""
    old, new, shape = d.old_meta, d.new_meta, d.layout
    return {
        "version": d.new.version, "from": d.old.version,
        "counts": {"added": d.counts.added, "removed": d.counts.removed,
                   "changed": d.counts.changed},
        "indicators": [ees.indicator_view(new.indicator_by_column[c]) for c in shape.indicators],
        "indicatorsAdded": [ees.indicator_view(new.indicator_by_column[c])
                            for c in shape.indicators_added],
        "indicatorsRemoved": [ees.indicator_view(old.indicator_by_column[c])
                              for c in shape.indicators_removed],
        "filtersAdded": [ees.filter_view(new.filter_by_column[c]) for c in shape.filters_added],
        "filtersRemoved": [ees.filter_view(old.filter_by_column[c])
                           for c in shape.filters_removed],
    }


def row_view(r: DiffRow, d: Diff) -> dict[str, Any]:
    """One observation, as EES's query results write rows, with each indicator's value
    in both versions (null where the observation is not in that version)."""
    indicators = d.new_meta.indicator_by_column
    return {
        "change": r.change,
        "timePeriod": {"code": r.time_period.code, "period": r.time_period.api_period},
        "geographicLevel": r.level,
        "locations": {r.location.level: r.location.public_id},
        "filters": {f.public_id: o.public_id for f, o in r.options if o is not None},
        "values": {indicators[v.column].public_id: {"old": v.old, "new": v.new}
                   for v in r.values},
    }


def csv_header(d: Diff) -> list[str]:
    return ["change", "time_period", "time_identifier", "geographic_level", "location_code",
            "location_name", *d.layout.filters,
            *(f"{c}_{side}" for c in d.layout.indicators for side in ("old", "new"))]


def csv_rows(rows: Iterable[DiffRow]) -> Iterator[list[str]]:
    """Rows for csv_header's columns; labels from publishers' files stay text in
    spreadsheets (standards/formulas.py)."""
    for r in rows:
        cells = [r.change, r.time_period.period, r.time_period.identifier,
                 geography.BY_CODE[r.level].label, r.location.code, r.location.name,
                 *(o.label if o is not None else "" for _, o in r.options)]
        for v in r.values:
            cells += [v.old or "", v.new or ""]
        yield formulas.neutralise_row(cells)


# --- pages -----------------------------------------------------------------------------------
KIND_WORDS = {diff.ADDED: "Added", diff.REMOVED: "Removed", diff.CHANGED: "Changed"}


@dataclass(frozen=True)
class WhatChanged:
    """The "What changed in this version" section of a data-set page (and its line in a
    release's updates): counts, the CSV's address and the first rows."""

    data_set_id: str
    title: str
    version: str
    from_version: str
    counts: DiffCounts
    csv_url: str  # names both versions, so it always gives this diff
    page_url: str  # the data-set page's section
    header: list[str]
    rows: list[list[str]]  # the first few observations, in words
    indicators_added: list[str]  # labels
    indicators_removed: list[str]

    def words(self) -> str:
        """'2 observations added, 1 removed and 2 changed'."""
        c = self.counts
        noun = "observation" if c.added == 1 else "observations"
        return f"{c.added:,} {noun} added, {c.removed:,} removed and {c.changed:,} changed"


def csv_url(data_set_id: str, version: str, from_version: str) -> str:
    return (f"/api/v1/data-sets/{data_set_id}/versions/{version}/diff/csv?"
            + urlencode({"from": from_version}))


def what_changed(d: Diff, title: str, first: list[DiffRow]) -> WhatChanged:
    new, old = d.new_meta, d.old_meta
    labels = {c: (new.filter_by_column.get(c) or old.filter_by_column[c]).label
              for c in d.layout.filters}
    indicators = [new.indicator_by_column[c] for c in d.layout.indicators]
    header = ["Change", "Time period", "Location", *labels.values(),
              *(f"{i.label} ({side})" for i in indicators
                for side in (f"version {d.old.version}", f"version {d.new.version}"))]
    rows = []
    for r in first:
        cells = [KIND_WORDS[r.change], r.time_period.label, r.location.name,
                 *(o.label if o is not None else "" for _, o in r.options)]
        for v in r.values:
            cells += [v.old if v.old is not None else "", v.new if v.new is not None else ""]
        rows.append(cells)
    return WhatChanged(
        d.new.data_set_id, title, d.new.version, d.old.version, d.counts,
        csv_url(d.new.data_set_id, d.new.version, d.old.version),
        f"/data-catalogue/data-set/{d.new.data_set_id}?version={d.new.version}#what-changed",
        header, rows, [new.indicator_by_column[c].label for c in d.layout.indicators_added],
        [old.indicator_by_column[c].label for c in d.layout.indicators_removed])
