"""A publisher's upload, from the files arriving to their import into a release's draft.

Files come as a data CSV and its meta CSV, or in a ZIP file (publishing/archives.py): a
ZIP of one pair, or a bulk ZIP of many, each pair then an upload of its own. Each upload
waits in an upload folder (publishing/upload_folders.py) with its screening report, which
its page (`/admin/uploads/<id>`) shows on any replica, before and after the import; the
release's page lists the uploads waiting for theirs. The import may be confirmed through
another replica: storage that replicas share keeps a copy of the folder.

Rights are checked when the files arrive, when the report is shown and again at import,
on the release, its publication and the data set replaced (which must be of the same
publication): the record is only a note of what was asked, never trusted as permission.
(A little over 400 lines: an upload's whole life, arriving, shown, imported, removed, is
kept in one module so that these checks stand side by side.)
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import Connection

from openstats.catalogue import audit, data_sets, releases
from openstats.errors import ScreeningFailed, StorageError
from openstats.faults import crash_point
from openstats.ingest.service import RecordedVersion, import_pair
from openstats.model.catalogue import ReleaseDataSet, ReleaseState, ReleaseVersion
from openstats.model.users import User
from openstats.platform import Platform
from openstats.publishing import archives, upload_folders
from openstats.publishing.upload_folders import (
    Imported,
    UploadRecord,
    UploadState,
    claim,
    received,
)
from openstats.publishing.workflow import (
    Refused,
    data_set_of_publication,
    draft_of,
    release_for,
)
from openstats.standards.findings import Report
from openstats.standards.screening.screen import screen
from openstats.storage import space

# The longest file name kept: most file systems stop at 255 bytes, and the screener allows
# 150 characters before .meta.csv anyway.
MAX_NAME_BYTES = 255
MAX_TITLE = 120  # as the release page's form for a data set's title


@dataclass(frozen=True)
class IncomingFile:
    given_name: str | None  # as the browser sent it
    content: BinaryIO
    which: str  # "data", "meta" or "ZIP"


@dataclass(frozen=True)
class Screened:
    upload_id: str
    report: Report


@dataclass(frozen=True)
class Upload:
    """An upload as its page and its release's page show it."""

    id: str
    record: UploadRecord
    report: Report | None  # None while the files are being checked
    state: UploadState
    imported: Imported | None
    received: datetime

    @property
    def data_name(self) -> str:
        return Path(self.record.data).name


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


def _field(which: str) -> str:
    return {"data": "data_file", "meta": "meta_file"}.get(which, "zip_file")


def _folder(p: Platform, upload_id: str) -> Path:
    try:
        upload_id = str(uuid.UUID(upload_id))
    except ValueError:
        raise _no_upload() from None
    return p.settings.data_dir / "uploads" / upload_id


def _no_upload() -> Refused:
    return Refused("It was removed, or is more than two days old. Upload the files again.",
                   title="There is no such upload", status=404)


def _check_replacement(conn: Connection, data_set_id: str, publication_id: str) -> None:
    if data_set_id and not data_set_of_publication(conn, data_set_id, publication_id):
        # Another publication's data set (or none): never reachable from this release.
        raise Refused("The data set to replace must be one of this publication's data "
                      "sets. Choose it from the list.", title="Choose a data set to replace",
                      field="data_set_id")


def _check_request(p: Platform, user: User, release_id: str, replaces: str,
                   problems: list[tuple[str, str]]) -> tuple[ReleaseVersion, str]:
    """The release's draft, after checking rights and the form's details; raises with
    every problem found (`problems` holds those found before)."""
    if replaces:
        try:
            replaces = str(uuid.UUID(replaces))
        except ValueError:
            problems.append(("data_set_id", "Choose the data set to replace from the list."))
    with p.catalogue.connect() as conn:
        draft = draft_of(conn, user, release_id, "upload")
        if problems:
            raise Refused("; ".join(m for _, m in problems),
                          title="Check the details of the upload", problems=tuple(problems))
        _check_replacement(conn, replaces, draft.publication_id)
    return draft, replaces


