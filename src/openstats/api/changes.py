"""`GET /api/v1/changes?since=...`: release events as a JSON feed (an openstats extension,
not part of EES's API). Each item says a release version became public: its id (for
de-duplication), type, when it was recorded, the publication, the release, its data sets
and their versions, and links; the same JSON a webhook receives (present/events.py).

Registered on the API router by api/routes.py (`register`), so it is in the one OpenAPI
document and under every prefix the API has.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from openstats.api import openapi
from openstats.api.answers import answer, problem
from openstats.api.params import paging_params, unknown_params
from openstats.api.versions import canonical_uuid
from openstats.catalogue import events
from openstats.dependencies import platform
from openstats.model.notifications import EVENT_TYPES
from openstats.present.events import event_json
from openstats.query.request import Problem

DEFAULT_SIZE, MAX_SIZE = 20, 100

_S, _I = openapi.STRING, openapi.INTEGER
EVENT = openapi.obj({
    "id": {**_S, "format": "uuid"}, "type": {"enum": list(EVENT_TYPES)},
    "time": {**_S, "format": "date-time"}, "published": {**_S, "format": "date-time"},
    "publication": openapi.obj({"id": _S, "slug": _S, "title": _S}),
    "release": openapi.obj({"id": _S, "slug": _S, "title": _S, "version": _I, "notes": _S}),
    "dataSets": openapi.array(openapi.obj({
        "id": _S, "title": _S, "version": _S,
        "links": openapi.obj({"page": _S, "api": _S, "csv": _S})})),
    "links": openapi.obj({"release": _S, "publication": _S, "feed": _S})})
DESCRIPTION = """**openstats extension** (not part of EES's API). Release versions as they
became public, oldest first: one event per release version, `release.published` for a
release's first version and `release.amended` for each amendment, recorded at or after
the release's publish time (never before). Poll with `since` set to the `time` of the
newest event you have: events at that moment are listed again, so de-duplicate by `id`."""


def parse_since(raw: str) -> datetime | None:
    """An ISO 8601 date or date-time (UTC when it gives no offset); None if it is not."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def list_changes(
    request: Request,
    since: Annotated[str | None, Query(include_in_schema=False)] = None,
    publicationId: Annotated[str | None, Query(include_in_schema=False)] = None,  # noqa: N803
    page: Annotated[str | None, Query(include_in_schema=False)] = None,
    pageSize: Annotated[str | None, Query(include_in_schema=False)] = None,  # noqa: N803
) -> Response:
    errors = unknown_params(request, ("since", "publicationId", "page", "pageSize"))
    page_no, size = paging_params(request, DEFAULT_SIZE, MAX_SIZE, errors)
    moment = parse_since(since) if since is not None else None
    if since is not None and moment is None:
        errors.append(Problem("InvalidValue", "since", message=(
            "The value of 'since' must be an ISO 8601 date or date-time, for example "
            "2025-06-12T09:30:00Z.")))
    publication_id = canonical_uuid(publicationId) if publicationId is not None else None
    if publicationId is not None and publication_id is None:
        errors.append(Problem("InvalidValue", "publicationId", message=(
            "The value of 'publicationId' must be a publication's id (a UUID).")))
    if errors:
        return problem(400, errors)
    total, found = events.page_since(platform(request).catalogue, moment,
                                     publication_id=publication_id,
                                     offset=(page_no - 1) * size, limit=size)
    base = str(request.base_url).rstrip("/")
    body: dict[str, Any] = {
        "paging": {"page": page_no, "pageSize": size, "totalResults": total,
                   "totalPages": max(1, -(-total // size))},
        "results": [event_json(e, base) for e in found]}
    return answer(request, body, immutable=False)


def register(router: APIRouter) -> None:
    """Add the route to the API's router (not included as a router of its own: the API's
    routes are listed from that router's, for the document and its tests)."""
    router.get("/changes", tags=["openstats extensions"],
               summary="List release events (openstats extension)", description=DESCRIPTION,
               responses=openapi.responses(openapi.paginated(EVENT),
                                           "A page of events, oldest first."),
               openapi_extra={**openapi.EXTENSION, "parameters": [
                   openapi.query("since", {"type": "string", "format": "date-time"},
                                 "Only events recorded at or after this moment (ISO 8601, "
                                 "e.g. 2025-06-12T09:30:00Z). Default: all."),
                   openapi.query("publicationId", {"type": "string", "format": "uuid"},
                                 "Only this publication's events."),
                   *openapi.paging(MAX_SIZE, DEFAULT_SIZE)]})(list_changes)
