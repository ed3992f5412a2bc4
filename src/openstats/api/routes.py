"""Routes of the public data API v1: the same paths, parameters and JSON as EES's.

This module holds the API's router and EES's routes for publications, data sets, their
versions, changes, metadata and CSV; the query routes are api/queries.py's, included in
their place. Routes only parse and answer; what the public may see comes from the
published catalogue (`catalogue.published.View`, one per request), the version a request
names from api/versions.py, and every query runs through `query.engine`. Parameters are
read as api/params.py says, answers written as api/answers.py does.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from openstats import http_cache
from openstats.api import changes, openapi, queries
from openstats.api.answers import answer, not_found, paged, problem
from openstats.api.params import (
    DataSetId,
    PublicationId,
    VersionSpec,
    hidden,
    paging_params,
    unknown_params,
)
from openstats.api.versions import canonical_uuid, choose
from openstats.dependencies import api_view, platform
from openstats.model.metadata import VersionMeta
from openstats.model.public import PublicDataSet
from openstats.present import ees
from openstats.present.changes import version_changes
from openstats.query.parse_get import group_params
from openstats.query.request import Problem
from openstats.standards import gzipped

router = APIRouter()
ALL_TYPES = ees.ALL_TYPES


def _meta(request: Request, d: PublicDataSet) -> VersionMeta:
    return platform(request).catalogue.metadata.get(d.version_id)


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
    pid = canonical_uuid(publicationId)
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
    pid = canonical_uuid(publicationId)
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
    row, errors = choose(request, dataSetId, None)
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
    ds = canonical_uuid(dataSetId)
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
            responses=openapi.responses(openapi.VERSION, "The version."),
            openapi_extra={"parameters": [openapi.AS_OF_PARAM]})
def get_version(request: Request, dataSetId: DataSetId, dataSetVersion: VersionSpec) -> Response:  # noqa: N803
    row, errors = choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    errors += unknown_params(request, ("asOf",))
    if errors or row is None:
        return problem(400, errors)
    return answer(request, ees.version(row, _meta(request, row)),
                  immutable=http_cache.pins_version(dataSetVersion))


@router.get("/data-sets/{dataSetId}/versions/{dataSetVersion}/changes", tags=["Data sets"],
            summary="Get the changes made in a data set version",
            responses=openapi.responses(openapi.CHANGES, "Major and minor changes."),
            openapi_extra={"parameters": [openapi.query(
                "includePatchHistory", openapi.BOOLEAN_TEXT,
                "Also list earlier patch versions' changes (we publish no patches)."),
                openapi.AS_OF_PARAM]})
def get_changes(
    request: Request, dataSetId: DataSetId, dataSetVersion: VersionSpec,  # noqa: N803
    includePatchHistory: Annotated[str | None, hidden()] = None,
) -> Response:
    """What changed from the version before: removals are major, additions minor."""
    row, errors = choose(request, dataSetId, dataSetVersion)
    if row is None and not errors:
        return not_found()
    errors += unknown_params(request, ("includePatchHistory", "asOf"))
    if includePatchHistory is not None and includePatchHistory.lower() not in ("true", "false"):
        errors.append(Problem("InvalidValue", "includePatchHistory"))
    if errors or row is None:
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
    row, errors = choose(request, dataSetId, dataSetVersion)
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


# The query routes, in their place among EES's paths (api/queries.py).
queries.register(router)


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
    row, errors = choose(request, dataSetId, dataSetVersion)
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
# of paths (also under /statistics/v1).
changes.register(router)
