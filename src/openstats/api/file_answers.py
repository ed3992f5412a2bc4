"""Query answers in the open formats (openstats extension): JSON-stat, SDMX-CSV, Parquet, CSV.

The query routes (`queries.py`) parse the request as for EES's JSON; here the format is
chosen (`format=` or `Accept`, see `exports.formats`) and, when it is not JSON, every
matching row is read once (`query.observations`, the engine's own criteria and order,
paging off) and written by the format's module in `exports/`: whole and cached when it is
small (one batch of rows), otherwise streamed a batch at a time in bounded memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from openstats import http_cache, metrics
from openstats.dependencies import platform
from openstats.exports import formats, jsonstat
from openstats.model.public import PublicDataSet
from openstats.query.answer_cache import Answer
from openstats.query.engine import QueryEngine, QueryError, Version
from openstats.query.observations import batches, observations
from openstats.query.request import Problem, QueryRequest

PARAM = "format"


def split_format(items: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """(the other query parameters, the values given for `format`)."""
    rest = [(k, v) for k, v in items if k.lower() != PARAM]
    return rest, [v for k, v in items if k.lower() == PARAM]


def chosen(request: Request, given: list[str]) -> tuple[formats.Format, list[Problem]]:
    """The format asked for; a problem naming `format` when it is not one of ours."""
    if not given:
        return formats.from_accept(request.headers.get("accept", "")), []
    name = given[-1].strip().lower()
    if name not in formats.FORMATS:
        return formats.JSON, [Problem("AllowedValue", PARAM, {
            "value": given[-1], "allowed": list(formats.NAMES)},
            message="Must be one of the allowed formats: " + ", ".join(formats.NAMES) + ".")]
    return formats.FORMATS[name], []


def file_answer(request: Request, row: PublicDataSet, v: Version, req: QueryRequest,
                fmt: formats.Format, *, immutable: bool) -> Response | list[Problem]:
    """The whole answer to `req` as a file in `fmt`, or the problems (a 400) with it."""
    # Paging is off for files, so page and pageSize do not change the file or its tag.
    request_text = repr((req.criteria, req.indicators, req.sorts, req.from_get))
    base = str(request.base_url).rstrip("/")  # JSON-stat links to the data set by it
    etag = http_cache.etag_of("query", fmt.name, row.version_id, base, request_text)
    name = f"{row.data_set_id}_v{row.version.version}.{fmt.extension}"
    headers = {**http_cache.headers_for(request, etag, pinned=immutable, vary=["Accept"]),
               "Content-Disposition": f'attachment; filename="{name}"',
               "api-supported-versions": "1"}
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    engine = platform(request).engine
    key = (row.version_id, f"{fmt.name}|{base}|{request_text}")
    cached = engine.cache.lookup(key)
    if cached is not None:
        return Response(cached.body, media_type=fmt.media_type, headers=headers)
    try:
        # Timed as the JSON answers are (for a streamed file: until its first bytes).
        with metrics.QUERY_SECONDS.time():
            made = _made(engine, row, v, req, fmt, base)
    except QueryError as e:
        return e.problems
    except jsonstat.TooBig as e:
        return [Problem("InvalidValue", PARAM, {"cells": e.cells, "maxCells": jsonstat.MAX_CELLS},
                        message=str(e))]
    if isinstance(made, bytes):
        engine.cache.keep(key, Answer(made))
        return Response(made, media_type=fmt.media_type, headers=headers)
    return StreamingResponse(made, media_type=fmt.media_type, headers=headers)


def _made(engine: QueryEngine, row: PublicDataSet, v: Version, req: QueryRequest,
          fmt: formats.Format, base: str) -> bytes | Iterator[bytes]:
    """The file whole when it is small (JSON-stat, capped; or one batch of rows), else its
    bytes a batch at a time."""
    version = row.version.version
    if fmt.name == "json-stat":
        return formats.render(fmt, observations(engine, v, req), data_set_id=row.data_set_id,
                              version=version, label=f"{row.title} (version {version})",
                              href=f"{base}/api/v1/data-sets/{row.data_set_id}")
    parts = batches(engine, v, req)
    first = [next(parts)]
    second = next(parts, None)
    if second is None:
        return b"".join(formats.stream(fmt, first, data_set_id=row.data_set_id,
                                       version=version))
    return formats.stream(fmt, itertools.chain(first, [second], parts),
                          data_set_id=row.data_set_id, version=version)
