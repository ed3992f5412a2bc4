"""Querying a data set: GET with EES's query parameters, POST with EES's JSON body
(criteria as and/or/not nodes); both read into one checked request (query/parse_get.py,
query/parse_post.py) and answered by the query engine, as JSON or, on request, a file
(api/file_answers.py). Registered on the API's router by api/routes.py (`register`), in
EES's order of paths."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from openstats import http_cache
from openstats.api import file_answers, openapi
from openstats.api.answers import json_answer, not_found, problem
from openstats.api.params import DataSetId, hidden, unknown_params
from openstats.api.versions import choose
from openstats.dependencies import platform
from openstats.exports import formats
from openstats.model.public import PublicDataSet
from openstats.query.engine import QueryError
from openstats.query.parse_get import parse_get
from openstats.query.parse_post import parse_post
from openstats.query.request import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Problem

MAX_BODY = 1_000_000  # bytes of a POST query


def query_get(
    request: Request, dataSetId: DataSetId,  # noqa: N803
    dataSetVersion: Annotated[str | None, hidden()] = None,  # noqa: N803
    indicators: Annotated[list[str] | None, hidden()] = None,
    sorts: Annotated[list[str] | None, hidden()] = None,
    debug: Annotated[str | None, hidden()] = None,
    page: Annotated[str | None, hidden()] = None,
    pageSize: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    """Rows matching `filters.*`, `geographicLevels.*`, `locations.*`, `timePeriods.*`."""
    row, errors = choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    items, given = file_answers.split_format(list(request.query_params.multi_items()))
    req, _ = parse_get(items)
    req.errors[:0] = errors
    if row is None:
        return problem(400, req.errors)
    return run_query(request, row, req, immutable=http_cache.pins_version(dataSetVersion),
                      format_given=given)


QUERY_EXAMPLE = {
    "criteria": {"and": [
        {"geographicLevels": {"eq": "NAT"}},
        {"timePeriods": {"gte": {"period": "2017", "code": "RY"}}},
    ]},
    "indicators": ["0kT5D"],
    "sorts": [{"field": "timePeriod", "direction": "Asc"}],
    "page": 1,
    "pageSize": 100,
}


async def query_post(
    request: Request, dataSetId: DataSetId,  # noqa: N803
    dataSetVersion: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    """The body is EES's DataSetQueryRequest: criteria, indicators, sorts, debug, paging."""
    row, errors = choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    errors += unknown_params(request, ("dataSetVersion", "page", "pageSize", "debug", "asOf",
                                       file_answers.PARAM))
    if row is None:
        return problem(400, errors)
    read = await json_body(request)
    if isinstance(read, Response):
        return read
    sent, body = read
    if sent and body is None:  # a JSON `null` is not a query (an empty body is: everything)
        return problem(400, [Problem("InvalidValue", "")])
    req = parse_post(body)
    req.errors[:0] = errors
    # A superset of EES: paging and debug may also come on the query string.
    extra, _ = parse_get([(k, v) for k, v in request.query_params.multi_items()
                          if k.lower() in ("page", "pagesize", "debug")])
    if extra.errors:
        req.errors.extend(extra.errors)
    query_keys = {k.lower() for k in request.query_params}
    if "page" in query_keys:
        req.page = extra.page
    if "pagesize" in query_keys:
        req.page_size = extra.page_size
    if "debug" in query_keys:
        req.debug = extra.debug
    # With object storage the first query of a version downloads its Parquet file: do
    # that in a worker thread, not on the event loop this async route runs on.
    await run_in_threadpool(platform(request).storage.file, row.version.storage_key,
                            "data.parquet")
    _, given = file_answers.split_format(list(request.query_params.multi_items()))
    # A file answer reads every matching row: a worker thread's work, not the event loop's.
    return await run_in_threadpool(run_query, request, row, req,
                                   immutable=http_cache.pins_version(dataSetVersion),
                                   format_given=given)


async def json_body(request: Request) -> tuple[bool, Any] | Response:
    """The request's JSON body as (given, value), (False, None) when it is empty; or the
    answer refusing it: 413 over MAX_BODY bytes, 415 unless it says it is JSON, 400 when it
    is not JSON (// comments allowed, as EES allows them)."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return problem(413, [Problem("InvalidValue", "", message=(
            f"The request body is larger than {MAX_BODY:,} bytes."))])
    if not raw.strip():
        return False, None
    if "json" not in request.headers.get("content-type", ""):
        return problem(415)
    try:
        return True, json.loads(strip_comments(raw.decode("utf-8")))
    except (ValueError, RecursionError, UnicodeDecodeError):
        return problem(400, [Problem("InvalidValue", "")])


def strip_comments(text: str) -> str:
    """Drop // comments outside strings (EES accepts them in query bodies)."""
    out, i, in_string = [], 0, False
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def run_query(request: Request, row: PublicDataSet, req: Any, *, immutable: bool,
               format_given: list[str]) -> Response:
    fmt, format_errors = file_answers.chosen(request, format_given)
    if req.errors or format_errors:
        return problem(400, [*req.errors, *format_errors])
    p = platform(request)
    meta = p.catalogue.metadata.get_json(row.version_id)
    version = p.engine.version(row.version_id,
                               p.storage.file(row.version.storage_key, "data.parquet"), meta)
    if fmt is not formats.JSON:
        made = file_answers.file_answer(request, row, version, req, fmt, immutable=immutable)
        return problem(400, made) if isinstance(made, list) else made
    try:
        result = p.engine.answer(version, req)
    except QueryError as e:
        return problem(400, e.problems)
    if not result.etag:  # once per answer: cached answers keep theirs
        result.etag = http_cache.etag_of(result.body)
    # Accept may choose a file format instead (file_answers): caches must key on it.
    return json_answer(request, result.body, result.etag, immutable=immutable,
                       vary=("Accept",))


def register(router: APIRouter) -> None:
    """Add the query routes to the API's router, where api/routes.py calls this: in their
    place among EES's paths (the API's routes, for the document and its tests, are listed
    from that one router)."""
    router.get("/data-sets/{dataSetId}/query", tags=["Data sets"],
               summary="Query a data set (GET)",
               responses=openapi.with_formats(openapi.responses(openapi.QUERY_RESULTS,
                                                                "A page of matching rows.")),
               openapi_extra={"parameters": [*openapi.query_parameters(),
                                             openapi.format_param(formats.NAMES)]})(query_get)
    router.post("/data-sets/{dataSetId}/query", tags=["Data sets"],
                summary="Query a data set (POST, with and/or/not criteria)",
                responses=openapi.with_formats(openapi.responses(openapi.QUERY_RESULTS,
                                                                 "A page of matching rows.")),
                openapi_extra={"requestBody": {"required": False, "content": {
                    "application/json": {"schema": {"type": "object"},
                                         "example": QUERY_EXAMPLE}}},
                    "parameters": [openapi.VERSION_PARAM, openapi.AS_OF_PARAM, *openapi.paging(
                        MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE), openapi.query(
                        "debug", openapi.BOOLEAN_TEXT, "true: labels instead of ids."),
                        openapi.format_param(formats.NAMES)]})(query_post)
