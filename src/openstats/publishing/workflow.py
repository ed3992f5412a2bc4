"""The release workflow as services: create, write, amend, approve, schedule, pre-release.

Every service takes the person acting and checks their rights on every object it touches
(the release, its publication, each data set), not only the one in the URL; it refuses
with a `Refused` saying why, and writes each change and its audit entry in one
transaction. What readers see changes only through approval: a draft is invisible, an
approved version is public from its moment, and a published one is never edited in
place (an edit to it needs an amendment, which goes through approval again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Connection

from openstats import metrics
from openstats.catalogue import (
    accounts,
    audit,
    data_sets,
    events,
    pre_release,
    publications,
    releases,
)
from openstats.catalogue.db import Catalogue, bump_generation
from openstats.catalogue.releases import ReleaseWords
from openstats.catalogue.values import now
from openstats.errors import OpenstatsError
from openstats.faults import crash_point
from openstats.model.catalogue import (
    RELEASE_TYPES,
    ReleaseDataSet,
    ReleaseState,
    ReleaseVersion,
)
from openstats.model.footnotes import Footnote
from openstats.model.users import User, allowed
from openstats.publishing import checklist
from openstats.standards import time_periods

log = logging.getLogger("openstats.scheduler")


class Refused(OpenstatsError):
    """A publishing action that cannot be done, with the reason to show the person.
    `status` is the HTTP status a page answering it should carry; `field` names the form
    field at fault, if one is, and `problems` lists (field, message) when several are
    (a form shows each beside its field: admin/pages.py)."""

    def __init__(self, message: str, title: str = "You cannot do that",
                 status: int = 400, *, field: str = "",
                 problems: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.title = title
        self.status = status
        self.field = field
        self.problems = problems


class NotAllowed(Refused):
    def __init__(self) -> None:
        super().__init__("Your account does not have permission for this. Ask an "
                         "administrator if you need it.", status=403)


class NotReady(Refused):
    """A release whose checklist has errors (publishing/checklist.py)."""

    def __init__(self, found: checklist.Checklist) -> None:
        super().__init__(" ".join(f"{e.message}." for e in found.errors),
                         title="This release cannot be approved yet",
                         problems=tuple((FIELDS.get(e.code, ""), f"{e.message}.")
                                        for e in found.errors))
        self.checklist = found


# The approve form's field a checklist error is about, where it is about one.
FIELDS = {"ReleaseNoteRequired": "notes"}


class Missing(Refused):
    def __init__(self, what: str) -> None:
        super().__init__(f"There is no such {what}.", title="Not found", status=404)


def require(user: User, action: str, publication_id: str | None) -> None:
    """Refuse (NotAllowed) unless `user` may do `action` on the publication: the one check
    every publishing service makes (model/users.py `allowed` decides)."""
    if not allowed(user, action, publication_id):
        raise NotAllowed()


# --- releases -----------------------------------------------------------------------------
@dataclass(frozen=True)
class NewRelease:
    """A release as its publisher names it, as EES does: the period it covers (a time
    identifier's code and its first year, as typed) and an optional label; its title and
    slug follow from them (standards/time_periods.py)."""

    coverage: str  # "AY", "CY", "T1", "M1", ...
    year: str  # "2023" (for 2023/24 too)
    label: str
    release_type: str
    next_update: str = ""


def create_release(catalogue: Catalogue, user: User, publication_id: str,
                   new: NewRelease) -> ReleaseVersion:
    require(user, "create_release", publication_id)
    label, year = new.label.strip(), new.year.strip()
    problems = []
    if new.coverage not in time_periods.COVERAGES:
        problems.append(("coverage", "Choose the time period the release covers."))
    if not (len(year) == 4 and year.isdigit() and year[0] != "0"):
        problems.append(("year", "Enter the release's first year as 4 digits, for example "
                                 "2024 (for 2024/25, enter 2024)."))
    if len(label) > time_periods.MAX_RELEASE_LABEL:
        problems.append(("label", f"Enter a label of {time_periods.MAX_RELEASE_LABEL} "
                                  "characters or fewer."))
    if new.release_type not in RELEASE_TYPES:
        problems.append(("release_type", "Choose a release type."))
    if problems:
        raise Refused("; ".join(m for _, m in problems), title="Check the release's details",
                      problems=tuple(problems))
    title = time_periods.release_title(new.coverage, int(year), label)
    slug = publications.slugify(time_periods.release_slug_text(new.coverage, int(year), label))
    with catalogue.transaction() as conn:
        pub = publications.publication(conn, publication_id)
        if pub is None:
            raise Missing("publication")
        if releases.find_release(conn, pub.slug, slug):
            raise Refused(f"This publication already has a release for {title}: choose "
                          "another period, or add a label to tell them apart.",
                          title="Choose another period or label", field="label")
        made = releases.create_release(conn, pub, ReleaseWords(
            title, new.release_type, new.next_update.strip()), slug=slug)
        audit.record(conn, user, "create_release", "release", made.release_id, title)
    return made


@dataclass(frozen=True)
class ReleaseInfo:
    """A release as its publishers see it: every version, the one being worked on, and
    the data sets it holds."""

    versions: tuple[ReleaseVersion, ...]
    entries: tuple[ReleaseDataSet, ...]  # of the latest version

    @property
    def latest(self) -> ReleaseVersion:
        return self.versions[-1]

    @property
    def publication_id(self) -> str:
        return self.latest.publication_id


def release_for(catalogue: Catalogue, user: User, release_id: str,
                action: str = "preview") -> ReleaseInfo:
    """A release, after checking `user` may do `action` on its publication."""
    with catalogue.connect() as conn:
        versions = releases.versions_of_release(conn, release_id)
        if not versions:
            raise Missing("release")
        require(user, action, versions[-1].publication_id)
        return ReleaseInfo(tuple(versions), tuple(releases.entries(conn, versions[-1].id)))


def draft_of(conn: Connection, user: User, release_id: str, action: str) -> ReleaseVersion:
    """The release's version being written: its latest, which must be a draft."""
    latest = releases.latest_version(conn, release_id)
    if latest is None:
        raise Missing("release")
    require(user, action, latest.publication_id)
    if latest.state is ReleaseState.APPROVED and latest.scheduled_after(now()):
        raise Refused("This release is scheduled. Unschedule it to change it.",
                      title="The release is scheduled", status=409)
    if latest.state is not ReleaseState.DRAFT:
        raise Refused("This release is published. Start an amendment to change it: the "
                      "changes are published when the amendment is approved.",
                      title="The release is published", status=409)
    return latest


def amend(catalogue: Catalogue, user: User, release_id: str) -> ReleaseVersion:
    """Start an amendment of a published release: a draft copy of its latest version."""
    with catalogue.transaction(immediate=True) as conn:
        latest = releases.latest_version(conn, release_id)
        if latest is None:
            raise Missing("release")
        require(user, "edit_release", latest.publication_id)
        if latest.state is ReleaseState.DRAFT:
            raise Refused("This release already has a version being written.",
                          title="An amendment is already in progress", status=409)
        if not latest.public_at(now()):
            raise Refused("This release is not published yet. Unschedule it to change it.",
                          title="The release is scheduled", status=409)
        made = releases.new_version(conn, latest)
        audit.record(conn, user, "amend", "release", release_id, f"version {made.number}")
    return made


def edit_release_words(catalogue: Catalogue, user: User, release_id: str, *,
                       data_guidance: str | None = None, next_update: str | None = None,
                       notes: str | None = None) -> None:
    with catalogue.transaction() as conn:
        draft = draft_of(conn, user, release_id, "edit_release")
        words = releases.words_of(draft)
        releases.set_words(conn, draft, ReleaseWords(
            words.title, words.release_type,
            words.next_update if next_update is None else next_update,
            words.data_guidance if data_guidance is None else data_guidance,
            words.notes if notes is None else notes))
        audit.record(conn, user, "edit_release", "release", release_id, "")


def _held(conn: Connection, draft: ReleaseVersion, data_set_id: str) -> ReleaseDataSet:
    item = releases.entry(conn, draft.id, data_set_id)
    if item is None:
        # Not in this release: maybe another publication's, which the URL cannot reach.
        raise Missing("data set in this release")
    return item


def edit_data_set(catalogue: Catalogue, user: User, release_id: str, data_set_id: str,
                  title: str, summary: str) -> None:
    """A data set's title and summary in the release's draft (public when it is)."""
    title = title.strip()
    if not title or len(title) > 120:
        raise Refused("Enter a title of 120 characters or fewer.",
                      title="Enter a title of 120 characters or fewer", field="title")
    with catalogue.transaction() as conn:
        draft = draft_of(conn, user, release_id, "edit_release")
        item = _held(conn, draft, data_set_id)
        releases.put_entry(conn, replace(item, title=title, summary=summary.strip()))
        audit.record(conn, user, "edit_data_set", "data_set", data_set_id, title)


def add_footnote(catalogue: Catalogue, user: User, release_id: str, data_set_id: str,
                 note: Footnote) -> None:
    """Attach a footnote in the release's draft to a data set, filter, option or indicator."""
    if not note.text.strip():
        raise Refused("Write the footnote's text and choose what it applies to.",
                      title="The footnote cannot be added", field="text")
    with catalogue.transaction() as conn:
        draft = draft_of(conn, user, release_id, "edit_release")
        item = _held(conn, draft, data_set_id)
        why = note.problem(catalogue.metadata.get(item.version_id))
        if why:
            raise Refused(why, title="The footnote cannot be added", field="target")
        releases.put_entry(conn, replace(item, footnotes=(*item.footnotes, note)))
        audit.record(conn, user, "add_footnote", "data_set", data_set_id,
                     f"{note.applies_to(catalogue.metadata.get(item.version_id)) or 'data set'}"
                     f": {note.text[:80]}")


# --- approval and the schedule ------------------------------------------------------------
def approve(catalogue: Catalogue, user: User, release_id: str, when: datetime,
            notes: str | None = None, uploads: Path | None = None) -> ReleaseVersion:
    """Schedule the release's draft for `when` (UTC): public from then, all at once.
    Refused (`NotReady`) while its checklist has errors; `uploads`, the upload folders'
    root, lets the checklist see imports still running."""
    with catalogue.transaction(immediate=True) as conn:
        draft = draft_of(conn, user, release_id, "approve")
        if notes is not None:
            releases.set_words(conn, draft, replace(releases.words_of(draft), notes=notes))
            draft = replace(draft, notes=notes)
        found = checklist.check(conn, draft, uploads or Path("/nonexistent"))
        if not found.ok:
            raise NotReady(found)
        releases.schedule(conn, draft, when, user.id)
        crash_point("approve.release_dated")
        bump_generation(conn, release_id)
        crash_point("approve.versions_dated")
        audit.record(conn, user, "approve", "release", release_id,
                     f"version {draft.number} public at {when.isoformat(timespec='seconds')}")
    crash_point("approve.committed")
    return draft


def unschedule(catalogue: Catalogue, user: User, release_id: str) -> None:
    """Take back an approval before its time: the version is a draft again."""
    with catalogue.transaction(immediate=True) as conn:
        latest = releases.latest_version(conn, release_id)
        if latest is None:
            raise Missing("release")
        require(user, "unschedule", latest.publication_id)
        if not latest.scheduled_after(now()):
            raise Refused("Only a release scheduled for the future can be unscheduled.",
                          title="Cannot unschedule")
        releases.unschedule(conn, latest)
        bump_generation(conn, release_id)
        audit.record(conn, user, "unschedule", "release", release_id, "")


def publish_due(catalogue: Catalogue, at: datetime | None = None) -> list[ReleaseVersion]:
    """Record approved versions whose time has come as published (visibility itself needs
    no job: a version is public from its moment). Returns the versions recorded here.

    Each gets its release event (and the deliveries telling webhooks and subscribers) in
    the same transaction: recorded once, whoever runs this, and never before its time
    (`at` is never later than now, so nothing is announced early).
    """
    at = min(at or now(), now())
    marked: list[ReleaseVersion] = []
    with catalogue.transaction(immediate=True) as conn:
        for rv in releases.due(conn, at):
            if releases.mark_published(conn, rv):
                audit.record(conn, None, "published", "release", rv.release_id,
                             f"version {rv.number}")
                events.record(conn, rv, at)
                marked.append(rv)
                crash_point("publish_due.one_marked")
        if marked:
            bump_generation(conn)
    crash_point("publish_due.committed")
    for rv in marked:  # whoever recorded it: the scheduler, cron, or "Publish now"
        metrics.PUBLISHED.inc()
        log.info("release published", extra={"release_id": rv.release_id})
    return marked


def grant_pre_release(catalogue: Catalogue, user: User, release_id: str, email: str) -> str:
    """Give a named person early sight of a release; the message to show."""
    with catalogue.transaction() as conn:
        latest = releases.latest_version(conn, release_id)
        if latest is None:
            raise Missing("release")
        require(user, "grant_pre_release", latest.publication_id)
        target = accounts.user_by_email(conn, email)
        if target is None:
            raise Refused(f"There is no account for {email}: enter the email address of "
                          "an account.", title="No such account", field="email")
        pre_release.grant(conn, target.id, release_id)
        audit.record(conn, user, "grant_pre_release", "release", release_id, email)
    if latest.scheduled_after(now()):
        return f"{email} can see this release in the hours before it is published."
    if latest.public_at(now()):
        return f"{email} has pre-release access, but this release is already published."
    return (f"{email} will see this release in the hours before it is published, once it "
            "is approved and scheduled.")


def pre_release_ids(catalogue: Catalogue, user: User | None, hours: float,
                    at: datetime | None = None) -> frozenset[str]:
    """Releases `user` may see before their time now."""
    if user is None:
        return frozenset()
    with catalogue.connect() as conn:
        return pre_release.visible_early(conn, user.id, timedelta(hours=hours), at or now())


def data_set_of_publication(conn: Connection, data_set_id: str, publication_id: str) -> bool:
    """Whether a data set belongs to a publication (a replacement may name only those)."""
    found = data_sets.data_set(conn, data_set_id)
    return found is not None and found.publication_id == publication_id
