"""Which published version an API request names: the data set's id, the version's words
(`dataSetVersion` or the path's `{dataSetVersion}`) and `asOf` (our extension), read the
same way by every route that takes a version, so `1.*` and `asOf` mean one thing on all of
them and their bad input gets the same 400 answer.

The rule itself (what `1.*` names, what was public at a moment) is catalogue.version_specs;
this module only reads the request and turns its refusals into the API's problems.
"""

from __future__ import annotations

import uuid

from fastapi import Request

from openstats.catalogue import version_specs
from openstats.dependencies import api_view
from openstats.model.public import PublicDataSet
from openstats.query.request import Problem


def canonical_uuid(text: str) -> str | None:
    """A data set's or publication's id as the catalogue writes it (lower case, with
    hyphens), or None if it is no UUID (then the API answers 404, as EES does)."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def choose(request: Request, data_set_id: str,
           spec: str | None) -> tuple[PublicDataSet | None, list[Problem]]:
    """The published version `spec` names, among those public at the request's `asOf` when
    it gives one: (version, []); (None, []) for a 404 (no such data set or version);
    (None, problems naming `asOf`) when it is not a time or before the first version."""
    ds = canonical_uuid(data_set_id)
    versions = api_view(request).versions_of(ds) if ds else []
    if not versions:
        return None, []
    raw = next((v for k, v in request.query_params.multi_items() if k.lower() == "asof"), None)
    try:
        as_of = version_specs.parse_moment(raw) if raw is not None else None
        return version_specs.resolve(spec, versions, as_of), []
    except version_specs.VersionChoiceError as e:
        return None, [Problem("InvalidValue", e.parameter, {"value": raw}, message=e.message)]

