"""An import's first step: room on disk for it, and the screener's verdict on the pair.

Kept apart from service.py on purpose: it needs neither the catalogue nor pyarrow, so
`openstats import` of a new data set can refuse a pair without loading SQLAlchemy, Alembic
and pyarrow (most of the time a refused import took).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openstats.errors import ScreeningFailed
from openstats.faults import crash_point
from openstats.settings import Settings
from openstats.standards.screening.result import Screening
from openstats.standards.screening.screen import screen
from openstats.storage import Storage, space


def screen_for_import(settings: Settings, storage: Storage, data: Path,
                      meta: Path) -> Screening:
    return screen(data, meta, reference_dir=settings.reference_dir, workdir=storage.staging,
                  memory_limit=settings.memory_limit)


@contextmanager
def screened(settings: Settings, storage: Storage, data: Path,
             meta: Path) -> Iterator[Screening]:
    """The pair screened in staging; the rest of its import belongs inside this block, whose
    disk-space check and report cover the build and the commit too."""
    needed, doing = space.needed_for(data, meta), f"importing {data.name}"
    space.check_room(storage.staging, needed, doing)
    with space.reported(storage.staging, needed, doing), \
            screen_for_import(settings, storage, data, meta) as s:
        crash_point("import.screened")
        yield s


def refuse_blocked(s: Screening) -> None:
    """Raise ScreeningFailed (with the report) if the screener found blocking errors."""
    if not s.report.ok:
        raise ScreeningFailed(
            f"{s.data_path.name} has {len(s.report.errors)} blocking "
            "findings; nothing was imported.", s.report)
