"""Import data/meta pairs as new versions of data sets: screen, build, store, record.

The order makes an import all-or-nothing: each version folder is built in staging,
committed to storage (renamed into place, or uploaded to the bucket), and only then are
the catalogue rows written, in one transaction. An error, Ctrl-C or kill -9 before that
commit leaves nothing visible, and the storage's `sweep` removes the leftovers at a later
start. A recorded version is not public until a public release version holds it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import Connection

from openstats.catalogue import data_sets, locks, public_ids, quality, releases, version_diffs
from openstats.catalogue.db import Catalogue
from openstats.faults import crash_point
from openstats.ingest import diff
from openstats.ingest.build import PARQUET, build_version
from openstats.ingest.changes import NONE, Changes, compare
from openstats.ingest.quality import count_cells
from openstats.ingest.screened import refuse_blocked, screened
from openstats.model.catalogue import DataSetVersion, DiffCounts
from openstats.model.metadata import VersionMeta
from openstats.model.quality import VersionQuality
from openstats.settings import Settings
from openstats.standards import gzipped
from openstats.standards.csvfile import scan_bytes
from openstats.standards.findings import Report
from openstats.standards.screening.result import Screening
from openstats.storage import Storage


@dataclass
class PreparedVersion:
    """A version built in staging, not yet visible."""

    data_set_id: str
    staged: Path
    key: str  # its storage key, which is also its version id
    metadata: VersionMeta  # without public ids (they are given when it is recorded)
    publication_id: str | None  # for a data set not yet recorded: its publication
    title: str  # and its working name
    quality: VersionQuality  # its screening (warnings accepted) and cell counts
    replaces: str | None = None  # a draft version this one takes the place of
    # The observation diff written into `staged`: from which version, and its counts.
    diff_from: tuple[str, DiffCounts] | None = None


@dataclass(frozen=True)
class RecordedVersion:
    """What commit wrote for one prepared version."""

    version: DataSetVersion
    metadata: VersionMeta  # with public ids
    changes: Changes


@dataclass
class ImportResult:
    data_set_id: str
    version: str
    created: bool  # False when the files were already the latest version
    row_count: int
    report: Report | None  # None when screening was skipped (files unchanged)
    version_id: str


def unchanged_version(catalogue: Catalogue, data_set_id: str, data: Path,
                      meta: Path) -> DataSetVersion | None:
    """The latest version when it was made from exactly these two files."""
    with catalogue.connect() as conn:
        existing = data_sets.versions(conn, data_set_id)
    if not existing:
        return None
    latest = existing[0]
    if (_plain_sha256(data) == latest.data_sha256
            and scan_bytes(meta).sha256 == latest.meta_sha256):
        return latest
    return None


def _plain_sha256(path: Path) -> str:
    """The checksum a version records of its data file: of the CSV, unpacked if it is a
    `.gz` (hashing the compressed bytes made every load of a .gz a new version)."""
    digest = hashlib.sha256()
    for chunk in gzipped.plain_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def prepare(catalogue: Catalogue, storage: Storage, s: Screening, *, data_set_id: str,
            publication_id: str | None, title: str,
            replaces: str | None = None) -> PreparedVersion:
    """Build the version folder in staging, with the diff from the version before it."""
    refuse_blocked(s)
    staged = storage.stage()
    try:
        metadata = VersionMeta.from_json(build_version(s, staged))
        counts = count_cells(s.con, staged / PARQUET, [i.column for i in metadata.indicators])
        diff_from = _write_diff(catalogue, storage, s, staged, metadata, data_set_id,
                                replaces)
    except BaseException:
        storage.discard(staged)
        raise
    crash_point("import.built")
    key = staged.name.split("-", 1)[1]
    return PreparedVersion(data_set_id, staged, key, metadata, publication_id, title,
                           VersionQuality(counts, s.report), replaces, diff_from)


def _write_diff(catalogue: Catalogue, storage: Storage, s: Screening, staged: Path,
                metadata: VersionMeta, data_set_id: str,
                replaces: str | None) -> tuple[str, DiffCounts] | None:
    """Diff against the latest other version (the one _record numbers this one after),
    with the screening's DuckDB connection (and its memory limit)."""
    with catalogue.connect() as conn:
        earlier = [v for v in data_sets.versions(conn, data_set_id) if v.id != replaces]
        if not earlier:
            return None
        previous = earlier[0]
        previous_meta = data_sets.stored_metadata(conn, previous.id)
    counts = diff.write_diff(s.con, storage.file(previous.storage_key, PARQUET), previous_meta,
                             staged / PARQUET, metadata, staged / diff.file_name(previous.id))
    return previous.id, counts