def _title_problem(title: str) -> str | None:
    if not title:
        return "Enter a title for the data set."
    if len(title) > MAX_TITLE:
        return f"Enter a title of {MAX_TITLE} characters or fewer."
    return None


def receive(p: Platform, user: User, release_id: str, *, title: str, summary: str,
            replaces: str, files: tuple[IncomingFile | None, IncomingFile | None]) -> Screened:
    """Keep a data file and its meta file, screen them, and keep the upload with its
    report (the files only if they can be imported)."""
    title, replaces = title.strip(), replaces.strip()
    problems = [("title", why)] if (why := _title_problem(title)) else []
    names: list[str] = []
    for which, item in zip(("data", "meta"), files, strict=True):
        if item is None:
            problems.append((_field(which), f"Choose the {which} file."))
            continue
        name, problem = upload_name(item.given_name, which)
        if problem is not None:
            problems.append((_field(which), problem))
        names.append(name)
    _check_request(p, user, release_id, replaces, problems)
    data, meta = files
    assert data is not None and meta is not None
    upload_id = str(uuid.uuid4())
    folder = p.settings.data_dir / "uploads" / upload_id
    needed = _room_for(p, _size(data.content) + _size(meta.content))
    claim(folder)  # until the report is kept: a crash leaves it to the sweep

    def write(target: Path, which: str) -> None:
        item = data if which == "data" else meta
        with target.open("wb") as out:
            shutil.copyfileobj(item.content, out, 1 << 20)

    record = UploadRecord(release_id, title, summary, f"data/{names[0]}", f"meta/{names[1]}",
                          replaces, user.id)
    return _keep_and_screen(p, user, upload_id, folder, record, write, needed)


def receive_archive(p: Platform, user: User, release_id: str, *, title: str, summary: str,
                    replaces: str, archive: IncomingFile | None) -> list[Screened]:
    """Keep a ZIP file, check it whole, and screen each data set in it as an upload of
    its own (publishing/archives.py says what a ZIP may hold)."""
    title, replaces = title.strip(), replaces.strip()
    problems: list[tuple[str, str]] = []
    name = ""
    if archive is None:
        problems.append(("zip_file", "Choose the ZIP file."))
    else:
        name, problem = upload_name(archive.given_name, "ZIP")
        if problem is not None:
            problems.append(("zip_file", problem))
        elif not name.lower().endswith(".zip"):
            problems.append(("zip_file", f"'{name}' is not a ZIP file: choose a file whose "
                                         "name ends in .zip, or choose 'CSV files'."))
    if title and (why := _title_problem(title)):
        problems.append(("title", why))
    _check_request(p, user, release_id, replaces, problems)
    assert archive is not None
    # The ZIP and (at least) as much again for what it holds.
    needed = _room_for(p, 2 * _size(archive.content))
    # The ZIP itself waits in a folder of its own (swept if this process dies), hidden
    # from the storage that shares uploads, and goes once its pairs are unpacked.
    holding = p.settings.data_dir / "uploads" / str(uuid.uuid4())
    claim(holding)
    try:
        zipped = holding / ".archive.zip"
        with zipped.open("wb") as out:
            shutil.copyfileobj(archive.content, out, 1 << 20)
        limit = p.settings.max_upload_bytes
        contents = archives.inspect(zipped, limit)
        if not contents.bulk and not title:
            raise Refused("Enter a title for the data set (a ZIP of several data sets names "
                          "them in dataset_names.csv).", title="Enter a title", field="title")
        if contents.bulk and replaces:
            raise Refused("A bulk ZIP adds new data sets. To replace a data set, upload its "
                          "two files (alone, or in a ZIP of their own).",
                          title="Choose a data set to replace", field="data_set_id")
        done = []
        for pair in contents.pairs:
            upload_id = str(uuid.uuid4())
            folder = p.settings.data_dir / "uploads" / upload_id
            claim(folder)

            def write(target: Path, which: str, pair: archives.Pair = pair) -> None:
                archives.unpack(zipped, pair.data if which == "data" else pair.meta,
                                target, limit)

            record = UploadRecord(release_id, pair.title or title,
                                  "" if contents.bulk else summary,
                                  f"data/{pair.data}", f"meta/{pair.meta}", replaces, user.id,
                                  source=name)
            done.append(_keep_and_screen(p, user, upload_id, folder, record, write, needed))
        return done
    finally:
        shutil.rmtree(holding, ignore_errors=True)


