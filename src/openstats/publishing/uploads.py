"""A publisher's upload, from the files arriving to their import into a release's draft.

The files wait in an upload folder (publishing/upload_folders.py) between the screening
report and the import, which another replica may confirm.

Rights are checked when the files arrive and again at import, on the release, its
publication and the data set replaced (which must be of the same publication): the
record is only a note of what was asked, never trusted as permission.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import Connection

from openstats.catalogue import audit, data_sets, releases
from openstats.errors import CatalogueUnavailable, ScreeningFailed, StorageError
from openstats.faults import crash_point
from openstats.ingest.service import RecordedVersion, import_pair
from openstats.model.catalogue import ReleaseDataSet, ReleaseState, ReleaseVersion
from openstats.model.users import User
from openstats.platform import Platform
from openstats.publishing.upload_folders import UploadRecord, claim, received
from openstats.publishing.workflow import Refused, data_set_of_publication, draft_of
from openstats.standards.findings import Report
from openstats.standards.screener import screen
from openstats.storage import space

# The longest file name kept: most file systems stop at 255 bytes, and the screener allows
# 150 characters before .meta.csv anyway.
MAX_NAME_BYTES = 255


@dataclass(frozen=True)
class IncomingFile:
    given_name: str | None  # as the browser sent it
    content: BinaryIO
    which: str  # "data" or "meta"


@dataclass(frozen=True)
class Screened:
    upload_id: str
    report: Report


def upload_name(given: str | None, which: str) -> tuple[str, str | None]:
    """The name a browser gave an uploaded file, without any folder part, and the reason
    to refuse it, if any.

    Browsers send the bare name, some a Windows path (C:\\fakepath\\x.csv); a crafted
    request can send anything. The name is only ever used inside the upload's own folder,
    so `../../etc/passwd.csv` becomes passwd.csv. Names that no file can have (empty, NUL
    and other control characters, too long) are refused, saying why.
    """
    name = (given or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        return name, f"The {which} file has no name. Choose the file again."
    if any(not c.isprintable() for c in name):
        return name, (f"The name of the {which} file contains control characters (such as "
                      "a NUL byte). Rename the file and upload it again.")
    if len(name.encode()) > MAX_NAME_BYTES:
        return name, (f"The name of the {which} file is {len(name):,} characters long, too "
                      "long to store. File names may have at most 150 characters before "
                      ".csv.")
    return name, None


def _check_replacement(conn: Connection, data_set_id: str, publication_id: str) -> None:
    if data_set_id and not data_set_of_publication(conn, data_set_id, publication_id):
        # Another publication's data set (or none): never reachable from this release.
        raise Refused("The data set to replace must be one of this publication's data "
                      "sets. Choose it from the list.", title="Choose a data set to replace")


def receive(p: Platform, user: User, release_id: str, *, title: str, summary: str,
            replaces: str, files: tuple[IncomingFile, IncomingFile]) -> Screened:
    """Keep both files, screen them, and keep the upload for import if they can be."""
    title = title.strip()
    replaces = replaces.strip()
    if not title:
        raise Refused("A data set needs its data CSV, its meta CSV and a title.",
                      title="Choose both files and give a title")
    if replaces:
        try:
            replaces = str(uuid.UUID(replaces))
        except ValueError:
            raise Refused("Choose the data set to replace from the list.",
                          title="Choose a data set to replace") from None
    with p.catalogue.connect() as conn:
        draft = draft_of(conn, user, release_id, "upload")
        _check_replacement(conn, replaces, draft.publication_id)
    names = []
    for item in files:
        name, problem = upload_name(item.given_name, item.which)
        if problem is not None:
            raise Refused(problem, title="The file name cannot be used")
        names.append(name)
    upload_id = str(uuid.uuid4())
    folder = p.settings.data_dir / "uploads" / upload_id
    sizes = sum(_size(item.content) for item in files)
    try:
        space.check_room(p.settings.data_dir, sizes + space.MARGIN, "receiving the files")
    except space.OutOfSpace as e:
        raise _no_room(e, kept=False) from None
    claim(folder)  # until the report is shown: a crash leaves it to the sweep
    try:
        # Each file in a folder of its own: two files of the same name, or one called
        # upload.json, cannot overwrite each other or the upload's record.
        paths = []
        for item, name in zip(files, names, strict=True):
            target = folder / item.which / name
            target.parent.mkdir()
            with target.open("wb") as out:
                shutil.copyfileobj(item.content, out, 1 << 20)
            paths.append(target)
        UploadRecord(release_id, title, summary, f"data/{names[0]}", f"meta/{names[1]}",
                     replaces, user.id).save(folder)
        with screen(paths[0], paths[1], reference_dir=p.settings.reference_dir,
                    workdir=p.storage.staging, memory_limit=p.settings.memory_limit) as s:
            crash_point("upload.screened")
            report = s.report
    except BaseException as e:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half-uploaded stays behind
        if isinstance(e, Exception) and space.is_out_of_space(e):
            raise _no_room(space.OutOfSpace("receiving the files", p.settings.data_dir,
                                            sizes + space.MARGIN,
                                            space.free_space(p.settings.data_dir)),
                           kept=False) from None
        raise
    with p.catalogue.transaction() as conn:
        audit.record(conn, user, "upload", "release", release_id,
                     f"{paths[0].name}: {len(report.errors)} errors, "
                     f"{len(report.warnings)} warnings")
    if not report.ok:
        shutil.rmtree(folder, ignore_errors=True)
        return Screened(upload_id, report)
    received(folder)
    try:
        # The import may be confirmed through another replica: share the files.
        p.storage.share_upload(upload_id, folder)
    except StorageError:
        shutil.rmtree(folder, ignore_errors=True)
        raise Refused("The file store did not answer. Nothing was kept: upload the files "
                      "again in a few minutes.", title="The files could not be stored",
                      status=503) from None
    return Screened(upload_id, report)


def import_upload(p: Platform, user: User, upload_id: str, acknowledged: bool) -> str:
    """Import a screened upload into its release's draft; the release id."""
    upload_id = Path(upload_id).name
    folder = p.settings.data_dir / "uploads" / upload_id
    try:
        if UploadRecord.load(folder) is None:
            # Screened through another replica: fetch its shared copy, if there is one.
            p.storage.fetch_upload(upload_id, folder)
        elif p.storage.upload_gone(upload_id):
            # Screened here but imported through another replica (the form sent twice):
            # this copy is stale, and importing it would make a second data set.
            shutil.rmtree(folder, ignore_errors=True)
    except StorageError:
        raise Refused("Nothing was imported. Try again in a few minutes.",
                      title="The file store did not answer", status=503) from None
    record = UploadRecord.load(folder)
    if record is None:
        raise Refused("Upload the files again.", title="Upload not found", status=404)
    with p.catalogue.connect() as conn:
        # Rights on the release, its publication and the data set replaced, again.
        draft = draft_of(conn, user, record.release_id, "upload")
        _check_replacement(conn, record.data_set_id, draft.publication_id)
        existing = releases.entry(conn, draft.id, record.data_set_id) \
            if record.data_set_id else None
        replaces = None
        if existing is not None and all(
                rv.state is ReleaseState.DRAFT for rv in _holder_versions(conn, existing)):
            replaces = existing.version_id  # a draft's own new version: replaced, not kept
    if not acknowledged:
        raise Refused("Tick the box to say the warnings have been read, then import.",
                      title="Confirm you have read the warnings")
    data_set_id = record.data_set_id or str(uuid.uuid4())

    def write(conn: Connection, recorded: list[RecordedVersion]) -> None:
        current = releases.entry(conn, draft.id, data_set_id)
        if recorded:
            version_id = recorded[0].version.id
        elif current is not None:
            version_id = current.version_id
        else:
            latest = data_sets.versions(conn, data_set_id)[0]
            version_id = latest.id
        count = len(releases.entries(conn, draft.id))
        releases.put_entry(conn, ReleaseDataSet(
            draft.id, data_set_id, version_id,
            current.title if current else record.title,
            current.summary if current else record.summary,
            current.footnotes if current else (),
            current.position if current else count))
        audit.record(conn, user, "import", "data_set", data_set_id, Path(record.data).name)

    try:
        import_pair(p.catalogue, p.storage, p.settings, folder / record.data,
                    folder / record.meta, data_set_id=data_set_id,
                    publication_id=draft.publication_id, title=record.title,
                    replaces=replaces, write_catalogue=write)
    except ScreeningFailed:
        _forget(p, upload_id, folder)
        raise Refused("Nothing was imported.", title="The files have errors",
                      status=422) from None
    except space.OutOfSpace as e:
        # The files are fine: they wait (their two days) for the import to be tried again.
        raise _no_room(e, kept=True) from None
    except StorageError:
        raise Refused("Nothing was imported, and your files are kept: press Import again "
                      "in a few minutes.", title="The file store did not answer",
                      status=503) from None
    except CatalogueUnavailable:
        raise  # the app's 503 page; the files are kept for the next try
    _forget(p, upload_id, folder)
    return record.release_id


