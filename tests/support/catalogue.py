"""Catalogue rows built directly through the catalogue modules, for tests that need a
release, a data set and a version without screening files."""

from __future__ import annotations

import atexit
import math
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from openstats.catalogue import content, data_sets, publications, releases
from openstats.catalogue.db import Catalogue, bump_generation
from openstats.catalogue.releases import ReleaseWords
from openstats.catalogue.values import now
from openstats.model.catalogue import Contact, ReleaseDataSet, ReleaseVersion
from openstats.model.metadata import VersionMeta


@cache
def empty_catalogue() -> Path:
    """An empty SQLite catalogue at the newest schema, made once per test process."""
    folder = tempfile.mkdtemp(prefix="openstats-empty-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "catalogue.sqlite"
    Catalogue(f"sqlite:///{path}").close()
    return path


def migrated_data_dir(folder: Path) -> Path:
    """`folder`/data with an empty catalogue already at the newest schema, for sites that
    many tests make afresh: migrating a new SQLite file takes about half a second, copying
    a migrated one a millisecond. (Migrating from nothing is tested where it is the point:
    with the `empty_database_url` fixture, tests/catalogue/test_migration_*.)"""
    data_dir = folder / "data"
    data_dir.mkdir(parents=True)
    shutil.copyfile(empty_catalogue(), data_dir / "catalogue.sqlite")
    return data_dir


def tiny_meta(row_count: int = 1, **extra: Any) -> VersionMeta:
    """Metadata of a version with no filters, places or periods (for catalogue tests)."""
    return VersionMeta.from_json({
        "row_count": row_count, "data_file": "d.csv", "meta_file": "d.meta.csv",
        "data_sha256": "0" * 64, "meta_sha256": "1" * 64, "columns": [],
        "geographic_levels": [], "time_periods": [], "locations": [], "filters": [],
        "indicators": [], **extra})


def make_release(conn: Connection, title: str = "R", *, publication: str = "P",
                 theme: str = "T") -> ReleaseVersion:
    """A publication (made if new) and a new release's first version, a draft."""
    theme_id = publications.upsert_theme(conn, theme)
    publication_id = publications.upsert_publication(
        conn, theme_id, publication, contact=Contact("Team", "team@example.org"))
    pub = publications.publication(conn, publication_id)
    assert pub is not None
    # Data guidance and a headline: what the release checklist needs besides data.
    made = releases.create_release(conn, pub, ReleaseWords(title, "Official statistics",
                                                           data_guidance="About the data."),
                                   slug=publications.slugify(title))
    content.set_words(conn, made.id, headline="The headline facts.")
    return made


def add_version(conn: Connection, rv: ReleaseVersion, data_set_id: str, key: str, *,
                title: str = "D", meta: VersionMeta | None = None, major: int = 1,
                minor: int = 0) -> None:
    """A data-set version (no files) held by `rv`."""
    data_sets.ensure_data_set(conn, data_set_id, publication_id=rv.publication_id, title=title)
    data_sets.add_version(conn, data_set_id=data_set_id, major=major, minor=minor,
                          storage_key=key, metadata=meta or tiny_meta(), changes={})
    position = len(releases.entries(conn, rv.id))
    releases.put_entry(conn, ReleaseDataSet(rv.id, data_set_id, key, title, "", (), position))


def approve(catalogue: Catalogue, rv: ReleaseVersion, when: datetime) -> None:
    """Schedule a release version for `when`, as an approver would."""
    with catalogue.transaction() as conn:
        releases.schedule(conn, rv, when, approved_by=None)
        bump_generation(conn, rv.release_id)


# How far ahead a test schedules a release whose "nothing before its moment" checks take a
# time of their own: far enough for any machine. The test then moves the moment to just
# ahead (`reschedule`) once they have run.
FAR_AHEAD = timedelta(hours=1)


def moment_in(seconds: float) -> datetime:
    """The first whole second at least `seconds` from now (release moments are to the
    second), in UTC."""
    return datetime.fromtimestamp(math.ceil(datetime.now(UTC).timestamp() + seconds), UTC)


def reschedule(catalogue: Catalogue, release_id: str, seconds: float) -> datetime:
    """Move a scheduled release's moment to `seconds` from now (`moment_in`), as a publisher
    does who brings it forward: in one transaction its latest version, approved for a
    moment still to come, is approved for the new one (by whoever approved it), and the
    generation moves, which is how every running process learns of it
    (publishing/workflow.py approve). The new moment."""
    when = moment_in(seconds)
    with catalogue.transaction(immediate=True) as conn:
        latest = releases.latest_version(conn, release_id)
        assert latest is not None and latest.scheduled_after(now()), \
            "only a release scheduled for a moment still to come can be moved"
        releases.schedule(conn, latest, when, latest.approved_by)
        bump_generation(conn, release_id)
    return when


def storage_keys(catalogue: Catalogue) -> set[str]:
    """The storage keys of every recorded version."""
    with catalogue.connect() as conn:
        return data_sets.storage_keys(conn)
