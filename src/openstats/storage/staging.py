"""Scratch folders on local disk, one per build, owned by the process that made it.

Both kinds of storage build versions here (DuckDB writes Parquet to local files), and the
screener uses the same folder for its temporary tables.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Staging:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def stage(self) -> Path:
        """A new empty folder to build a version in, named `<pid>-<uuid>`."""
        path = self.root / f"{os.getpid()}-{uuid.uuid4()}"
        path.mkdir()
        return path

    def discard(self, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def sweep(self) -> list[str]:
        """Remove the folders of processes that are gone (killed mid-build)."""
        removed: list[str] = []
        for folder in self.root.iterdir():
            pid = folder.name.split("-", 1)[0]
            if not pid.isdigit() or not pid_alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(str(folder))
        return removed
