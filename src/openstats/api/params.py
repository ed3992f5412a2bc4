"""Reading the public data API's parameters: path parameters with the formats the OpenAPI
document gives them, query parameters read from the raw query string (so every problem is
an EES-style 400, never FastAPI's own 422), unknown ones refused, and paging checked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request

from openstats.api import openapi
from openstats.query.parse_get import group_params
from openstats.query.request import MAX_INT32, Problem

# Path parameters, with the formats the document gives them (checked by the routes: an id
# or version that does not fit is a 404, as in EES).
DataSetId = Annotated[str, Path(description="The data set's id (a UUID).",
                                json_schema_extra={"format": "uuid"})]
PublicationId = Annotated[str, Path(description="The publication's id (a UUID).",
                                    json_schema_extra={"format": "uuid"})]
VersionSpec = Annotated[str, Path(description="A version: 1.0, v1.0, 1.*, or *.",
                                  json_schema_extra={"pattern": openapi.VERSION_PATTERN})]


def hidden() -> Any:
    """A query parameter FastAPI passes in but leaves out of the document: api/openapi.py
    documents what each route really accepts (the routes check the raw values)."""
    return Query(include_in_schema=False)


def unknown_params(request: Request, allowed: tuple[str, ...]) -> list[Problem]:
    names = {a.lower(): a for a in allowed}
    errors: list[Problem] = []
    group_params(list(request.query_params.multi_items()), names, errors)
    return errors


def paging_params(request: Request, default: int, maximum: int,
                  errors: list[Problem]) -> tuple[int, int]:
    page, size = 1, default
    for name in ("page", "pageSize"):
        raw = next((v for k, v in request.query_params.multi_items()
                    if k.lower() == name.lower()), None)
        if raw is None:
            continue
        try:
            value = int(raw)
        except ValueError:
            errors.append(Problem("InvalidValue", name))
            continue
        if abs(value) > MAX_INT32:  # not a 32-bit number, as EES's binding refuses it
            errors.append(Problem("InvalidValue", name))
            continue
        if name == "page":
            if value < 1:
                errors.append(Problem("GreaterThanOrEqual", "page", {
                    "comparisonValue": 1, "comparisonProperty": "", "propertyValue": value}))
            page = value
        elif not 1 <= value <= maximum:
            errors.append(Problem("InclusiveBetween", "pageSize",
                                  {"from": 1, "to": maximum, "value": value}))
        else:
            size = value
    return page, size