def _record(conn: Connection, p: PreparedVersion) -> RecordedVersion:
    """Give a prepared version its public ids and number, and write its row.

    Its number follows from what changed since the data set's latest other version:
    anything gone makes it the next major version, else the next minor one.
    """
    data_sets.ensure_data_set(conn, p.data_set_id, publication_id=p.publication_id,
                              title=p.title)
    meta = public_ids.assign(conn, p.data_set_id, p.metadata)
    earlier = [v for v in data_sets.versions(conn, p.data_set_id) if v.id != p.replaces]
    if not earlier:
        major, minor, changes = 1, 0, NONE
    else:
        previous = earlier[0]
        previous_meta = data_sets.stored_metadata(conn, previous.id)
        changes = compare(previous_meta, meta)
        major, minor = ((previous.major + 1, 0) if changes.is_major
                        else (previous.major, previous.minor + 1))
    # A replaced draft goes first (its number is taken again); the release versions
    # holding it hold the new version instead, with their words.
    held = releases.holding(conn, p.replaces) if p.replaces else []
    for item in held:
        releases.remove_entry(conn, item.release_version_id, item.data_set_id)
    if p.replaces:
        data_sets.delete_version(conn, p.replaces)
    data_sets.add_version(conn, data_set_id=p.data_set_id, major=major, minor=minor,
                          storage_key=p.key, metadata=meta, changes=changes.as_json())
    quality.add(conn, p.key, p.quality)
    for item in held:
        releases.put_entry(conn, replace(item, version_id=p.key))
    # The diff's counts, unless the version it was made from went meanwhile (a draft
    # replaced by another import); its pair is then computed when asked for.
    if p.diff_from is not None and p.diff_from[0] in {v.id for v in earlier}:
        version_diffs.add(conn, p.key, *p.diff_from)
    version = data_sets.version(conn, p.key)
    assert version is not None
    return RecordedVersion(version, meta, changes)


def commit(catalogue: Catalogue, storage: Storage, prepared: list[PreparedVersion],
           write_catalogue: Callable[[Connection, list[RecordedVersion]], None] | None = None,
           ) -> list[RecordedVersion]:
    """Record prepared versions: folders into place, then one transaction, in which
    `write_catalogue` says where they belong (a release version, titles, ...)."""
    stored: list[str] = []
    replaced: list[str] = []
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
            recorded = [_record(conn, p) for p in prepared]
            if write_catalogue is not None:
                write_catalogue(conn, recorded)
            replaced = [p.replaces for p in prepared if p.replaces]
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
    for key in replaced:
        storage.remove(key)  # a replaced draft's files: no row names them any more
    return recorded


def _unreferenced(catalogue: Catalogue, keys: list[str]) -> list[str]:
    """The keys no catalogue row names: only those are safe to take back after an error.

    A failure while committing (a lost connection) can leave it unclear whether the
    rows were written; then nothing is removed and the sweep decides later.
    """
    if not keys:
        return []
    try:
        with catalogue.connect() as conn:
            named = data_sets.storage_keys(conn)
    except Exception:  # noqa: BLE001 - the original error is the one to report
        return []
    return [key for key in keys if key not in named]


def import_pair(catalogue: Catalogue, storage: Storage, settings: Settings, data: Path,
                meta: Path, *, data_set_id: str, publication_id: str | None, title: str,
                replaces: str | None = None,
                write_catalogue: Callable[[Connection, list[RecordedVersion]], None]
                | None = None) -> ImportResult:
    """Screen and import one pair; a new version only when the files changed.

    Unchanged files still call `write_catalogue` (with no new versions), so that what
    the caller records about them (a release version holding the latest) happens once.
    """
    latest = unchanged_version(catalogue, data_set_id, data, meta)
    if latest is not None:
        if write_catalogue is not None:
            with catalogue.transaction() as conn:
                write_catalogue(conn, [])
        return ImportResult(data_set_id, latest.version, False, latest.row_count, None,
                            latest.id)
    with screened(settings, storage, data, meta) as s:
        return import_screened(catalogue, storage, s, data_set_id=data_set_id,
                               publication_id=publication_id, title=title,
                               replaces=replaces, write_catalogue=write_catalogue)


def import_screened(catalogue: Catalogue, storage: Storage, s: Screening, *,
                    data_set_id: str, publication_id: str | None, title: str,
                    replaces: str | None = None,
                    write_catalogue: Callable[[Connection, list[RecordedVersion]], None]
                    | None = None) -> ImportResult:
    """Import a pair screened by `screened` (inside its block) as a new version."""
    prepared = prepare(catalogue, storage, s, data_set_id=data_set_id,
                       publication_id=publication_id, title=title, replaces=replaces)
    recorded = commit(catalogue, storage, [prepared], write_catalogue)[0]
    return ImportResult(data_set_id, recorded.version.version, True, s.row_count,
                        s.report, recorded.version.id)
