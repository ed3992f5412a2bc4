"""How a diff between two versions is written: the API's JSON (in the style of EES's
query results, with public ids) and the CSV download (in the open data standards'
columns, with labels). The API, the data-set page and the release page all use these.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from openstats import formulas
from openstats.present import ees
from openstats.query.diffs import Diff, DiffRow
from openstats.standards import geography


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
    spreadsheets (formulas.py)."""
    for r in rows:
        cells = [r.change, r.time_period.period, r.time_period.identifier,
                 geography.BY_CODE[r.level].label, r.location.code, r.location.name,
                 *(o.label if o is not None else "" for _, o in r.options)]
        for v in r.values:
            cells += [v.old or "", v.new or ""]
        yield formulas.neutralise_row(cells)
