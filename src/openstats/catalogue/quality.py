"""Versions' quality reports in SQL (model/quality.py): written once, with the version, in
the import's transaction; read by the quality page and its API answer."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from openstats.catalogue.schema import version_quality
from openstats.model.quality import CellCounts, VersionQuality
from openstats.standards.findings import report_from_json, report_to_json


def add(conn: Connection, version_id: str, quality: VersionQuality) -> None:
    screening = quality.screening
    conn.execute(version_quality.insert().values(
        version_id=version_id,
        screening=json.dumps(report_to_json(screening) if screening else None,
                             ensure_ascii=False),
        counts=json.dumps(quality.counts.to_json(), ensure_ascii=False)))


def of_version(conn: Connection, version_id: str) -> VersionQuality | None:
    """The stored report, or None for a version imported before reports were kept."""
    row = conn.execute(select(version_quality.c.screening, version_quality.c.counts)
                       .where(version_quality.c.version_id == version_id)).first()
    if row is None:
        return None
    return _report(json.loads(row.screening), json.loads(row.counts))


def record_text(screening: str, counts: str) -> str:
    """A stored report as one JSON text, to keep on disk beside the published snapshot
    (catalogue/snapshot_file.py), so its page is served while the database is away."""
    return f'{{"screening": {screening}, "counts": {counts}}}'


def from_record_text(text: str) -> VersionQuality:
    doc = json.loads(text)
    return _report(doc["screening"], doc["counts"])


def _report(screening: Any, counts: dict[str, Any]) -> VersionQuality:
    return VersionQuality(CellCounts.from_json(counts),
                          report_from_json(screening) if screening else None)


def delete_version(conn: Connection, version_id: str) -> None:
    """Forget the report of a version being deleted (a replaced draft)."""
    conn.execute(delete(version_quality).where(version_quality.c.version_id == version_id))