def _room_for(p: Platform, sizes: int) -> int:
    """Refuse files there is no room for, before writing any of them: the room needed."""
    needed = sizes + space.MARGIN
    try:
        space.check_room(p.settings.data_dir, needed, "receiving the files")
    except space.OutOfSpace as e:
        raise _no_room(e, kept=False) from None
    return needed


def _keep_and_screen(p: Platform, user: User, upload_id: str, folder: Path,
                     record: UploadRecord, write: Callable[[Path, str], None],
                     needed: int) -> Screened:
    """Write an upload's two files into its claimed folder, screen them and keep the
    report; the files stay only if they can be imported. `needed`: the room the files
    were thought to need, for the message if the disk fills anyway."""
    try:
        # Each file in a folder of its own: two files of the same name, or one called
        # upload.json, cannot overwrite each other or the upload's record.
        paths = []
        for which, relative in (("data", record.data), ("meta", record.meta)):
            target = folder / relative
            target.parent.mkdir()
            write(target, which)
            paths.append(target)
        record.save(folder)
        with screen(paths[0], paths[1], reference_dir=p.settings.reference_dir,
                    workdir=p.storage.staging, memory_limit=p.settings.memory_limit) as s:
            crash_point("upload.screened")
            report = s.report
        if not report.ok:
            upload_folders.drop_files(folder)  # nothing of refused files is kept
        upload_folders.save_report(folder, report)
    except BaseException as e:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half-uploaded stays behind
        if isinstance(e, Exception) and space.is_out_of_space(e):
            raise _no_room(space.OutOfSpace("receiving the files", p.settings.data_dir,
                                            needed,
                                            space.free_space(p.settings.data_dir)),
                           kept=False) from None
        raise
    with p.catalogue.transaction() as conn:
        audit.record(conn, user, "upload", "release", record.release_id,
                     f"{paths[0].name}: {len(report.errors)} errors, "
                     f"{len(report.warnings)} warnings")
    received(folder)
    try:
        # The report may be read, and the import confirmed, through another replica.
        p.storage.share_upload(upload_id, folder)
    except StorageError:
        shutil.rmtree(folder, ignore_errors=True)
        raise Refused("The file store did not answer. Nothing was kept: upload the files "
                      "again in a few minutes.", title="The files could not be stored",
                      status=503) from None
    return Screened(upload_id, report)


def _local_copy(p: Platform, upload_id: str) -> Path:
    """The upload's folder on this replica, fetched from shared storage if it was
    screened through another; a stale copy (imported through another) is dropped."""
    folder = _folder(p, upload_id)
    try:
        if UploadRecord.load(folder) is None:
            p.storage.fetch_upload(folder.name, folder)
        elif upload_folders.imported_as(folder) is None and p.storage.upload_gone(folder.name):
            # Screened here but imported through another replica (the form sent twice):
            # this copy is stale, and importing it would make a second data set.
            shutil.rmtree(folder, ignore_errors=True)
    except StorageError:
        raise Refused("Try again in a few minutes.", title="The file store did not answer",
                      status=503) from None
    return folder


def _upload(upload_id: str, folder: Path, record: UploadRecord) -> Upload:
    return Upload(upload_id, record, upload_folders.load_report(folder),
                  upload_folders.state_of(folder), upload_folders.imported_as(folder),
                  datetime.fromtimestamp((folder / upload_folders.RECORD).stat().st_mtime,
                                         UTC))


