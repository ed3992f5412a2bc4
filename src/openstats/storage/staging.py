"""Scratch folders on local disk, one per build, owned by the process that made it.

Both kinds of storage build versions here (DuckDB writes Parquet to local files), and the
screener uses the same folder for its temporary tables. Each folder holds an owner marker
(storage/owners.py), so that a sweep by any process on any host sharing this folder
removes only the folders of owners that are gone.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from openstats.storage import owners


class Staging:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def stage(self) -> Path:
        """A new empty folder to build a version in, named `<pid>-<uuid>` (the uuid is
        the version's storage key), holding only its owner marker."""
        return owners.make_folder(self.root, f"{os.getpid()}-{uuid.uuid4()}")

    def discard(self, path: Path) -> None:
        owners.release(path / owners.OWNER)
        shutil.rmtree(path, ignore_errors=True)

    def sweep(self) -> list[str]:
        """Remove the folders whose owners are gone (killed mid-build)."""
        removed: list[str] = []
        for folder in self.root.iterdir():
            if folder.is_dir() and not owners.abandoned_folder(folder):
                continue
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)
            removed.append(str(folder))
        return removed
