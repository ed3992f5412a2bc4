"""The diff between two versions of a data set, observation by observation: our extension
to EES's API (`/data-sets/{id}/versions/{v}/diff?from=` and its CSV download).

The two versions are chosen by catalogue/version_specs.py among the published ones;
the diff is the one import wrote, or computed when first asked for (query/diffs.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from openstats import http_cache
from openstats.api import openapi
from openstats.api.answers import answer, not_found, problem
from openstats.api.params import DataSetId, VersionSpec, hidden, paging_params, unknown_params
from openstats.catalogue import version_specs
from openstats.dependencies import api_view, version_diffs
from openstats.present import diffs as present
from openstats.query.diffs import Diff, VersionDiffs
from openstats.query.request import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Problem

router = APIRouter()

FROM_PARAM = {**openapi.query(
    "from", openapi.STRING, "The earlier version to compare with: 1.0, 1.*; default: the "
    "version published before this one."), **openapi.EXTENSION}
_VALUE = openapi.obj({"old": {"type": ["string", "null"]}, "new": {"type": ["string", "null"]}})
DIFF_ROW = openapi.obj({
    "change": {"enum": ["added", "removed", "changed"]},
    "timePeriod": openapi.obj({"code": openapi.STRING, "period": openapi.STRING}),
    "geographicLevel": openapi.STRING,
    "locations": {"type": "object", "additionalProperties": openapi.STRING},
    "filters": {"type": "object", "additionalProperties": openapi.STRING},
    "values": {"type": "object", "additionalProperties": _VALUE}})
DIFF = openapi.obj({
    "version": openapi.STRING, "from": openapi.STRING,
    "counts": openapi.obj({"added": openapi.INTEGER, "removed": openapi.INTEGER,
                           "changed": openapi.INTEGER}),
    "indicators": openapi.array(openapi.INDICATOR),
    "indicatorsAdded": openapi.array(openapi.INDICATOR),
    "indicatorsRemoved": openapi.array(openapi.INDICATOR),
    "filtersAdded": openapi.array(openapi.FILTER),
    "filtersRemoved": openapi.array(openapi.FILTER),
    "paging": openapi.PAGING, "results": openapi.array(DIFF_ROW)})


def _pair(request: Request, data_set_id: str, version: str,
          allowed: tuple[str, ...]) -> Diff | Response:
    """The diff the request names, or the 404 or 400 answer saying why there is none."""
    from_spec = next((v for k, v in request.query_params.multi_items() if k.lower() == "from"),
                     None)
    versions = api_view(request).versions_of(data_set_id.lower())
    try:
        pair = version_specs.resolve_pair(version, from_spec, versions)
    except version_specs.VersionChoiceError as e:
        return problem(400, [Problem("InvalidValue", e.parameter, {"value": from_spec},
                                     message=e.message)])
    if pair is None:
        return not_found()
    if errors := unknown_params(request, allowed):
        return problem(400, errors)
    return version_diffs(request).get(pair.old.version, pair.new.version)


def _pinned(request: Request, version: str) -> bool:
    """Whether the URL names both versions exactly (then its answer never changes)."""
    from_spec = request.query_params.get("from")
    return http_cache.pins_version(version) and from_spec is not None and \
        http_cache.pins_version(from_spec)


@router.get("/data-sets/{dataSetId}/versions/{dataSetVersion}/diff", tags=["Data sets"],
            summary="What changed, observation by observation (openstats extension)",
            description=openapi.EXTENSION_PREFIX + "how many observations this version added, "
            "removed and changed since an earlier one, then those observations, a page at a "
            "time, each with its value of every indicator both versions have in each "
            "version (null where it is not in that version). Observations are matched by "
            "time period, geographic level, location and filter options.",
            responses=openapi.responses(DIFF, "The counts and a page of observations."),
            openapi_extra={"parameters": [FROM_PARAM, *openapi.paging(
                MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)], **openapi.EXTENSION})
async def get_diff(
    request: Request, dataSetId: DataSetId, dataSetVersion: VersionSpec,  # noqa: N803
    page: Annotated[str | None, hidden()] = None,
    pageSize: Annotated[str | None, hidden()] = None,  # noqa: N803
) -> Response:
    errors: list[Problem] = []
    page_no, size = paging_params(request, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, errors)
    # In a worker thread: the first request for a pair may compute its diff.
    found = await run_in_threadpool(_pair, request, dataSetId, dataSetVersion,
                                    ("from", "page", "pageSize"))
    if isinstance(found, Response):
        return found
    if errors:
        return problem(400, errors)
    rows = await run_in_threadpool(version_diffs(request).rows, found, (page_no - 1) * size, size)
    total = found.counts.total
    body = {**present.summary(found),
            "paging": {"page": page_no, "pageSize": size, "totalResults": total,
                       "totalPages": max(1, -(-total // size))},
            "results": [present.row_view(r, found) for r in rows]}
    return answer(request, body, immutable=_pinned(request, dataSetVersion))


@router.get("/data-sets/{dataSetId}/versions/{dataSetVersion}/diff/csv", tags=["Data sets"],
            summary="What changed, as CSV (openstats extension)",
            description=openapi.EXTENSION_PREFIX + "every added, removed and changed observation, "
            "with labels: change, time_period, time_identifier, geographic_level, "
            "location_code, location_name, a column per filter, and <indicator>_old and "
            "<indicator>_new for each indicator both versions have.",
            responses=openapi.responses(None, "The diff as CSV.", ok_media="text/csv"),
            openapi_extra={"parameters": [FROM_PARAM], **openapi.EXTENSION})
async def get_diff_csv(request: Request, dataSetId: DataSetId,  # noqa: N803
                       dataSetVersion: VersionSpec) -> Response:  # noqa: N803
    found = await run_in_threadpool(_pair, request, dataSetId, dataSetVersion, ("from",))
    if isinstance(found, Response):
        return found
    etag = http_cache.etag_of("diff-csv", found.old.id, found.new.id)
    name = f"{found.new.data_set_id}_v{found.new.version}_diff_from_v{found.old.version}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "X-Robots-Tag": "noindex",
               **http_cache.headers_for(request, etag,
                                        pinned=_pinned(request, dataSetVersion))}
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    return StreamingResponse(_csv(version_diffs(request), found), media_type="text/csv",
                             headers=headers)


def _csv(diffs: VersionDiffs, d: Diff) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(present.csv_header(d))
    for i, row in enumerate(present.csv_rows(diffs.all_rows(d)), start=1):
        writer.writerow(row)
        if i % 1000 == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()
