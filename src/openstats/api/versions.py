"""Which version of a data set a request names: `dataSetVersion` (1.0, v1.0, 1.*, *; the
rule is catalogue/version_specs.py's) among the versions the reader may see, as it was at
`asOf` when that is given (our extension). Shared by every API route that takes a version."""

from __future__ import annotations

from fastapi import Request

from openstats.api.params import uuid_of
from openstats.catalogue import version_specs
from openstats.dependencies import api_view
from openstats.model.public import PublicDataSet
from openstats.query.request import Problem


def _find(request: Request, data_set_id: str, spec: str | None) -> PublicDataSet | None:
    ds = uuid_of(data_set_id)
    if ds is None:
        return None
    return version_specs.resolve(spec, api_view(request).versions_of(ds))


def _choose(request: Request, data_set_id: str,
            spec: str | None) -> tuple[PublicDataSet | None, list[Problem]]:
    """The version `spec` names, as it was at `asOf` when that is given (our extension):
    (None, []) for a 404, (None, problems) when `asOf` is not a time or too early."""
    ds = uuid_of(data_set_id)
    versions = api_view(request).versions_of(ds) if ds else []
    if not versions:
        return None, []
    raw = next((v for k, v in request.query_params.multi_items() if k.lower() == "asof"), None)
    try:
        as_of = version_specs.parse_moment(raw) if raw is not None else None
        return version_specs.resolve(spec, versions, as_of), []
    except version_specs.VersionChoiceError as e:
        return None, [Problem("InvalidValue", e.parameter, {"value": raw}, message=e.message)]
