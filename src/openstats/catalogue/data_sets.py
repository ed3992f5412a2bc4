"""Data sets and their immutable versions in SQL, and the cache of versions' metadata.

A data set is an identity (its id is stable across versions and releases); a version is
its numbers: files in storage and the metadata import wrote. Which release version holds
a version, and the words written for it there, are in catalogue/releases.py.

While the database is away, a published version's metadata and changes are read from the
copy kept on local disk with the published snapshot (catalogue/snapshot_file.py).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, RowMapping

from openstats.catalogue import quality, snapshot_file, version_diffs
from openstats.catalogue.schema import data_set_versions, data_sets, version_quality
from openstats.catalogue.values import now, utc
from openstats.model.catalogue import DataSet, DataSetVersion
from openstats.model.metadata import VersionMeta
from openstats.model.quality import VersionQuality

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue

# JSON text held by each process's metadata cache (Python objects take a few times more).
METADATA_CACHE_BYTES = 64 * 1024 * 1024


def ensure_data_set(conn: Connection, data_set_id: str, *, publication_id: str | None,
                    title: str) -> None:
    """Create the data set unless it exists; an existing one keeps its publication."""
    if conn.execute(select(data_sets.c.id).where(data_sets.c.id == data_set_id)).first():
        return
    conn.execute(data_sets.insert().values(id=data_set_id, publication_id=publication_id,
                                           title=title, created=now()))


def adopt(conn: Connection, data_set_id: str, publication_id: str) -> None:
    """Give a data set recorded before its publication existed (a manifest's first load)
    that publication; one that already has a publication keeps it."""
    conn.execute(data_sets.update().where(data_sets.c.id == data_set_id,
                                          data_sets.c.publication_id.is_(None))
                 .values(publication_id=publication_id))


def data_set(conn: Connection, data_set_id: str) -> DataSet | None:
    row = conn.execute(select(data_sets).where(data_sets.c.id == data_set_id)).first()
    return DataSet(row.id, row.publication_id, row.title) if row else None


def add_version(conn: Connection, *, data_set_id: str, major: int, minor: int,
                storage_key: str, metadata: VersionMeta, changes: dict[str, Any]) -> str:
    """Record a version (not public until a public release version holds it)."""
    version_id = storage_key
    conn.execute(data_set_versions.insert().values(
        id=version_id, data_set_id=data_set_id, version_major=major, version_minor=minor,
        created=now(), row_count=metadata.row_count, data_file_name=metadata.data_file,
        meta_file_name=metadata.meta_file, data_sha256=metadata.data_sha256,
        meta_sha256=metadata.meta_sha256, storage_key=storage_key,
        metadata=json.dumps(metadata.to_json(), ensure_ascii=False),
        changes=json.dumps(changes, ensure_ascii=False)))
    return version_id


def delete_version(conn: Connection, version_id: str) -> None:
    """Forget a version nothing holds any more (a draft replaced before approval)."""
    version_diffs.forget(conn, version_id)
    quality.delete_version(conn, version_id)
    conn.execute(delete(data_set_versions).where(data_set_versions.c.id == version_id))


_VERSION_COLUMNS = (
    data_set_versions.c.id, data_set_versions.c.data_set_id, data_set_versions.c.version_major,
    data_set_versions.c.version_minor, data_set_versions.c.created,
    data_set_versions.c.row_count, data_set_versions.c.data_file_name,
    data_set_versions.c.meta_file_name, data_set_versions.c.data_sha256,
    data_set_versions.c.meta_sha256, data_set_versions.c.storage_key)


def version_of(r: RowMapping) -> DataSetVersion:
    return DataSetVersion(r["id"], r["data_set_id"], r["version_major"], r["version_minor"],
                          utc(r["created"]), r["row_count"], r["data_file_name"],
                          r["meta_file_name"], r["data_sha256"], r["meta_sha256"],
                          r["storage_key"])


def version(conn: Connection, version_id: str) -> DataSetVersion | None:
    row = conn.execute(select(*_VERSION_COLUMNS).where(data_set_versions.c.id == version_id)
                       ).mappings().first()
    return version_of(row) if row else None


def versions(conn: Connection, data_set_id: str) -> list[DataSetVersion]:
    """Every version of a data set, newest first (drafts included)."""
    rows = conn.execute(select(*_VERSION_COLUMNS)
                        .where(data_set_versions.c.data_set_id == data_set_id)
                        .order_by(data_set_versions.c.version_major.desc(),
                                  data_set_versions.c.version_minor.desc())).mappings()
    return [version_of(r) for r in rows]


def versions_by_id(conn: Connection, ids: set[str]) -> dict[str, DataSetVersion]:
    if not ids:
        return {}
    rows = conn.execute(select(*_VERSION_COLUMNS).where(data_set_versions.c.id.in_(ids))
                        ).mappings()
    return {r["id"]: version_of(r) for r in rows}


def stored_metadata(conn: Connection, version_id: str) -> VersionMeta:
    """A version's metadata read in this connection (the cache reads in its own)."""
    text = conn.execute(select(data_set_versions.c.metadata)
                        .where(data_set_versions.c.id == version_id)).scalar_one()
    return VersionMeta.from_json(json.loads(text))


def stored_changes(conn: Connection, version_id: str) -> dict[str, Any]:
    """What import recorded as changed from the version before (ingest/changes.py)."""
    text = conn.execute(select(data_set_versions.c.changes)
                        .where(data_set_versions.c.id == version_id)).scalar_one()
    return dict(json.loads(text or "{}"))


def stored_records(conn: Connection, ids: Iterable[str]) -> dict[str, snapshot_file.VersionRecord]:
    """Versions' metadata and changes as stored, to keep on disk beside the snapshot."""
    q = version_quality.c
    rows = conn.execute(select(data_set_versions.c.id, data_set_versions.c.metadata,
                               data_set_versions.c.changes, q.screening, q.counts)
                        .outerjoin(version_quality, q.version_id == data_set_versions.c.id)
                        .where(data_set_versions.c.id.in_(list(ids))))
    return {r.id: snapshot_file.VersionRecord(
        r.metadata, r.changes or "{}",
        quality.record_text(r.screening, r.counts) if r.counts else "") for r in rows}


def storage_keys(conn: Connection) -> set[str]:
    return {r[0] for r in conn.execute(select(data_set_versions.c.storage_key))}


class MetadataCache:
    """Versions' metadata by version id, least recently used out first, up to
    METADATA_CACHE_BYTES of JSON text: a catalogue of thousands of small data sets fits
    whole, while a few huge ones (a location list of every school) cannot push the
    process out of memory. Versions never change, so no entry can go stale on any replica.
    """

    def __init__(self, catalogue: Catalogue, published_dir: Path | None = None) -> None:
        self.catalogue = catalogue
        self.published_dir = published_dir
        # (JSON size, typed metadata, the stored JSON as parsed)
        self._items: OrderedDict[str, tuple[int, VersionMeta, dict[str, Any]]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, version_id: str) -> VersionMeta:
        return self._entry(version_id)[1]

    def get_json(self, version_id: str) -> dict[str, Any]:
        """The stored JSON, for modules not yet reading VersionMeta (the query engine,
        the table tool); goes once they all do."""
        return self._entry(version_id)[2]

    def _entry(self, version_id: str) -> tuple[int, VersionMeta, dict[str, Any]]:
        with self._lock:
            cached = self._items.get(version_id)
            if cached is not None:
                self._items.move_to_end(version_id)
                return cached
        try:
            with self.catalogue.connect() as conn:
                text = conn.execute(select(data_set_versions.c.metadata)
                                    .where(data_set_versions.c.id == version_id)).scalar_one()
        except Exception:
            kept = self._kept(version_id)
            if kept is None:
                raise
            text = kept.metadata
        doc = dict(json.loads(text))
        entry = (len(text), VersionMeta.from_json(doc), doc)
        with self._lock:
            if version_id not in self._items:
                self._items[version_id] = entry
                self._bytes += len(text)
            while self._bytes > METADATA_CACHE_BYTES and len(self._items) > 1:
                _, (size, *_) = self._items.popitem(last=False)
                self._bytes -= size
        return entry

    def changes(self, version_id: str) -> dict[str, Any]:
        """What import recorded as changed from the version before (ingest/changes.py)."""
        try:
            with self.catalogue.connect() as conn:
                return stored_changes(conn, version_id)
        except Exception:
            kept = self._kept(version_id)
            if kept is None:
                raise
            return dict(json.loads(kept.changes))

    def quality(self, version_id: str) -> VersionQuality | None:
        """The version's quality report as import stored it (catalogue/quality.py), None
        when it has none; while the database is away, the copy kept with the snapshot."""
        try:
            with self.catalogue.connect() as conn:
                return quality.of_version(conn, version_id)
        except Exception:
            kept = self._kept(version_id)
            if kept is None:
                raise
            return quality.from_record_text(kept.quality) if kept.quality else None

    def _kept(self, version_id: str) -> snapshot_file.VersionRecord | None:
        """The copy kept on disk with the published snapshot, if any."""
        if self.published_dir is None:
            return None
        return snapshot_file.load_version(self.published_dir, version_id)
