"""Crash-leftover sweeps do not trust a bare pid (issue 12, finding 5).

An upload's `.receiving` marker, a staging folder's `.owner` and a version folder's
`.pending` name their owner by kernel boot, pid namespace, pid and process start time
(storage/owners.py). The owners here are real processes running the real code: one that
died and whose pid a live process now has, one in another pid namespace (a container:
it is pid 1 there) that lives and keeps its markers fresh, and then dies; markers of
another host (another boot id) fresh and stale; and the bare pids older versions wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openstats.platform import open_platform
from openstats.publishing.upload_folders import RECEIVING
from openstats.settings import Settings
from openstats.storage import owners
from openstats.storage.local import PENDING, LocalStorage
from openstats.storage.staging import Staging

# A process holding an upload being received and a build in staging, as a server does
# while it screens and imports; it keeps its markers fresh every 0.2 s until killed.
OWNER_SCRIPT = """
import sys, time
from pathlib import Path
from openstats.publishing.upload_folders import claim
from openstats.storage import owners
from openstats.storage.staging import Staging
owners.HEARTBEAT = 0.2
claim(Path(sys.argv[1]))
print(Staging(Path(sys.argv[2])).stage(), flush=True)
time.sleep(600)
"""
OLD = time.time() - 2 * owners.LEASE


def unshare_works() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "true"],
        capture_output=True).returncode == 0


def start_owner(upload: Path, staging: Path, *, container: bool
                ) -> tuple[subprocess.Popen[str], Path]:
    command = [sys.executable, "-c", OWNER_SCRIPT, str(upload), str(staging)]
    if container:  # a new pid namespace, as a container is: the owner is pid 1 in it
        command = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", *command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    staged = Path(process.stdout.readline().strip())
    assert staged.is_dir() and (upload / RECEIVING).is_file()
    return process, staged


def age(*paths: Path, when: float = OLD) -> None:
    for path in paths:
        os.utime(path, (when, when))


def sweep(data_dir: Path) -> None:
    """Another replica's start-up sweep over the shared data folder."""
    open_platform(Settings(data_dir=data_dir, database_url=""), sweep=True).close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    (folder / "uploads").mkdir(parents=True)
    yield folder


def test_a_dead_owner_is_not_kept_alive_by_a_reused_pid(data_dir: Path) -> None:
    upload, staging = data_dir / "uploads" / "u1", data_dir / "files" / "staging"
    process, staged = start_owner(upload, staging, container=False)
    process.kill()
    process.communicate()  # waits, and closes its stdout pipe
    for marker in (upload / RECEIVING, staged / owners.OWNER):
        # The dead owner's pid now belongs to a live process (this one, or init): only
        # the start time tells them apart.
        doc = json.loads(marker.read_text())
        assert doc["pid"] == process.pid and doc["started"]
        marker.write_text(json.dumps({**doc, "pid": os.getpid()}))
    sweep(data_dir)
    assert not upload.exists() and not staged.exists()


def test_a_bare_pid_marker_of_pid_1_does_not_keep_a_folder_for_ever(data_dir: Path) -> None:
    # What older versions wrote in a container, where the server is always pid 1.
    upload = data_dir / "uploads" / "u1"
    upload.mkdir()
    (upload / RECEIVING).write_text("1")
    staged = data_dir / "files" / "staging" / "1-0b0c0d0e-0000-4000-8000-000000000000"
    staged.mkdir(parents=True)
    sweep(data_dir)
    assert upload.exists() and staged.exists()  # young: perhaps a live older replica
    age(upload / RECEIVING, upload, staged)
    sweep(data_dir)
    assert not upload.exists() and not staged.exists()


@pytest.mark.skipif(not unshare_works(), reason="cannot make a pid namespace here")
def test_a_live_owner_in_another_container_is_kept_until_it_dies(data_dir: Path) -> None:
    upload, staging = data_dir / "uploads" / "u1", data_dir / "files" / "staging"
    process, staged = start_owner(upload, staging, container=True)
    try:
        markers = (upload / RECEIVING, staged / owners.OWNER)
        assert json.loads(markers[0].read_text())["pid"] == 1  # pid 1 in its namespace
        # Its markers look abandoned, until its heartbeat touches them again.
        age(*markers)
        deadline = time.monotonic() + 30
        while any(m.stat().st_mtime < OLD + 1 for m in markers):
            assert time.monotonic() < deadline, "the owner's heartbeat never came"
            time.sleep(0.05)
        sweep(data_dir)
        assert upload.exists() and staged.exists()
    finally:
        process.kill()
        process.communicate()  # waits, and closes its stdout pipe
    # Dead now, but nobody here can see its process table: its markers are leases.
    sweep(data_dir)
    assert upload.exists() and staged.exists()
    age(*markers)
    sweep(data_dir)
    assert not upload.exists() and not staged.exists()


def another_host(marker: Path, *, stale: bool) -> None:
    """A marker as a process on another host writes it (another kernel boot)."""
    mine = json.loads(owners.Owner.of_this_process().to_text())
    marker.write_text(json.dumps({**mine, "host": "replica-2", "pid": 4_000_000,
                                  "boot": "00000000-0000-4000-8000-00000000b007"}))
    if stale:
        age(marker)


@pytest.mark.parametrize("stale", [False, True])
def test_another_hosts_upload_build_and_version_are_judged_by_their_lease(
        data_dir: Path, stale: bool) -> None:
    upload = data_dir / "uploads" / "u1"
    upload.mkdir()
    another_host(upload / RECEIVING, stale=stale)
    storage = LocalStorage(data_dir / "files")
    staged = storage.staging / "4000000-0b0c0d0e-0000-4000-8000-000000000000"
    staged.mkdir()
    another_host(staged / owners.OWNER, stale=stale)
    version = storage.versions / "0b0c0d0e-0000-4000-8000-000000000001"
    version.mkdir()
    (version / "data.parquet").write_bytes(b"PAR1")
    another_host(version / PENDING, stale=stale)  # between its rename and its row
    sweep(data_dir)
    for folder in (upload, staged, version):
        assert folder.exists() is not stale, folder


def test_this_processes_own_folders_are_kept(data_dir: Path) -> None:
    staging = Staging(data_dir / "files" / "staging")
    staged = staging.stage()
    age(staged / owners.OWNER, staged)  # however old: its owner is alive and checkable
    sweep(data_dir)
    assert staged.is_dir()
    staging.discard(staged)
