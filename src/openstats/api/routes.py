"""Routes of the public data API v1: the same paths, parameters and JSON as EES's.

Routes only parse and answer; what the public may see comes from the published
catalogue (`catalogue.published.View`, one per request) and every query runs through
`query.engine`. Parameters are
read from the raw query string so that every problem becomes an EES-style 400 answer
(never FastAPI's own 422), and unknown parameters are refused as EES does.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from openstats import http_cache
from openstats.api import file_answers, openapi
from openstats.catalogue import version_specs
from openstats.dependencies import api_view, platform
from openstats.exports import formats
from openstats.model.metadata import VersionMeta
from openstats.model.public import PublicDataSet
from openstats.present import ees
from openstats.present.changes import version_changes
from openstats.query.engine import QueryError
from openstats.query.parse_get import group_params, parse_get
from openstats.query.parse_post import parse_post
from openstats.query.request import DEFAULT_PAGE_SIZE, MAX_INT32, MAX_PAGE_SIZE, Problem
from openstats.standards import gzipped

router = APIRouter()
ALL_TYPES = ees.ALL_TYPES
MAX_BODY = 1_000_000  # bytes of a POST query


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


# --- answers -------------------------------------------------------------------------------
def problem(status: int, errors: list[Problem] | None = None) -> JSONResponse:
    """RFC 9457 problem details, as EES's ASP.NET writes them."""
    titles = {400: ("https://tools.ietf.org/html/rfc9110#section-15.5.1",
                    "One or more validation errors occurred."),
              403: ("https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"),
              404: ("https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"),
              413: ("https://tools.ietf.org/html/rfc9110#section-15.5.14", "Content Too Large"),
              415: ("https://tools.ietf.org/html/rfc9110#section-15.5.16",
                    "Unsupported Media Type")}
    kind, title = titles[status]
    body: dict[str, Any] = {"type": kind, "title": title, "status": status,
                            "traceId": uuid.uuid4().hex}
    if errors is not None:
        body["errors"] = [e.as_dict() for e in errors]
        for e in body["errors"]:
            if not e["path"]:
                e.pop("path")
    return JSONResponse(body, status_code=status,
                        media_type="application/problem+json")


def not_found() -> JSONResponse:
    return problem(404)


def answer(request: Request, body: Any, *, immutable: bool) -> Response:
    """JSON with an ETag; 304 when the client already has it. `immutable` only when the
    URL pins one version (see http_cache): "latest" answers change with publications."""
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return json_answer(request, content, http_cache.etag_of(content), immutable=immutable)


def json_answer(request: Request, content: bytes, etag: str, *, immutable: bool,
                vary: tuple[str, ...] = ()) -> Response:
    """JSON text already made (a query's answer), with its ETag."""
    headers = http_cache.headers_for(request, etag, pinned=immutable, vary=vary)
    headers["api-supported-versions"] = "1"
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    return Response(content, media_type="application/json", headers=headers)


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


