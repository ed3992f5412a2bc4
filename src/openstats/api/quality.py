"""GET /api/v1/data-sets/{id}/versions/{version}/quality: a version's data-quality report
(present/quality.py), the numbers its page shows. An openstats extension, marked as one in
the OpenAPI document; published versions only, as every route of the API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from openstats import http_cache
from openstats.api import openapi
from openstats.api.answers import answer, not_found, problem
from openstats.api.params import DataSetId, VersionSpec, unknown_params
from openstats.api.versions import choose
from openstats.dependencies import platform
from openstats.present import quality

router = APIRouter()


@router.get("/data-sets/{dataSetId}/versions/{dataSetVersion}/quality",
            tags=[openapi.EXTENSION_TAG], summary="Get a data set version's quality report",
            description=(
                "The screener's warnings accepted when the version was imported, its rows "
                "by geographic level and by time period, and for each indicator the "
                "number and share of cells that are blank or carry each symbol (c, x, z, "
                f"low, u, k, and obsolete ones still present). {openapi.NOTE}"),
            responses=openapi.responses(openapi.QUALITY, "The version's quality report."),
            openapi_extra={**openapi.EXTENSION, "parameters": [openapi.AS_OF_PARAM]})
def get_quality(request: Request, dataSetId: DataSetId,  # noqa: N803
                dataSetVersion: VersionSpec) -> Response:  # noqa: N803
    found, errors = choose(request, dataSetId, dataSetVersion)
    if found is None and not errors:
        return not_found()
    errors += unknown_params(request, ("asOf",))
    if errors or found is None:
        return problem(400, errors)
    p = platform(request)
    report = quality.report(quality.version_quality(p, found),
                            p.catalogue.metadata.get(found.version_id))
    return answer(request, quality.api_body(found, report),
                  immutable=http_cache.pins_version(dataSetVersion))
