"""Atom feeds of release events: `/feeds/releases.atom` (every publication) and
`/find-statistics/<publication>/feed.atom` (one). An entry per release version that has
become public (its release event, catalogue/events.py): nothing shows before its time,
and an amendment is an entry of its own. Feed readers find them from the pages'
`<link rel="alternate">`.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import Response

from openstats import http_cache
from openstats.catalogue import events
from openstats.dependencies import api_view, platform
from openstats.model.notifications import AMENDED, ReleaseEvent
from openstats.present.events import iso, publication_url, release_url
from openstats.web.pages import not_found

router = APIRouter()
ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50  # the newest; older events stay in GET /api/v1/changes
EPOCH = "1970-01-01T00:00:00Z"  # a feed with no entries yet: updated "never"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def _entry(feed: ET.Element, event: ReleaseEvent, base: str) -> None:
    entry = _add(feed, "entry")
    amended = event.type == AMENDED
    _add(entry, "id", f"urn:uuid:{event.id}")
    _add(entry, "title", f"{event.publication_title}: {event.release_title}"
                         + (" (updated)" if amended else ""))
    _add(entry, "updated", iso(event.time))
    _add(entry, "published", iso(event.published))
    _add(entry, "link", rel="alternate", type="text/html", href=release_url(base, event))
    _add(entry, "category", term=event.type)
    sets = "; ".join(f"{d.title} (version {d.version})" for d in event.data_sets)
    summary = (f"{'Updated' if amended else 'Published'}: {event.release_title} of "
               f"{event.publication_title}." + (f" Data sets: {sets}." if sets else "")
               + (f" What changed: {event.notes.strip()}" if amended and event.notes.strip()
                  else ""))
    _add(entry, "summary", summary, type="text")


def atom(request: Request, title: str, page_url: str, found: list[ReleaseEvent]) -> Response:
    base = str(request.base_url).rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    self_url = base + request.url.path
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    _add(feed, "updated", iso(found[0].time) if found else EPOCH)
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    _add(_add(feed, "author"), "name", "openstats")
    for event in found:
        _entry(feed, event, base)
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    headers = http_cache.headers_for(request, http_cache.etag_of(body), pinned=False)
    if http_cache.matches(request, headers["ETag"]):
        return http_cache.not_modified(headers)
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)


@router.get("/feeds/releases.atom")
def all_releases(request: Request) -> Response:
    found = events.newest(platform(request).catalogue, limit=ENTRIES)
    base = str(request.base_url).rstrip("/")
    return atom(request, "openstats: releases", f"{base}/find-statistics", found)


@router.get("/find-statistics/{publication}/feed.atom")
def publication_releases(request: Request, publication: str) -> Response:
    public = api_view(request).publication(publication)
    if public is None:
        return not_found(request)
    found = events.newest(platform(request).catalogue, publication_id=public.id,
                          limit=ENTRIES)
    base = str(request.base_url).rstrip("/")
    return atom(request, f"{public.title}: releases", publication_url(base, public.slug),
                found)
