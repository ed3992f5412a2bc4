"""The published snapshot kept on disk reads back as the same objects, and is never misread.

If someone adds a field to a snapshot's objects of a kind the file cannot hold, the
round trip here fails before an outage finds out.
"""

from __future__ import annotations

import json
from pathlib import Path

from openstats.catalogue import snapshot_file
from openstats.catalogue.published import Snapshot
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.conftest import REFERENCE


def test_the_kept_snapshot_reads_back_equal_and_a_foreign_one_is_ignored(
        tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    snapshot = platform.catalogue.snapshots.snapshot()  # read, and kept on disk
    platform.close()
    folder = settings.data_dir / "published"
    kept = snapshot_file.load(folder, Snapshot)
    assert kept == snapshot and kept is not snapshot
    assert snapshot.featured and snapshot.entries and snapshot.moments  # a full one
    assert snapshot_file.kept_versions(folder) == set(snapshot.versions)
    # An older generation never replaces a newer one (replicas sharing the folder).
    assert not snapshot_file.save(folder, Snapshot, snapshot, snapshot.generation - 1)
    # A file written by another version of the code (other fields) is not misread.
    doc = json.loads((folder / snapshot_file.SNAPSHOT).read_text())
    (folder / snapshot_file.SNAPSHOT).write_text(json.dumps({**doc, "shape": "other"}))
    assert snapshot_file.load(folder, Snapshot) is None