def upload_of(p: Platform, user: User, upload_id: str) -> Upload:
    """An upload and its report, for someone who may see its release."""
    folder = _local_copy(p, upload_id)
    record = UploadRecord.load(folder)
    if record is None:
        raise _no_upload()
    release_for(p.catalogue, user, record.release_id)  # rights on the release, now
    return _upload(folder.name, folder, record)


def waiting(p: Platform, release_id: str) -> list[Upload]:
    """The uploads of a release not imported yet (checking, ready, or with errors), oldest
    first. The caller has checked the person may see the release."""
    out = []
    for folder, _ in upload_folders.of_release(p.settings.data_dir / "uploads", release_id):
        record = UploadRecord.load(folder)
        if record is not None:
            out.append(_upload(folder.name, folder, record))
    return out


def import_upload(p: Platform, user: User, upload_id: str, acknowledged: bool) -> Imported:
    """Import a screened upload into its release's draft."""
    folder = _local_copy(p, upload_id)
    record = UploadRecord.load(folder)
    if record is None:
        raise _no_upload()
    done = upload_folders.imported_as(folder)
    if done is not None:
        release_for(p.catalogue, user, record.release_id)
        raise Refused(f"These files were imported already, as '{done.title}'.",
                      title="Already imported", status=409)
    report = upload_folders.load_report(folder)
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
    if report is None:
        raise Refused("The files are still being checked: wait for the report.",
                      title="The files are being checked", status=409)
    if not report.ok:
        raise Refused("Correct the errors in the report and upload the files again.",
                      title="The files have errors", status=422)
    if report.warnings and not acknowledged:
        raise Refused("Tick the box to say you have read the warnings.",
                      title="Confirm you have read the warnings", field="acknowledge")
    if not upload_folders.begin_import(folder):
        raise Refused("These files are being imported already (the form was sent twice).",
                      title="Already being imported", status=409)
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
        upload_folders.drop_files(folder)
        raise Refused("Nothing was imported.", title="The files have errors",
                      status=422) from None
    except space.OutOfSpace as e:
        # The files are fine: they wait (their two days) for the import to be tried again.
        raise _no_room(e, kept=True) from None
    except StorageError:
        raise Refused("Nothing was imported, and your files are kept: press Import again "
                      "in a few minutes.", title="The file store did not answer",
                      status=503) from None
    finally:
        upload_folders.end_import(folder)
    done = Imported(data_set_id, record.title, datetime.now(UTC).isoformat(timespec="seconds"),
                    user.id)
    upload_folders.mark_imported(folder, done)
    try:
        p.storage.drop_upload(folder.name)
    except StorageError:
        pass  # an unimported shared upload is swept after two days
    return done


def import_all(p: Platform, user: User, release_id: str, acknowledged: bool) -> list[Imported]:
    """Import every upload of the release that is ready, in the order they came."""
    ready = [u for u in waiting(p, release_id) if u.state is UploadState.READY]
    if not ready:
        raise Refused("No upload of this release is ready to import.",
                      title="There is nothing to import", status=409)
    if not acknowledged and any(u.report is not None and u.report.warnings for u in ready):
        raise Refused("Tick the box to say you have read the warnings of every report.",
                      title="Confirm you have read the warnings", field="acknowledge")
    return [import_upload(p, user, u.id, True) for u in ready]


def remove(p: Platform, user: User, upload_id: str) -> UploadRecord:
    """Forget an upload that is not imported (its files, report and shared copy)."""
    folder = _local_copy(p, upload_id)
    record = UploadRecord.load(folder)
    if record is None:
        raise _no_upload()
    release_for(p.catalogue, user, record.release_id, "upload")
    if upload_folders.state_of(folder) is UploadState.IMPORTING:
        raise Refused("These files are being imported: wait for the import to finish.",
                      title="The files are being imported", status=409)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        p.storage.drop_upload(folder.name)
    except StorageError:
        pass  # swept after two days
    return record


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