def paged(items: list[Any], page: int, size: int) -> dict[str, Any]:
    total = len(items)
    return {"paging": {"page": page, "pageSize": size, "totalResults": total,
                       "totalPages": max(1, -(-total // size))},
            "results": items[(page - 1) * size: page * size]}


def _uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _meta(request: Request, d: PublicDataSet) -> VersionMeta:
    return platform(request).catalogue.metadata.get(d.version_id)


def _find(request: Request, data_set_id: str, spec: str | None) -> PublicDataSet | None:
    ds = _uuid(data_set_id)
    if ds is None:
        return None
    return version_specs.resolve(spec, api_view(request).versions_of(ds))


def _choose(request: Request, data_set_id: str,
            spec: str | None) -> tuple[PublicDataSet | None, list[Problem]]:
    """The version `spec` names, as it was at `asOf` when that is given (our extension):
    (None, []) for a 404, (None, problems) when `asOf` is not a time or too early."""
    ds = _uuid(data_set_id)
    versions = api_view(request).versions_of(ds) if ds else []
    if not versions:
        return None, []
    raw = next((v for k, v in request.query_params.multi_items() if k.lower() == "asof"), None)
    try:
        as_of = version_specs.parse_moment(raw) if raw is not None else None
        return version_specs.resolve(spec, versions, as_of), []
    except version_specs.VersionChoiceError as e:
        return None, [Problem("InvalidValue", e.parameter, {"value": raw}, message=e.message)]


# --- publications ----------------------------------------------------------------------------
@router.get("/publications", tags=["Publications"], summary="List publications",
            responses=openapi.responses(openapi.paginated(openapi.PUBLICATION),
                                        "A page of publications."),
            openapi_extra={"parameters": [openapi.query("search", {"type": "string"},
                                                        "Search term (3 characters or more)."),
                                          *openapi.paging(40, 20)]})
def list_publications(
    request: Request,
    search: Annotated[str | None, hidden()] = None,
    page: Annotated[str | None, hidden()] = None,
    pageSize: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    """Publications that have at least one published data set, optionally searched."""
    errors = unknown_params(request, ("search", "page", "pageSize"))
    page_no, size = paging_params(request, 20, 40, errors)
    if search is not None and len(search.strip()) < 3:
        errors.append(Problem("MinimumLength", "search", {
            "minLength": 3, "totalLength": len(search.strip()), "value": search},
            message="The length of 'Search' must be at least 3 characters."))
    if errors:
        return problem(400, errors)
    items = [ees.publication_summary(p) for p in api_view(request).publications()]
    if search:
        terms = search.lower().split()

        def score(p: dict[str, Any]) -> int:
            text = f"{p['title']} {p['title']} {p['summary']}".lower()
            return sum(text.count(t) for t in terms)

        items = [p for p in items if score(p) > 0]
        items.sort(key=lambda p: (-score(p), p["title"]))
    else:
        items.sort(key=lambda p: p["title"])
    return answer(request, paged(items, page_no, size), immutable=False)


@router.get("/publications/{publicationId}", tags=["Publications"],
            summary="Get a publication",
            responses=openapi.responses(openapi.PUBLICATION, "The publication."))
def get_publication(request: Request, publicationId: PublicationId) -> Response:  # noqa: N803
    """A publication's summary; 404 unless it has a published data set."""
    pid = _uuid(publicationId)
    found = api_view(request).publication_by_id(pid) if pid else None
    if found is None:
        return not_found()
    if errors := unknown_params(request, ()):
        return problem(400, errors)
    return answer(request, ees.publication_summary(found), immutable=False)


@router.get("/publications/{publicationId}/data-sets", tags=["Publications"],
            summary="List a publication's data sets",
            responses=openapi.responses(openapi.paginated(openapi.DATA_SET),
                                        "A page of the publication's data sets."),
            openapi_extra={"parameters": openapi.paging(20, 10)})
def publication_data_sets(
    request: Request, publicationId: PublicationId,  # noqa: N803
    page: Annotated[str | None, hidden()] = None,
    pageSize: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    """The publication's data sets, newest published first (empty for unknown ids)."""
    pid = _uuid(publicationId)
    if pid is None:
        # Not an id at all: 404, as for the publication itself (EES's routes take GUIDs).
        return not_found()
    errors = unknown_params(request, ("page", "pageSize"))
    page_no, size = paging_params(request, 10, 20, errors)
    if errors:
        return problem(400, errors)
    latest = api_view(request).data_sets_of_publication(pid)
    # Newest published first, as EES lists them (by when each data set first went public).
    firsts = {d.data_set_id: d.release.first_published for d in latest}
    ordered = sorted(latest, key=lambda d: (-firsts[d.data_set_id].timestamp(), d.title,
                                            d.data_set_id))
    items = [ees.data_set(d, _meta(request, d)) for d in ordered]
    return answer(request, paged(items, page_no, size), immutable=False)


# --- data sets -------------------------------------------------------------------------------
@router.get("/data-sets/{dataSetId}", tags=["Data sets"], summary="Get a data set",
            responses=openapi.responses(openapi.DATA_SET, "The data set."),
            openapi_extra={"parameters": [openapi.AS_OF_PARAM]})
def get_data_set(request: Request, dataSetId: DataSetId,  # noqa: N803
                 asOf: Annotated[str | None, hidden()] = None) -> Response:  # noqa: N803
    """A data set and a summary of its latest version (or the one public at `asOf`)."""
    row, errors = _choose(request, dataSetId, None)
    if row is None and not errors:
        return not_found()
    errors += unknown_params(request, ("asOf",))
    if errors or row is None:
        return problem(400, errors)
    return answer(request, ees.data_set(row, _meta(request, row)), immutable=False)


@router.get("/data-sets/{dataSetId}/versions", tags=["Data sets"],
            summary="List a data set's versions",
            responses=openapi.responses(openapi.paginated(openapi.VERSION),
                                        "A page of versions, newest first."),
            openapi_extra={"parameters": openapi.paging(20, 10)})
def list_versions(
    request: Request, dataSetId: DataSetId,  # noqa: N803
    page: Annotated[str | None, hidden()] = None,
    pageSize: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    """Published versions, newest first."""
    ds = _uuid(dataSetId)
    rows = api_view(request).versions_of(ds) if ds else []
    if not rows:
        return not_found()
    errors = unknown_params(request, ("page", "pageSize"))
    page_no, size = paging_params(request, 10, 20, errors)
    if errors:
        return problem(400, errors)
    items = [ees.version(r, _meta(request, r)) for r in rows]
    return answer(request, paged(items, page_no, size), immutable=False)


@router.get("/data-sets/{dataSetId}/versions/{dataSetVersion}", tags=["Data sets"],
            summary="Get a data set version",
            responses=openapi.responses(openapi.VERSION, "The version."))
def get_version(request: Request, dataSetId: DataSetId, dataSetVersion: VersionSpec) -> Response:  # noqa: N803
    row = _find(request, dataSetId, dataSetVersion)
    if row is None:
        return not_found()
    if errors := unknown_params(request, ()):
        return problem(400, errors)
    return answer(request, ees.version(row, _meta(request, row)),
                  immutable=http_cache.pins_version(dataSetVersion))


@router.get("/data-sets/{dataSetId}/versions/{dataSetVersion}/changes", tags=["Data sets"],
            summary="Get the changes made in a data set version",
            responses=openapi.responses(openapi.CHANGES, "Major and minor changes."),
            openapi_extra={"parameters": [openapi.query(
                "includePatchHistory", openapi.BOOLEAN_TEXT,
                "Also list earlier patch versions' changes (we publish no patches).")]})
def get_changes(
    request: Request, dataSetId: DataSetId, dataSetVersion: VersionSpec,  # noqa: N803
    includePatchHistory: Annotated[str | None, hidden()] = None,
) -> Response:
    """What changed from the version before: removals are major, additions minor."""
    row = _find(request, dataSetId, dataSetVersion)
    if row is None:
        return not_found()
    errors = unknown_params(request, ("includePatchHistory",))
    if includePatchHistory is not None and includePatchHistory.lower() not in ("true", "false"):
        errors.append(Problem("InvalidValue", "includePatchHistory"))
    if errors:
        return problem(400, errors)
    p = platform(request)
    change = version_changes(p.catalogue, api_view(request), row)
    body = {"versionNumber": row.version.version, "majorChanges": change.major,
            "minorChanges": change.minor, "patchHistory": []}
    return answer(request, body, immutable=http_cache.pins_version(dataSetVersion))


@router.get("/data-sets/{dataSetId}/meta", tags=["Data sets"],
            summary="Get a data set's metadata",
            responses=openapi.responses(openapi.META, "The metadata asked for."),
            openapi_extra={"parameters": [openapi.VERSION_PARAM, openapi.AS_OF_PARAM,
                                          openapi.query("types", openapi.TYPES,
                                                        "Which metadata (default: all).")]})
def get_meta(
    request: Request, dataSetId: DataSetId,  # noqa: N803
    dataSetVersion: Annotated[str | None, hidden()] = None,
    types: Annotated[list[str] | None, hidden()] = None,
    asOf: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    """Filters with options, indicators, geographic levels, locations and time periods."""
    row, errors = _choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    errors += unknown_params(request, ("dataSetVersion", "types", "asOf"))
    params = group_params([(k, v) for k, v in request.query_params.multi_items()
                           if k.lower().startswith("types")], {"types": "types"}, [])
    chosen = set(ALL_TYPES)
    if "types" in params:
        if not params["types"]:
            errors.append(Problem("NotEmpty", "types", {"value": []}))
        for i, t in enumerate(params["types"]):
            if t not in ALL_TYPES:
                errors.append(Problem("AllowedValue", f"types[{i}]",
                                      {"value": t, "allowed": list(ALL_TYPES)}))
        chosen = set(params["types"])
    if errors or row is None:
        return problem(400, errors)
    return answer(request, ees.meta_view(_meta(request, row), chosen),
                  immutable=http_cache.pins_version(dataSetVersion))


@router.get("/data-sets/{dataSetId}/query", tags=["Data sets"],
            summary="Query a data set (GET)",
            responses=openapi.with_formats(openapi.responses(openapi.QUERY_RESULTS,
                                                             "A page of matching rows.")),
            openapi_extra={"parameters": [*openapi.query_parameters(),
                                          openapi.format_param(formats.NAMES)]})
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
    row, errors = _choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    items, given = file_answers.split_format(list(request.query_params.multi_items()))
    req, _ = parse_get(items)
    req.errors[:0] = errors
    if row is None:
        return problem(400, req.errors)
    return _run_query(request, row, req, immutable=http_cache.pins_version(dataSetVersion),
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


@router.post("/data-sets/{dataSetId}/query", tags=["Data sets"],
             summary="Query a data set (POST, with and/or/not criteria)",
             responses=openapi.with_formats(openapi.responses(openapi.QUERY_RESULTS,
                                                              "A page of matching rows.")),
             openapi_extra={"requestBody": {"required": False, "content": {
                 "application/json": {"schema": {"type": "object"},
                                      "example": QUERY_EXAMPLE}}},
                 "parameters": [openapi.VERSION_PARAM, openapi.AS_OF_PARAM, *openapi.paging(
                     MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE), openapi.query(
                     "debug", openapi.BOOLEAN_TEXT, "true: labels instead of ids."),
                     openapi.format_param(formats.NAMES)]})
async def query_post(
    request: Request, dataSetId: DataSetId,  # noqa: N803
    dataSetVersion: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    """The body is EES's DataSetQueryRequest: criteria, indicators, sorts, debug, paging."""
    row, errors = _choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    errors += unknown_params(request, ("dataSetVersion", "page", "pageSize", "debug", "asOf",
                                       file_answers.PARAM))
    if row is None:
        return problem(400, errors)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return problem(413, [Problem("InvalidValue", "", message=(
            f"The request body is larger than {MAX_BODY:,} bytes."))])
    content_type = request.headers.get("content-type", "")
    if raw.strip() and "json" not in content_type:
        return problem(415)
    body: Any = None
    if raw.strip():
        try:
            body = json.loads(_strip_comments(raw.decode("utf-8")))
        except (ValueError, RecursionError, UnicodeDecodeError):
            return problem(400, [Problem("InvalidValue", "")])
        if body is None:  # a JSON `null` is not a query (an empty body is: everything)
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
    return await run_in_threadpool(_run_query, request, row, req,
                                   immutable=http_cache.pins_version(dataSetVersion),
                                   format_given=given)


def _strip_comments(text: str) -> str:
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


def _run_query(request: Request, row: PublicDataSet, req: Any, *, immutable: bool,
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


@router.get("/data-sets/{dataSetId}/csv", tags=["Data sets"],
            summary="Download a data set version as CSV",
            responses=openapi.responses(None, "The data file, as uploaded.",
                                        ok_media="text/csv", cached=False),
            openapi_extra={"parameters": [openapi.VERSION_PARAM, openapi.AS_OF_PARAM]})
def get_csv(
    request: Request, dataSetId: DataSetId,  # noqa: N803
    dataSetVersion: Annotated[str | None, hidden()] = None,  # noqa: N803
    asOf: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    """The data file as uploaded, gzip-encoded when the client accepts it; a file uploaded
    as .csv.gz is sent unpacked (or, to a client accepting gzip, as its stored bytes)."""
    row, errors = _choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    errors += unknown_params(request, ("dataSetVersion", "asOf"))
    if errors or row is None:
        return problem(400, errors)
    accepts_gzip = "gzip" in request.headers.get("accept-encoding", "")
    # The file's checksum names its bytes; gzip is another representation, another tag.
    etag = http_cache.etag_of("csv", row.version.data_sha256,
                              "gzip" if accepts_gzip else "identity")
    headers = {"Content-Disposition":
               f'attachment; filename="{row.data_set_id}_v{row.version.version}.csv"',
               "X-Robots-Tag": "noindex",
               **http_cache.headers_for(request, etag,
                                        pinned=http_cache.pins_version(dataSetVersion),
                                        vary=["Accept-Encoding"])}
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    # Only now: with object storage, fetching the file may mean downloading it.
    path = platform(request).storage.file(row.version.storage_key, row.version.data_file_name)
    if accepts_gzip:
        headers["Content-Encoding"] = "gzip"
        # A data file uploaded gzip-compressed is kept as it came: its bytes are already
        # the gzip encoding of the CSV, so they are sent as they are.
        stream = _chunks(path) if gzipped.is_gzipped(path) else _compressed(path)
        return StreamingResponse(stream, media_type="text/csv", headers=headers)
    # The CSV itself (unpacked, for a file uploaded as .csv.gz).
    return StreamingResponse(gzipped.plain_chunks(path), media_type="text/csv",
                             headers=headers)


def _chunks(path: Any) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            yield chunk


def _compressed(path: Any) -> Iterator[bytes]:
    z = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip header and trailer
    for chunk in gzipped.plain_chunks(path):
        data = z.compress(chunk)
        if data:
            yield data
    yield z.flush()



# Our extensions live in their own modules, on this router: one OpenAPI document, one set
# of paths (also under /statistics/v1). Imported here, after the helpers they use.
from openstats.api import changes  # noqa: E402

changes.register(router)
