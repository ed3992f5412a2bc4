"""Room on disk for an import, and one clear error when there is none.

An import builds its version in the staging folder: copies of both CSV files and the
Parquet file (DuckDB also spills there when a screening outgrows its memory). Measured:
importing a 26 MB data file took at most 31 MB in staging, so an import asks for
`FACTOR` times its files plus `MARGIN` before it starts (`check_room`), and a disk that
fills up anyway while it runs is reported the same way (`reported`), naming what was
being written, how much the import needs and how much is free, instead of an
`OSError: [Errno 28]` traceback. Either way the import's own clean-up has run by then:
nothing half-written stays visible.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openstats.errors import OpenstatsError

FACTOR = 1.5
MARGIN = 8 * 1024 * 1024
FULL = (errno.ENOSPC, errno.EDQUOT)
FULL_WORDS = ("No space left on device", "Disk quota exceeded")


class OutOfSpace(OpenstatsError):
    """A disk has too little room for what was being written; nothing was kept."""

    def __init__(self, doing: str, folder: Path, needed: int, free: int,
                 writing: str = "") -> None:
        what = f" (writing {writing})" if writing else ""
        super().__init__(f"not enough disk space for {doing}{what}: it needs about "
                         f"{megabytes(needed)} free in {folder}, and {megabytes(free)} is "
                         "free. Nothing was kept: free some space and try again.")
        self.doing, self.folder, self.needed, self.free = doing, folder, needed, free


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def needed_for(*files: Path) -> int:
    """The room an import of these files needs in staging (see the module docstring)."""
    return int(FACTOR * sum(f.stat().st_size for f in files)) + MARGIN


def free_space(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def check_room(folder: Path, needed: int, doing: str) -> None:
    """Refuse at once, before any work, when `folder`'s disk has less than `needed`."""
    free = free_space(folder)
    if free < needed:
        raise OutOfSpace(doing, folder, needed, free)


def is_out_of_space(error: BaseException) -> bool:
    """A full disk or a spent quota, from Python or from DuckDB, however wrapped."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in FULL:
            return True
        if any(words in str(seen) for words in FULL_WORDS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _written(error: BaseException) -> str:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and (seen.filename2 or seen.filename):
            return str(seen.filename2 or seen.filename)
        seen = seen.__cause__ or seen.__context__
    return ""


@contextmanager
def reported(folder: Path, needed: int, doing: str) -> Iterator[None]:
    """Turn a full disk met inside the block into OutOfSpace (other errors unchanged)."""
    try:
        yield
    except OutOfSpace:
        raise
    except Exception as e:
        if not is_out_of_space(e):
            raise
        raise OutOfSpace(doing, folder, needed, free_space(folder), _written(e)) from e
