"""Upload folders: where a pair waits between its screening report and its import.

Each upload gets `uploads/<id>/`: each file in a folder of its own, and `upload.json`
(the `UploadRecord`: which release, title, summary, which data set it replaces, who sent
it). While the files are received and screened a marker names the process doing it; the
marker goes once the report is shown (the folder then waits for the publisher to import
it). Its screening report stays beside the record (`report.json`) for the report's page;
a refused upload keeps only those two, and an imported one adds `imported.json` (the
files themselves go). `sweep_uploads`, run at every start with the storage sweep,
removes what a crash or a walk-away leaves: folders whose owner is gone
(storage/owners.py: checked directly on the same host, by its heartbeat across hosts and
containers), and uploads nobody imported (or looked at again) within two days.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from openstats.standards.findings import Report, report_from_json, report_to_json
from openstats.storage import owners

RECEIVING = ".receiving"  # names the process receiving and screening the files
RECORD = "upload.json"  # written once the files are complete
MAX_AGE = timedelta(days=2)  # a screened upload not imported by then is abandoned
GRACE = timedelta(minutes=1)  # a folder this young may be being set up right now


@dataclass(frozen=True)
class UploadRecord:
    release_id: str
    title: str
    summary: str
    data: str  # path inside the upload folder
    meta: str
    data_set_id: str  # the data set it replaces, or ''
    user: str  # who sent it
    source: str = ""  # the ZIP file it came in, if it did

    def save(self, folder: Path) -> None:
        (folder / RECORD).write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, folder: Path) -> UploadRecord | None:
        path = folder / RECORD
        if not path.exists():
            return None
        doc = json.loads(path.read_text())
        return cls(**{k: str(doc.get(k, "")) for k in cls.__dataclass_fields__})


def claim(folder: Path) -> None:
    """Create an upload's folder, marked as being received by this process."""
    folder.mkdir(parents=True)
    owners.mark(folder / RECEIVING)


def received(folder: Path) -> None:
    """The files are in and screened: the upload now waits for its import."""
    owners.unmark(folder / RECEIVING)


def sweep_uploads(root: Path, max_age: timedelta = MAX_AGE) -> list[Path]:
    """Remove upload folders a crash left half-done, and those abandoned for `max_age`."""
    if not root.is_dir():
        return []
    removed = []
    now = time.time()
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        marker = folder / RECEIVING
        age = now - folder.stat().st_mtime
        if marker.exists():
            stale = owners.abandoned(marker)
        elif (folder / RECORD).exists():
            stale = now - (folder / RECORD).stat().st_mtime > max_age.total_seconds()
        else:
            stale = age > GRACE.total_seconds()  # no marker and no record: never finished
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


# --- what became of an upload: its report, its import -------------------------------------
# Added beside the record, so any replica holding (or fetching) the folder can show the
# report at the upload's own address, before and after its import.
REPORT = "report.json"  # the screening report, as shown when the files arrived
IMPORTED = "imported.json"  # once imported: which data set it became (its files are gone)
IMPORTING = ".importing"  # names the process importing it (storage/owners.py): one at a time
FILES = ("data", "meta")  # the folders holding the files themselves


class UploadState(StrEnum):
    CHECKING = "checking"  # the files are arriving or being screened
    ERRORS = "errors"  # screened, with errors: nothing can be imported
    READY = "ready"  # screened, waiting for its import
    IMPORTING = "importing"
    IMPORTED = "imported"


@dataclass(frozen=True)
class Imported:
    data_set_id: str
    title: str
    at: str  # ISO 8601, UTC
    user: str  # who imported it


def save_report(folder: Path, report: Report) -> None:
    part = folder / f".{REPORT}.part"
    part.write_text(json.dumps(report_to_json(report)))
    part.replace(folder / REPORT)  # whole, or not there


def load_report(folder: Path) -> Report | None:
    path = folder / REPORT
    if not path.exists():
        return None
    return report_from_json(json.loads(path.read_text()))


def drop_files(folder: Path) -> None:
    """Remove an upload's files, keeping its record and report (refused, or imported)."""
    for name in FILES:
        shutil.rmtree(folder / name, ignore_errors=True)


def mark_imported(folder: Path, imported: Imported) -> None:
    (folder / IMPORTED).write_text(json.dumps(asdict(imported)))
    drop_files(folder)


def imported_as(folder: Path) -> Imported | None:
    path = folder / IMPORTED
    if not path.exists():
        return None
    doc = json.loads(path.read_text())
    return Imported(**{k: str(doc.get(k, "")) for k in Imported.__dataclass_fields__})


def _held_by_live_process(marker: Path) -> bool:
    return marker.exists() and not owners.abandoned(marker)


def begin_import(folder: Path) -> bool:
    """Mark the upload as being imported by this process; False if another live process
    is importing it already (the form sent twice)."""
    marker = folder / IMPORTING
    for _ in range(2):
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _held_by_live_process(marker):
                return False
            marker.unlink(missing_ok=True)  # its importer died: the import may be retried
            continue
        with os.fdopen(fd, "w") as out:
            out.write(owners.Owner.of_this_process().to_text())
        owners.hold(marker)  # kept fresh, so replicas on other hosts see it is alive
        return True
    return False


def end_import(folder: Path) -> None:
    owners.unmark(folder / IMPORTING)


def state_of(folder: Path) -> UploadState:
    if (folder / IMPORTED).exists():
        return UploadState.IMPORTED
    if _held_by_live_process(folder / IMPORTING):
        return UploadState.IMPORTING
    report = load_report(folder)
    if report is None:
        return UploadState.CHECKING
    return UploadState.READY if report.ok else UploadState.ERRORS


def upload_folders(root: Path) -> list[Path]:
    """Every upload folder with a record, oldest first."""
    if not root.is_dir():
        return []
    found = [f for f in root.iterdir() if (f / RECORD).is_file()]
    return sorted(found, key=lambda f: (f / RECORD).stat().st_mtime)


def of_release(root: Path, release_id: str) -> list[tuple[Path, UploadState]]:
    """A release's uploads not imported (yet), oldest first, with where each stands."""
    out: list[tuple[Path, UploadState]] = []
    for folder in upload_folders(root):
        record = UploadRecord.load(folder)
        if record is not None and record.release_id == release_id:
            state = state_of(folder)
            if state is not UploadState.IMPORTED:
                out.append((folder, state))
    return out
