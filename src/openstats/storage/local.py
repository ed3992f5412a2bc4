"""A folder of immutable version directories, written atomically.

A version is built in `staging/<pid>-<uuid>/` and renamed into `versions/<key>/` in one
step; the catalogue row that makes it visible is written only after that. A crash leaves
at worst a staging folder of a dead process or a version folder no row names: `sweep`
removes both, so the next start leaves no orphan files.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.staging = self.root / "staging"
        self.versions = self.root / "versions"
        self.staging.mkdir(parents=True, exist_ok=True)
        self.versions.mkdir(parents=True, exist_ok=True)

    def stage(self) -> Path:
        """A new empty folder to build a version in, owned by this process."""
        path = self.staging / f"{os.getpid()}-{uuid.uuid4()}"
        path.mkdir()
        return path

    def commit(self, staged: Path, key: str) -> Path:
        """Move a finished staging folder to its final place, atomically."""
        for child in staged.iterdir():
            with child.open("rb") as f:
                os.fsync(f.fileno())
        target = self.versions / key
        if target.exists():
            raise FileExistsError(f"version folder {key} already exists")
        # The marker says which process owns the folder until its catalogue row exists.
        (staged / ".pending").write_text(str(os.getpid()))
        os.rename(staged, target)
        return target

    def published(self, key: str) -> None:
        """The catalogue row for `key` is committed: the folder is no longer pending."""
        (self.versions / key / ".pending").unlink(missing_ok=True)

    def discard(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def path(self, key: str) -> Path:
        return self.versions / key

    def sweep(self, referenced: set[str]) -> list[Path]:
        """Remove staging folders of dead processes and version folders no row names."""
        removed: list[Path] = []
        for folder in self.staging.iterdir():
            pid = folder.name.split("-", 1)[0]
            if not pid.isdigit() or not _pid_alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        for folder in self.versions.iterdir():
            if folder.name in referenced:
                continue
            marker = folder / ".pending"
            owner = marker.read_text().strip() if marker.exists() else ""
            if owner.isdigit() and _pid_alive(int(owner)) and int(owner) != os.getpid():
                continue  # another process is between rename and commit
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        return removed
