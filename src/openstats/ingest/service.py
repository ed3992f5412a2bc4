"""Import data/meta pairs as new versions of data sets: screen, build, store, record.

The order makes an import all-or-nothing: each version folder is built in staging,
committed to storage (renamed into place, or uploaded to the bucket), and only then are
the catalogue rows written, in one transaction. An error, Ctrl-C or kill -9 before that
commit leaves nothing visible, and the storage's `sweep` removes the leftovers at a later
start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from openstats.catalogue import locks, public_ids
from openstats.catalogue.store import Catalogue
from openstats.errors import ScreeningFailed
from openstats.faults import crash_point
from openstats.ingest.build import build_version
from openstats.ingest.changes import compare
from openstats.settings import Settings
from openstats.standards.csvfile import scan_bytes
from openstats.standards.findings import Report
from openstats.standards.screener import Screening, screen
from openstats.storage import Storage


@dataclass
class PreparedVersion:
    """A version built in staging, not yet visible."""

    data_set_id: str
    release_id: str | None
    staged: Path
    key: str
    metadata: dict[str, Any]
    major: int
    minor: int
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass
class ImportResult:
    data_set_id: str
    version: str
    created: bool  # False when the files were already the latest version
    row_count: int
    report: Report | None  # None when screening was skipped (files unchanged)


def latest_if_unchanged(catalogue: Catalogue, data_set_id: str, data: Path,
                        meta: Path) -> dict[str, Any] | None:
    """The latest version's row when it was made from exactly these two files."""
    with catalogue.engine.connect() as conn:
        latest = catalogue.latest_version(conn, data_set_id)
    if latest is None:
        return None
    if (scan_bytes(data).sha256 == latest["data_sha256"]
            and scan_bytes(meta).sha256 == latest["meta_sha256"]):
        return dict(latest)
    return None


def screen_for_import(settings: Settings, storage: Storage, data: Path,
                      meta: Path) -> Screening:
    return screen(data, meta, reference_dir=settings.reference_dir, workdir=storage.staging,
                  memory_limit=settings.memory_limit)


def prepare(catalogue: Catalogue, storage: Storage, s: Screening, *, data_set_id: str,
            release_id: str | None) -> PreparedVersion:
    """Build the version folder in staging and work out its version number."""
    if not s.report.ok:
        raise ScreeningFailed(
            f"{s.data_path.name} has {len(s.report.errors)} blocking "
            "findings; nothing was imported.", s.report)
    with catalogue.engine.connect() as conn:
        latest = catalogue.latest_version(conn, data_set_id)
    staged = storage.stage()
    try:
        metadata = build_version(s, staged)
    except BaseException:
        storage.discard(staged)
        raise
    crash_point("import.built")
    if latest is None:
        major, minor, changes = 1, 0, {}
    else:
        changes = compare(json.loads(latest["metadata"]), metadata)
        major = latest["version_major"] + (1 if changes["major"] else 0)
        minor = 0 if changes["major"] else latest["version_minor"] + 1
    key = staged.name.split("-", 1)[1]
    return PreparedVersion(data_set_id, release_id, staged, key, metadata, major, minor,
                           changes)


def commit(catalogue: Catalogue, storage: Storage, prepared: list[PreparedVersion],
           write_catalogue: Callable[[Connection], None] | None = None,
           published: datetime | None = None) -> None:
    """Record prepared versions: folders into place, then one transaction.

    `published` is when the versions become public (with their release); None leaves
    them drafts until a release is approved.
    """
    stored: list[str] = []
    try:
        for p in prepared:
            storage.commit(p.staged, p.key)
            stored.append(p.key)
        crash_point("import.moved")
        with catalogue.transaction(immediate=True) as conn:
            # Imports on other replicas may be assigning public ids at this moment, some
            # for the same new locations (their ids are shared by every data set): take
            # turns, so each reads the ids the one before committed instead of failing
            # on the unique key.
            locks.for_transaction(conn, "versions")
            if write_catalogue is not None:
                write_catalogue(conn)
            for p in prepared:
                public_ids.assign(conn, p.data_set_id, p.metadata)
                catalogue.add_version(conn, data_set_id=p.data_set_id, release_id=p.release_id,
                                      major=p.major, minor=p.minor, storage_key=p.key,
                                      metadata=p.metadata, changes=p.changes,
                                      published=published)
            # Last thing before the rows commit: another replica's sweep only takes files
            # older than its grace period, but a slow load must not publish a gap.
            storage.confirm(stored)
            crash_point("import.in_transaction")
        crash_point("import.committed")
    except BaseException:
        for p in prepared:
            storage.discard(p.staged)
        for key in _unreferenced(catalogue, stored):
            storage.remove(key)
        raise
    for key in stored:
        storage.published(key)


def _unreferenced(catalogue: Catalogue, keys: list[str]) -> list[str]:
    """The keys no catalogue row names: only those are safe to take back after an error.

    A failure while committing (a lost connection) can leave it unclear whether the
    rows were written; then nothing is removed and the sweep decides later.
    """
    if not keys:
        return []
    try:
        named = catalogue.storage_keys()
    except Exception:  # noqa: BLE001 - the original error is the one to report
        return []
    return [key for key in keys if key not in named]


def import_pair(catalogue: Catalogue, storage: Storage, settings: Settings, data: Path,
                meta: Path, *, data_set_id: str, release_id: str | None,
                write_catalogue: Callable[[Connection], None] | None = None) -> ImportResult:
    """Screen and import one pair; a new version only when the files changed."""
    latest = latest_if_unchanged(catalogue, data_set_id, data, meta)
    if latest is not None:
        if write_catalogue is not None:
            with catalogue.transaction() as conn:
                write_catalogue(conn)
        return ImportResult(data_set_id, f"{latest['version_major']}.{latest['version_minor']}",
                            False, latest["row_count"], None)
    with screen_for_import(settings, storage, data, meta) as s:
        crash_point("import.screened")
        prepared = prepare(catalogue, storage, s, data_set_id=data_set_id,
                           release_id=release_id)
        commit(catalogue, storage, [prepared], write_catalogue)
        return ImportResult(data_set_id, prepared.version, True, s.row_count, s.report)
