"""Methodologies as services: create, write, amend, approve (with a release or at once),
take an approval back; and which publication supersedes which.

A methodology is its publication's: everyone who may edit the publication's releases
may write it, approvers approve it. A version approved "with" a release version is public
exactly when that release version is; "immediately" means from the moment of approval.
A published version is never edited in place: an amendment is.
"""

from __future__ import annotations

from openstats.catalogue import audit, methodologies, publications, releases
from openstats.catalogue.db import Catalogue, bump_generation
from openstats.catalogue.values import now
from openstats.model.catalogue import ReleaseState, ReleaseVersion
from openstats.model.content import MethodologySection, MethodologyVersion
from openstats.model.users import User
from openstats.publishing.workflow import Missing, Refused, require


def of_publication(catalogue: Catalogue, user: User, publication_id: str
                   ) -> list[MethodologyVersion]:
    require(user, "preview", publication_id)
    with catalogue.connect() as conn:
        return methodologies.of_publication(conn, publication_id)


def versions(catalogue: Catalogue, user: User, methodology_id: str) -> list[MethodologyVersion]:
    with catalogue.connect() as conn:
        found = methodologies.versions_of(conn, methodology_id)
    if not found:
        raise Missing("methodology")
    require(user, "preview", found[-1].publication_id)
    return found


def create(catalogue: Catalogue, user: User, publication_id: str, title: str) -> str:
    require(user, "edit_release", publication_id)
    slug = publications.slugify(title)
    if not slug:
        raise Refused("Give the methodology a title.", title="Enter a title")
    with catalogue.transaction() as conn:
        if methodologies.find(conn, slug):
            raise Refused(f"There is a methodology called '{title}' already.",
                          title="Choose another title")
        made = methodologies.create(conn, publication_id, slug, title.strip())
        audit.record(conn, user, "create_methodology", "methodology", made.methodology_id,
                     title)
    return made.methodology_id


def _draft(found: MethodologyVersion) -> None:
    if found.state is not ReleaseState.DRAFT:
        raise Refused("This version is approved. Start an amendment to change it, or take "
                      "the approval back if it is not public yet.",
                      title="The methodology is approved", status=409)


def edit(catalogue: Catalogue, user: User, methodology_id: str, *, title: str, summary: str,
         sections: tuple[MethodologySection, ...], notes: str) -> None:
    if not title.strip():
        raise Refused("Give the methodology a title.", title="Enter a title")
    with catalogue.transaction() as conn:
        latest = methodologies.latest_version(conn, methodology_id)
        if latest is None:
            raise Missing("methodology")
        require(user, "edit_release", latest.publication_id)
        _draft(latest)
        methodologies.set_words(conn, latest, title=title.strip(), summary=summary,
                                sections=sections, notes=notes)
        audit.record(conn, user, "edit_methodology", "methodology", methodology_id, title)


def amend(catalogue: Catalogue, user: User, methodology_id: str) -> None:
    with catalogue.transaction() as conn:
        latest = methodologies.latest_version(conn, methodology_id)
        if latest is None:
            raise Missing("methodology")
        require(user, "edit_release", latest.publication_id)
        if latest.state is ReleaseState.DRAFT:
            raise Refused("This methodology already has a version being written.",
                          title="An amendment is already in progress", status=409)
        methodologies.amend(conn, latest)
        audit.record(conn, user, "amend_methodology", "methodology", methodology_id, "")


def approve(catalogue: Catalogue, user: User, methodology_id: str,
            release_id: str | None) -> None:
    """Approve the draft: published with the latest version of `release_id` (a release
    of the methodology's publication), or (None) now."""
    with catalogue.transaction(immediate=True) as conn:
        latest = methodologies.latest_version(conn, methodology_id)
        if latest is None:
            raise Missing("methodology")
        require(user, "approve", latest.publication_id)
        _draft(latest)
        if latest.is_amendment and not latest.notes.strip():
            raise Refused("An amendment needs a note saying what changed.",
                          title="Write what changed")
        with_rv = None
        if release_id:
            rv = releases.latest_version(conn, release_id)
            if rv is None or rv.publication_id != latest.publication_id:
                raise Refused("Choose one of this publication's releases.",
                              title="Choose a release")
            with_rv = rv.id
        methodologies.approve(conn, latest, with_release_version_id=with_rv, when=now(),
                              approved_by=user.id)
        bump_generation(conn)
        audit.record(conn, user, "approve_methodology", "methodology", methodology_id,
                     f"with release version {with_rv}" if with_rv else "immediately")


def unapprove(catalogue: Catalogue, user: User, methodology_id: str) -> None:
    """Take an approval back while the version is not public yet."""
    with catalogue.transaction(immediate=True) as conn:
        latest = methodologies.latest_version(conn, methodology_id)
        if latest is None:
            raise Missing("methodology")
        require(user, "approve", latest.publication_id)
        rv = releases.release_version(conn, latest.with_release_version_id) \
            if latest.with_release_version_id else None
        public = (latest.scheduled is not None and latest.scheduled <= now()) or (
            rv is not None and rv.public_at(now()))
        if latest.state is ReleaseState.DRAFT or public:
            raise Refused("Only an approved version that is not public yet can be taken "
                          "back; amend a published one.", title="Cannot take it back")
        methodologies.unapprove(conn, latest)
        bump_generation(conn)
        audit.record(conn, user, "unapprove_methodology", "methodology", methodology_id, "")


def set_successor(catalogue: Catalogue, user: User, publication_id: str,
                  successor_id: str) -> None:
    """Say a publication is superseded by another ("" for none); readers see it once the
    successor has a public release."""
    require(user, "create_publication", publication_id)
    with catalogue.transaction() as conn:
        if successor_id and (successor_id == publication_id or publications.publication(
                conn, successor_id) is None):
            raise Refused("Choose another publication.", title="Choose a publication")
        methodologies.set_successor(conn, publication_id, successor_id or None)
        bump_generation(conn)
        audit.record(conn, user, "supersede", "publication", publication_id, successor_id)


def publication_releases(catalogue: Catalogue, user: User, publication_id: str
                         ) -> list[ReleaseVersion]:
    """The latest version of each of a publication's releases (to publish a methodology
    with), newest first."""
    require(user, "preview", publication_id)
    with catalogue.connect() as conn:
        return releases.latest_versions_of_publication(conn, publication_id)
