"""What routes receive from the running app (FastAPI dependencies): the platform, the
signed-in person, and the published catalogue as that person may see it now."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from openstats import sessions
from openstats.catalogue.published import View
from openstats.errors import CatalogueUnavailable
from openstats.model.users import User
from openstats.platform import Platform
from openstats.publishing import workflow
from openstats.query.diffs import VersionDiffs


def platform(request: Request) -> Platform:
    found = request.app.state.platform
    assert isinstance(found, Platform)
    return found


def current_user(request: Request) -> User | None:
    """The signed-in person (their live server-side session's), once per request."""
    return sessions.signed_in_user(request)


def preview_releases(request: Request) -> frozenset[str]:
    """Releases the signed-in reader may see before their time (pre-release access)."""
    if not request.cookies.get(sessions.COOKIE):
        return frozenset()  # the common case: a reader with no session, no query at all
    p = platform(request)
    try:
        return workflow.pre_release_ids(p.catalogue, current_user(request),
                                        p.settings.pre_release_hours)
    except CatalogueUnavailable:
        # Who is signed in, and what they may see early, is in the database: while it is
        # away a signed-in reader sees what everyone sees (never more).
        return frozenset()


def public_view(request: Request) -> View:
    """The published catalogue as this reader may see it now."""
    return platform(request).catalogue.snapshots.view(preview_releases=preview_releases(request))


PlatformDep = Annotated[Platform, Depends(platform)]
UserDep = Annotated[User | None, Depends(current_user)]
ViewDep = Annotated[View, Depends(public_view)]


def api_view(request: Request) -> View:
    """The published catalogue as everyone sees it now: the API answers the same to all
    (pre-release access is for the pages of signed-in people only)."""
    return platform(request).catalogue.snapshots.view()


def version_diffs(request: Request) -> VersionDiffs:
    """Observation-level diffs between versions (stored at import, or computed here)."""
    p = platform(request)
    return VersionDiffs(p.catalogue, p.storage, p.settings.data_dir, p.settings.memory_limit)
