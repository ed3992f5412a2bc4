"""Upload folders: where a pair waits between its screening report and its import.

Each upload gets `uploads/<id>/`: each file in a folder of its own, and `upload.json`
(the `UploadRecord`: which release, title, summary, which data set it replaces, who sent
it). While the files are received and screened a marker names the process doing it; the
marker goes once the report is shown (the folder then waits for the publisher to import
it) and the folder goes at once if the files are refused. `sweep_uploads`, run at every
start with the storage sweep, removes what a crash or a walk-away leaves: folders whose
owner is gone (storage/owners.py: checked directly on the same host, by its heartbeat
across hosts and containers), and uploads nobody imported within two days.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

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
