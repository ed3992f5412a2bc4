"""What changed in a published version since the one before, for readers: the API's
/changes answer and the data-set page's version history show the same thing."""

from __future__ import annotations

from openstats.catalogue.db import Catalogue
from openstats.catalogue.published import View
from openstats.ingest.changes import NONE, Changes, compare
from openstats.model.public import PublicDataSet


def version_changes(catalogue: Catalogue, view: View, item: PublicDataSet) -> Changes:
    """As import recorded them (ingest/changes.py); for versions imported before changes
    were stored that way, compared now with the same rule. The first version has none."""
    stored = Changes.from_json(catalogue.metadata.changes(item.version_id))
    if stored is not None:
        return stored
    older = [d for d in view.versions_of(item.data_set_id)
             if d.version.number < item.version.number]
    if not older:
        return NONE
    return compare(catalogue.metadata.get(older[0].version_id),
                   catalogue.metadata.get(item.version_id))