def _forget(p: Platform, upload_id: str, folder: Path) -> None:
    """An upload imported (or refused): its files go, here and where replicas share them."""
    shutil.rmtree(folder, ignore_errors=True)
    try:
        p.storage.drop_upload(upload_id)
    except StorageError:
        pass  # an unimported shared upload is swept after two days


def _size(content: BinaryIO) -> int:
    """The size of an uploaded file (received in full before the form is read)."""
    try:
        here = content.tell()
        size = content.seek(0, 2)
        content.seek(here)
        return int(size)
    except (OSError, ValueError):
        return 0


def _no_room(e: space.OutOfSpace, *, kept: bool) -> Refused:
    then = ("Your files are kept: once there is room, press Import again."
            if kept else "Nothing was kept: once there is room, upload the files again.")
    return Refused(f"The server's disk is too full: {e.doing} needs about "
                   f"{space.megabytes(e.needed)} free, and {space.megabytes(e.free)} is free. "
                   f"{then} Tell the team that runs this service.",
                   title="There is not enough disk space", status=507)


def _holder_versions(conn: Connection, item: ReleaseDataSet) -> list[ReleaseVersion]:
    """The release versions holding the same data-set version as `item`."""
    out = []
    for held in releases.holding(conn, item.version_id):
        rv = releases.release_version(conn, held.release_version_id)
        if rv is not None:
            out.append(rv)
    return out
