"""A release event as JSON, with its links: the one shape of the change feed
(`GET /api/v1/changes`), every webhook's body and what each mail says.

Links are absolute, from `base` (the site's address as the reader reaches it, or
OPENSTATS_PUBLIC_URL for webhooks and mails, which leave the site).
"""

from __future__ import annotations

from typing import Any

from openstats.model.notifications import ReleaseEvent


def iso(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def publication_url(base: str, slug: str) -> str:
    return f"{base}/find-statistics/{slug}"


def release_url(base: str, event: ReleaseEvent) -> str:
    return f"{publication_url(base, event.publication_slug)}/{event.release_slug}"


def event_json(event: ReleaseEvent, base: str) -> dict[str, Any]:
    """id (for de-duplication), type, time, publication, release, data sets, links."""
    return {
        "id": event.id,
        "type": event.type,
        "time": iso(event.time),
        "published": iso(event.published),
        "publication": {"id": event.publication_id, "slug": event.publication_slug,
                        "title": event.publication_title},
        "release": {"id": event.release_id, "slug": event.release_slug,
                    "title": event.release_title, "version": event.version_number,
                    "notes": event.notes},
        "dataSets": [{"id": d.id, "title": d.title, "version": d.version,
                      "links": {"page": f"{base}/data-catalogue/data-set/{d.id}",
                                "api": f"{base}/api/v1/data-sets/{d.id}/versions/{d.version}",
                                "csv": f"{base}/data-catalogue/data-set/{d.id}/csv"}}
                     for d in event.data_sets],
        "links": {"release": release_url(base, event),
                  "publication": publication_url(base, event.publication_slug),
                  "feed": f"{publication_url(base, event.publication_slug)}/feed.atom"},
    }
