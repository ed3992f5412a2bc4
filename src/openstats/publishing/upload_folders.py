"""Upload folders: where a pair waits between its screening report and its import.

Each upload gets `uploads/<id>/`: each file in a folder of its own, and `upload.json`
(the `UploadRecord`: which release, title, summary, which data set it replaces, who sent
it). While the files are received and screened a marker names the process doing it; the
marker goes once the report is shown (the folder then waits for the publisher to import
it) and the folder goes at once if the files are refused. `sweep_uploads`, run at every
start with the storage sweep, removes what a crash or a walk-away leaves: folders whose
process died mid-upload, and uploads nobody imported within two days.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from openstats.storage.staging import pid_alive

RECEIVING = ".receiving"  # holds the id of the process receiving and screening the files
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
    (folder / RECEIVING).write_text(str(os.getpid()))


def received(folder: Path) -> None:
    """The files are in and screened: the upload now waits for its import."""
    (folder / RECEIVING).unlink(missing_ok=True)


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
            owner = marker.read_text().strip()
            stale = not (owner.isdigit() and pid_alive(int(owner)))
        elif (folder / RECORD).exists():
            stale = now - (folder / RECORD).stat().st_mtime > max_age.total_seconds()
        else:
            stale = age > GRACE.total_seconds()  # no marker and no record: never finished
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@dataclass(frozen=True)
class Waiting:
    """An upload of a release that is not imported (yet)."""

    upload_id: str
    receiving: bool  # still arriving or being screened, by a live process


def uploads_of(root: Path, release_id: str) -> list[Waiting]:
    """The uploads for a release still in their folders: being received and screened, or
    screened and waiting for the publisher to import them."""
    if not root.is_dir():
        return []
    out = []
    for folder in root.iterdir():
        record = UploadRecord.load(folder) if folder.is_dir() else None
        if record is None or record.release_id != release_id:
            continue
        marker = folder / RECEIVING
        owner = marker.read_text().strip() if marker.exists() else ""
        out.append(Waiting(folder.name, owner.isdigit() and pid_alive(int(owner))))
    return out
