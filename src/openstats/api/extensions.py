"""Routes of ours beside EES's API (openstats extensions, marked so in the OpenAPI document).

- `/data-sets/{id}/availability` (GET and POST): given partial criteria in the query's own
  syntax, which geographic levels, locations, time periods, filter options and indicators
  have at least one observation (`query.availability`, one DuckDB query).
- `/data-sets/{id}/versions/{version}/csv-metadata.json`: CSVW metadata of the version's
  CSV, with `codes/{column}.csv` code lists its foreign keys point to (`exports.csvw`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from openstats import http_cache
from openstats.api import openapi
from openstats.api.answers import answer, not_found, problem
from openstats.api.params import DataSetId, VersionSpec, hidden, unknown_params
from openstats.api.queries import json_body
from openstats.api.versions import choose
from openstats.dependencies import platform
from openstats.exports import csvw
from openstats.model.public import PublicDataSet
from openstats.query.availability import Availability, availability
from openstats.query.engine import QueryError, Version
from openstats.query.parse_get import parse_get
from openstats.query.parse_post import parse_post
from openstats.query.request import Problem, QueryRequest
from openstats.standards import time_periods

router = APIRouter()
# Query parameters and body fields that mean nothing for availability (no rows are listed).
NOT_FOR_AVAILABILITY = ("sorts", "page", "pagesize", "debug")


def _version(request: Request, row: PublicDataSet) -> Version:
    p = platform(request)
    return p.engine.version(row.version_id, p.storage.file(row.version.storage_key,
                                                           "data.parquet"),
                            p.catalogue.metadata.get_json(row.version_id))


def as_json(v: Version, row: PublicDataSet, found: Availability) -> dict[str, Any]:
    locations: dict[str, list[str]] = {}
    for public_id in found.locations:
        locations.setdefault(v.locations[public_id]["level"], []).append(public_id)
    return {"dataSetVersion": row.version.version, "totalResults": found.rows,
            "geographicLevels": found.levels, "locations": locations,
            "timePeriods": [{"period": time_periods.api_period(v.period_by_id[t]["period"]),
                             "code": v.period_by_id[t]["code"]}
                            for t in found.time_period_ids],
            "filters": found.options, "indicators": found.indicators,
            "warnings": found.warnings}


def _answer(request: Request, row: PublicDataSet, req: QueryRequest, spec: str | None
            ) -> Response:
    if req.errors:
        return problem(400, req.errors)
    v = _version(request, row)
    try:
        found = availability(platform(request).engine, v, req)
    except QueryError as e:
        return problem(400, e.problems)
    return answer(request, as_json(v, row, found), immutable=http_cache.pins_version(spec))


@router.get("/data-sets/{dataSetId}/availability", tags=["openstats extensions"],
            summary="What has data, given partial criteria (GET)",
            description="Which geographic levels, locations, time periods, filter options "
                        "and indicators have at least one observation among the rows the "
                        "criteria match (the query's own `facet.comparator` parameters). "
                        "Offer only these, and no table comes out empty. " + openapi.NOTE,
            responses=openapi.responses(openapi.AVAILABILITY, "What has data."),
            openapi_extra={**openapi.EXTENSION, "parameters": openapi.availability_parameters()})
def availability_get(
    request: Request, dataSetId: DataSetId,  # noqa: N803
    dataSetVersion: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    row, chosen = choose(request, dataSetId, dataSetVersion)
    if row is None and not chosen:
        return not_found()
    items = list(request.query_params.multi_items())
    refused = [Problem("UnknownField", k) for k, _ in items
               if k.lower().split("[")[0] in NOT_FOR_AVAILABILITY]
    req, _ = parse_get([(k, v) for k, v in items
                        if k.lower().split("[")[0] not in NOT_FOR_AVAILABILITY])
    req.errors[:0] = [*chosen, *refused]
    if row is None:
        return problem(400, req.errors)
    return _answer(request, row, req, dataSetVersion)


@router.post("/data-sets/{dataSetId}/availability", tags=["openstats extensions"],
             summary="What has data, given partial criteria (POST, with and/or/not)",
             description="The body is a query's `criteria` (and optionally `indicators`, "
                         "the indicators to check). " + openapi.NOTE,
             responses=openapi.responses(openapi.AVAILABILITY, "What has data."),
             openapi_extra={**openapi.EXTENSION, "requestBody": {"required": False, "content": {
                 "application/json": {"schema": {"type": "object"}, "example": {
                     "criteria": {"geographicLevels": {"eq": "NAT"}}}}}},
                 "parameters": [openapi.VERSION_PARAM, openapi.AS_OF_PARAM]})
async def availability_post(
    request: Request, dataSetId: DataSetId,  # noqa: N803
    dataSetVersion: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    row, errors = choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    errors += unknown_params(request, ("dataSetVersion", "asOf"))
    if row is None:
        return problem(400, errors)
    read = await json_body(request)
    if isinstance(read, Response):
        return read
    sent, body = read
    if sent:
        if not isinstance(body, dict):
            return problem(400, [Problem("InvalidValue", "")])
        errors += [Problem("UnknownField", k) for k in body
                   if k.lower() in NOT_FOR_AVAILABILITY]
    req = parse_post(body)
    req.errors[:0] = errors
    return await run_in_threadpool(_answer, request, row, req, dataSetVersion)


# --- CSVW ----------------------------------------------------------------------------------
def _version_url(request: Request, row: PublicDataSet) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/api/v1/data-sets/{row.data_set_id}/versions/{row.version.version}"


@router.get("/data-sets/{dataSetId}/versions/{dataSetVersion}/csv-metadata.json",
            tags=["openstats extensions"], summary="CSVW metadata of a version's CSV",
            description="W3C CSV on the Web metadata describing the version's CSV (the "
                        "`/csv` download): columns, titles, datatypes, units and decimal "
                        "places, and foreign keys to code lists. " + openapi.NOTE,
            responses=openapi.responses(openapi.CSVW, "The CSVW table group.",
                                        ok_media="application/csvm+json"),
            openapi_extra={**openapi.EXTENSION, "parameters": [openapi.AS_OF_PARAM]})
def csv_metadata(request: Request, dataSetId: DataSetId,  # noqa: N803
                 dataSetVersion: VersionSpec) -> Response:  # noqa: N803
    row, errors = choose(request, dataSetId, dataSetVersion)
    if errors:
        return problem(400, errors)
    if row is None:
        return not_found()
    base = str(request.base_url).rstrip("/")
    here = _version_url(request, row)
    doc = csvw.metadata(
        platform(request).catalogue.metadata.get_json(row.version_id),
        csv_url=f"{base}/api/v1/data-sets/{row.data_set_id}/csv?dataSetVersion="
                f"{row.version.version}",
        codes_url=lambda column: f"{here}/codes/{column}.csv",
        title=f"{row.title} (version {row.version.version})")
    content = json.dumps(doc, ensure_ascii=False, indent=1).encode()
    etag = http_cache.etag_of(content)
    headers = http_cache.headers_for(request, etag,
                                     pinned=http_cache.pins_version(dataSetVersion))
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    return Response(content, media_type="application/csvm+json", headers=headers)


@router.get("/data-sets/{dataSetId}/versions/{dataSetVersion}/codes/{column}.csv",
            tags=["openstats extensions"], summary="A code list of a version's CSV",
            description="The values a filter or location code column of the CSV may hold, "
                        "with their ids in this API (the CSVW metadata's foreign keys). "
                        + openapi.NOTE,
            responses=openapi.responses(None, "The code list.", ok_media="text/csv"),
            openapi_extra={**openapi.EXTENSION, "parameters": [openapi.AS_OF_PARAM]})
def code_list(request: Request, dataSetId: DataSetId, dataSetVersion: VersionSpec,  # noqa: N803
              column: Annotated[str, Path(description="A column of the CSV.")]) -> Response:
    row, errors = choose(request, dataSetId, dataSetVersion)
    if errors:
        return problem(400, errors)
    if row is None:
        return not_found()
    lists = csvw.code_lists(platform(request).catalogue.metadata.get_json(row.version_id))
    if column not in lists:
        return not_found()
    content = csvw.codes_csv(*lists[column])
    etag = http_cache.etag_of(content)
    headers = http_cache.headers_for(request, etag,
                                     pinned=http_cache.pins_version(dataSetVersion))
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    return Response(content, media_type="text/csv; charset=utf-8", headers=headers)
