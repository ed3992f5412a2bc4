"""The "What changed in this version" section of data-set pages and the release page's
updates: the observation-level diff of a version from the one published before it."""

from __future__ import annotations

from fastapi import Request

from openstats.catalogue import version_specs
from openstats.catalogue.published import View
from openstats.dependencies import version_diffs
from openstats.model.public import PublicDataSet, PublicRelease
from openstats.present.diffs import WhatChanged, what_changed

FIRST_ROWS = 10  # observations shown on the page; the CSV has them all


def _pair(view: View, item: PublicDataSet) -> version_specs.Pair | None:
    try:
        return version_specs.resolve_pair(item.version.version, None,
                                          view.versions_of(item.data_set_id))
    except version_specs.VersionChoiceError:
        return None  # a first version: nothing was published before it


def _section(request: Request, item: PublicDataSet, pair: version_specs.Pair) -> WhatChanged:
    diffs = version_diffs(request)
    d = diffs.get(pair.old.version, pair.new.version)
    return what_changed(d, item.title, diffs.rows(d, 0, FIRST_ROWS))


def of_version(request: Request, view: View, item: PublicDataSet) -> WhatChanged | None:
    """What changed in `item` since the version before it in `view`; None for a first
    version."""
    pair = _pair(view, item)
    return _section(request, item, pair) if pair is not None else None


def of_release(request: Request, view: View, release: PublicRelease,
               items: list[PublicDataSet]) -> list[WhatChanged]:
    """For the release's updates: each of its data sets whose version replaced one that an
    earlier version of this same release held (an amendment's new numbers)."""
    held_before = view.held_by_earlier_versions(release)
    out = []
    for item in items:
        pair = _pair(view, item)
        if (pair is not None and item.version_id not in held_before
                and pair.old.version_id in held_before):
            out.append(_section(request, item, pair))
    return out
