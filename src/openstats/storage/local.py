"""A folder of immutable version directories, written atomically.

A version is built in `staging/<pid>-<uuid>/` and renamed into `versions/<key>/` in one
step; the catalogue row that makes it visible is written only after that. A crash leaves
at worst a staging folder of a dead process or a version folder no row names: `sweep`
removes both, so the next start leaves no orphan files. Until its row is written, a
version folder holds its owner's marker (`.pending`, see storage/owners.py), so that a
sweep elsewhere leaves it alone while its owner lives.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from openstats.errors import StorageError
from openstats.storage import owners
from openstats.storage.staging import Staging

PENDING = ".pending"


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.scratch = Staging(self.root / "staging")
        self.staging = self.scratch.root
        self.versions = self.root / "versions"
        self.versions.mkdir(parents=True, exist_ok=True)

    def describe(self) -> str:
        return str(self.versions)

    def stage(self) -> Path:
        """A new empty folder to build a version in, owned by this process."""
        return self.scratch.stage()

    def discard(self, staged: Path) -> None:
        self.scratch.discard(staged)

    def commit(self, staged: Path, key: str) -> None:
        """Move a finished staging folder to its final place, atomically."""
        for child in staged.iterdir():
            with child.open("rb") as f:
                os.fsync(f.fileno())
        target = self.versions / key
        if target.exists():
            raise FileExistsError(f"version folder {key} already exists")
        # The staging folder's owner marker says who owns the folder until its catalogue
        # row exists.
        owners.release(staged / owners.OWNER)
        os.rename(staged / owners.OWNER, staged / PENDING)
        os.rename(staged, target)
        owners.hold(target / PENDING)

    def confirm(self, keys: Iterable[str]) -> None:
        """Raise unless every committed version is still in place (checked before publishing)."""
        for key in keys:
            if not (self.versions / key).is_dir():
                raise StorageError(f"version folder {key} has gone", str(self.versions))

    def published(self, key: str) -> None:
        """The catalogue row for `key` is committed: the folder is no longer pending."""
        owners.unmark(self.versions / key / PENDING)

    def remove(self, key: str) -> None:
        """Take back a committed version whose catalogue row was never written."""
        shutil.rmtree(self.versions / key, ignore_errors=True)

    def path(self, key: str) -> Path:
        return self.versions / key

    def file(self, key: str, name: str) -> Path:
        return self.versions / key / name

    # Uploads wait in the data folder itself (uploads/<id>/): replicas that share the data
    # folder share them already, so there is nothing to copy.
    def share_upload(self, upload_id: str, folder: Path) -> None:
        return None

    def fetch_upload(self, upload_id: str, folder: Path) -> bool:
        return False

    def drop_upload(self, upload_id: str) -> None:
        return None

    def upload_gone(self, upload_id: str) -> bool:
        return False

    def check(self) -> None:
        if not os.access(self.versions, os.W_OK):
            raise StorageError("the versions folder is missing or not writable",
                               str(self.versions))

    def sweep(self, referenced: set[str]) -> list[str]:
        """Remove staging folders of dead processes and version folders no row names."""
        removed = self.scratch.sweep()
        for folder in self.versions.iterdir():
            if folder.name in referenced:
                continue
            marker = folder / PENDING
            if marker.exists() and not owners.abandoned(marker):
                continue  # a live process is between rename and commit
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
        return removed
