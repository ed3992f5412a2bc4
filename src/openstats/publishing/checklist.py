"""The release checklist: what must be right before a release version may be approved
(errors) and what a publisher may have forgotten (warnings), as EES's checklist has them.

Errors: a data set imported and no import still running, data guidance written (the
release's and each data set's summary), no empty content section, a key statistic or
headline text, and a release note on an amendment. Warnings: no methodology, no next
update date, no featured tables, no public pre-release access list, uploads screened but
never imported. `workflow.approve` refuses a release with errors, in the transaction that
would approve it; the release page in the publishing side shows the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection

from openstats.catalogue import content, methodologies, releases
from openstats.catalogue.db import Catalogue
from openstats.model.catalogue import ReleaseVersion
from openstats.model.users import User
from openstats.publishing import workflow
from openstats.publishing.upload_folders import UploadState, of_release


@dataclass(frozen=True)
class Issue:
    code: str  # EES's name for it, e.g. "EmptyContentSectionExists"
    message: str
    link: str  # where in the publishing side to put it right


@dataclass(frozen=True)
class Checklist:
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def check(conn: Connection, rv: ReleaseVersion, uploads: Path) -> Checklist:
    """The checklist of a release version; `uploads` is the upload folders' root."""
    page = f"/admin/releases/{rv.release_id}"
    words = f"{page}/content"
    held = releases.entries(conn, rv.id)
    said = content.content_of(conn, rv.id)
    waiting = [state for _, state in of_release(uploads, rv.release_id)]
    busy = {UploadState.CHECKING, UploadState.IMPORTING}
    errors = []
    if not held:
        errors.append(Issue("NoDataFiles", "Upload and import at least one data set",
                            f"{page}#upload-form"))
    if any(state in busy for state in waiting):
        errors.append(Issue("DataFileImportsMustBeCompleted",
                            "All data imports must be completed", page))
    if held and (not rv.data_guidance.strip() or any(not e.summary.strip() for e in held)):
        errors.append(Issue("PublicDataGuidanceRequired",
                            "All summary information must be completed: the data guidance "
                            "and a summary of each data set", f"{page}#data-guidance"))
    if rv.is_amendment and not rv.notes.strip():
        errors.append(Issue("ReleaseNoteRequired",
                            "A public release note for this amendment is required",
                            f"{page}#approve"))
    if any(s.is_empty for s in said.sections):
        errors.append(Issue("EmptyContentSectionExists",
                            "Release content should not contain any empty sections",
                            f"{words}#sections"))
    if not said.key_statistics and not said.headline.strip():
        errors.append(Issue("ReleaseMustContainKeyStatOrNonEmptyHeadlineBlock",
                            "Release must contain a key statistic or a non-empty headline "
                            "text block", f"{words}#headlines"))
    warnings = []
    if not methodologies.of_publication(conn, rv.publication_id):
        warnings.append(Issue("NoMethodology",
                              "A methodology has not been written for this publication",
                              f"/admin/publications/{rv.publication_id}/methodologies"))
    if not rv.next_update.strip():
        warnings.append(Issue("NoNextReleaseDate", "No next expected release date has been "
                              "added", f"{page}#data-guidance"))
    if not releases.featured_tables(conn, frozenset({rv.id})) and not said.blocks:
        warnings.append(Issue("NoFeaturedTables", "No data blocks or featured tables have "
                              "been made", f"{words}#sections"))
    if not said.pre_release_access_list.strip():
        warnings.append(Issue("NoPublicPreReleaseAccessList",
                              "A public pre-release access list has not been created",
                              f"{words}#pre-release-access-list"))
    if any(state not in busy for state in waiting):
        warnings.append(Issue("UploadsNotImported", "Some uploads were checked but never "
                              "imported (they are discarded after two days)", page))
    return Checklist(tuple(errors), tuple(warnings))


def for_release(catalogue: Catalogue, user: User, release_id: str, uploads: Path) -> Checklist:
    """The checklist of a release's latest version, for someone who may see the release."""
    # workflow imports this module (approve runs the checklist): reached through it here.
    info = workflow.release_for(catalogue, user, release_id)
    with catalogue.connect() as conn:
        return check(conn, info.latest, uploads)
