"""A location page as readers see it: the place, and every public data set that has it,
each with a link into the table tool already set to that place."""

from __future__ import annotations

from dataclasses import dataclass

from openstats.catalogue.data_sets import MetadataCache
from openstats.catalogue.locations import Holder
from openstats.catalogue.published import View
from openstats.catalogue.questions import Answer
from openstats.present.pages import DataSetRow, data_set_row
from openstats.present.questions import table_link
from openstats.standards import geography


@dataclass(frozen=True)
class LocationHolderRow:
    row: DataSetRow
    names: tuple[str, ...]  # how this data set names the place
    table_link: str


@dataclass(frozen=True)
class LocationPage:
    level: str
    level_label: str
    identifier: str
    name: str  # the place's name as the data sets have it, or "" when none has it
    data_sets: tuple[LocationHolderRow, ...]  # by title


def location_page(level: str, identifier: str, holders: tuple[Holder, ...], view: View,
                  metadata: MetadataCache) -> LocationPage:
    rows = []
    for holder in holders:
        item = view.latest(holder.data_set_id)
        if item is None:
            continue
        meta = metadata.get(item.version_id)
        names = tuple(dict.fromkeys(meta.location_by_public_id[ref].name
                                    for ref in holder.location_ids
                                    if ref in meta.location_by_public_id))
        link = table_link(holder.data_set_id,
                          Answer(holder.data_set_id, (), {"location": holder.location_ids}))
        rows.append(LocationHolderRow(data_set_row(item), names, link))
    rows.sort(key=lambda r: (r.row.title.lower(), r.row.data_set_id))
    # The name most data sets use (the first of them on a tie).
    spelled = [n for r in rows for n in r.names[:1]]
    name = max(dict.fromkeys(spelled), key=spelled.count) if spelled else ""
    return LocationPage(level, geography.BY_CODE[level].label, identifier, name, tuple(rows))
