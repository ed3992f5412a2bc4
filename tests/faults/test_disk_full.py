"""A full disk during an import (issue 12, finding 13).

The data folder is a small tmpfs mounted for the test (we run as root in the sandbox;
elsewhere these tests are skipped). A 26 MB data file is imported into it with
`openstats import`, loaded with `openstats load` (two data sets: the disk fills up half
way through the second one's build, a real ENOSPC), and uploaded and imported through
the publishing side of a running app. Each says in one line what was being written, how
much room it needs and how much is free; nothing half-written stays; the site goes on
serving; the admin upload waits for a retry, which succeeds once there is room.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openstats.app import create_app
from openstats.catalogue import accounts, data_sets
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing import upload_folders
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person
from tests.api.conftest import manifest_text
from tests.conftest import REFERENCE, REPO
from tests.ops.helpers import environment, openstats
from tests.support.catalogue import make_release

ROWS = 150_000  # about 26 MB of CSV


@pytest.fixture(scope="module")
def big_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("big")
    for rows in (ROWS, ROWS - 1):
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--rows",
                        str(rows), "--out", str(folder)], check=True, capture_output=True)
    data = folder / f"bench_{ROWS // 1000}k.csv"
    assert data.stat().st_size > 25_000_000
    return data, data.with_name(data.name.replace(".csv", ".meta.csv"))


class Disk:
    """A tmpfs of `size` mounted at a folder, resized or unmounted by the test."""

    def __init__(self, where: Path, size: str) -> None:
        self.where = where
        where.mkdir(parents=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(where)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")

    def resize(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.where)], check=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.where)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Disk]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = Disk(tmp_path / "disk", getattr(request, "param", "12m"))
    try:
        yield disk
    finally:
        disk.unmount()


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(openstats(*args, "--data-dir", str(data_dir)),
                          env=environment(), capture_output=True, text=True, timeout=600)


def assert_one_clear_line(stderr: str, *words: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "Errno" not in stderr and "│" not in stderr
    assert re.search(r"needs about [\d,.]+ MB free in .*and [\d,.]+ MB is free", lines[0])
    for word in words:
        assert word in lines[0], (word, lines[0])


def assert_nothing_half_visible(data_dir: Path) -> None:
    files = data_dir / "files"
    assert [p.name for p in (files / "staging").iterdir()] == []
    assert [p.name for p in (files / "versions").iterdir()] == []
    platform = open_platform(Settings(data_dir=data_dir, database_url=""))
    with platform.catalogue.connect() as conn:
        assert data_sets.storage_keys(conn) == set()
    platform.close()


def test_import_into_a_full_data_folder_says_so_in_one_line(
        small_disk: Disk, big_pair: tuple[Path, Path]) -> None:
    data, meta = big_pair
    done = run("import", str(data), str(meta), data_dir=small_disk.where / "data")
    assert done.returncode == 1, done.stdout + done.stderr
    assert_one_clear_line(done.stderr, f"importing {data.name}", "staging")
    assert_nothing_half_visible(small_disk.where / "data")


@pytest.mark.parametrize("small_disk", ["55m"], indirect=True)
def test_load_that_fills_the_disk_half_way_says_what_it_was_writing(
        small_disk: Disk, big_pair: tuple[Path, Path], tmp_path: Path) -> None:
    first, _ = big_pair
    second = first.with_name(f"bench_{(ROWS - 1) // 1000}k.csv")
    if not second.exists():
        second = next(p for p in first.parent.glob("bench_*.csv")
                      if p != first and not p.name.endswith(".meta.csv"))
    manifest = tmp_path / "release.toml"
    manifest.write_text(manifest_text("Two big files", "two-big-files", "2024-01-01T09:30:00Z", [
        ("22222222-0000-4000-8000-000000000001", "First", str(first.with_suffix(""))),
        ("22222222-0000-4000-8000-000000000002", "Second", str(second.with_suffix("")))]))
    done = run("load", str(manifest), data_dir=small_disk.where / "data")
    assert done.returncode == 1, done.stdout + done.stderr
    # The room was there when each was checked; the second build then ran out of it.
    assert_one_clear_line(done.stderr, "loading release.toml", "(writing ")
    assert_nothing_half_visible(small_disk.where / "data")


@pytest.mark.parametrize("small_disk", ["45m"], indirect=True)
def test_admin_upload_on_a_full_disk_is_kept_for_a_retry(
        small_disk: Disk, big_pair: tuple[Path, Path]) -> None:
    data, meta = big_pair
    settings = Settings(data_dir=small_disk.where / "data", database_url="",
                        reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    with platform.catalogue.transaction() as conn:
        release = make_release(conn, "Big release", publication="Big publication")
    platform.close()
    uploads = settings.data_dir / "uploads"
    with TestClient(create_app(settings), follow_redirects=False) as client:
        person = Person(client)
        assert person.sign_in("admin@example.org").status_code == 303
        with data.open("rb") as d, meta.open("rb") as m:
            report = person.follow(person.post(
                f"/admin/releases/{release.release_id}/upload",
                {"title": "Big", "summary": "", "data_set_id": ""},
                files={"data_file": (data.name, d, "text/csv"),
                       "meta_file": (meta.name, m, "text/csv")},
                token_from=f"/admin/releases/{release.release_id}"))
        assert report.status_code == 200 and "Import this data set" in report.text
        upload_id = re.search(r'/admin/uploads/([0-9a-f-]+)/import', report.text).group(1)
        # The upload's copy took most of the disk: the import cannot fit beside it.
        answer = person.post(f"/admin/uploads/{upload_id}/import", {"acknowledge": "yes"},
                             token_from=f"/admin/releases/{release.release_id}")
        assert answer.status_code == 507
        assert "There is not enough disk space" in answer.text and "govuk-" in answer.text
        assert "Your files are kept" in answer.text and "Errno" not in answer.text
        assert (uploads / upload_id / "upload.json").is_file()
        assert [p.name for p in (settings.data_dir / "files" / "staging").iterdir()] == []
        # The site goes on serving meanwhile.
        assert client.get("/").status_code == 200
        assert client.get("/data-catalogue").status_code == 200
        small_disk.resize("200m")
        again = person.post(f"/admin/uploads/{upload_id}/import", {"acknowledge": "yes"},
                            token_from=f"/admin/releases/{release.release_id}")
        assert again.status_code == 303, again.text[:2000]
        # Imported: the files are gone, the record says what they became (a resent form
        # is told so), and nothing is left in staging.
        done = upload_folders.imported_as(uploads / upload_id)
        assert done is not None and done.title == "Big"
        assert not any((uploads / upload_id / name).exists() for name in upload_folders.FILES)
