"""Who owns a working folder, in a way that holds across hosts and containers.

A crash leaves working files behind: a staging folder mid-build, an upload half received,
a version folder between its rename and its catalogue row. The start-up sweeps remove
those whose owner is gone, and must never remove a live one. A bare process id cannot
say which is which: in a container every server is pid 1, a pid is reused once its
process dies, and a data folder shared by replicas on several hosts holds the pids of
other machines. So a marker names its owner by

- `boot` (the kernel's boot id) and `pidns` (the pid namespace): when both are ours, the
  pid names a process of this kernel and namespace, and is checked directly, together
  with `started` (the process's start time, in clock ticks since boot), so that a pid
  reused by a later process is not taken for the owner;
- otherwise (another host, another container, or this host before a reboot) the marker
  is a lease: its owner touches it every HEARTBEAT seconds while it lives (one thread per
  process refreshes every marker it holds), and it is abandoned once untouched for LEASE.
  This assumes the hosts' clocks agree to within a few minutes.

`host` is for people reading a marker. A marker that is none of these (a bare pid written
by an older version, a half-written file) is judged as a lease, by its age alone.
Linux only for the direct check (/proc); elsewhere every marker is a lease.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("openstats.storage")

OWNER = ".owner"  # the marker inside a working folder
HEARTBEAT = 60.0  # seconds between touches of the markers a process holds
LEASE = 10 * 60.0  # a marker of another host untouched this long is abandoned


@dataclass(frozen=True)
class Owner:
    host: str
    boot: str
    pidns: str
    pid: int
    started: str

    @classmethod
    def of_this_process(cls) -> Owner:
        return cls(socket.gethostname(), _read("/proc/sys/kernel/random/boot_id"),
                   _pid_namespace(), os.getpid(), _start_time("self"))

    def to_text(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_text(cls, text: str) -> Owner | None:
        try:
            doc = json.loads(text)
            return cls(str(doc["host"]), str(doc["boot"]), str(doc["pidns"]),
                       int(doc["pid"]), str(doc["started"]))
        except (ValueError, KeyError, TypeError):
            return None  # a bare pid (older versions) or a half-written file

    def checkable_here(self) -> bool:
        """Whether this process can see the owner's process table (same kernel and pid
        namespace)."""
        me = Owner.of_this_process()
        return bool(self.boot) and (self.boot, self.pidns) == (me.boot, me.pidns)

    def alive_here(self) -> bool:
        if not self.started:
            return _pid_exists(self.pid)
        return _start_time(str(self.pid)) == self.started


def abandoned(marker: Path) -> bool:
    """Whether the owner named by `marker` is gone (a marker already removed is not)."""
    try:
        text = marker.read_text()
        touched = marker.stat().st_mtime
    except FileNotFoundError:
        return False
    owner = Owner.from_text(text)
    if owner is not None and owner.checkable_here():
        return not owner.alive_here()
    return time.time() - touched > LEASE


def abandoned_folder(folder: Path) -> bool:
    """A working folder's owner is gone: by its marker, or (none yet, or an older
    version's folder) by the folder's own age."""
    marker = folder / OWNER
    if marker.exists():
        return abandoned(marker)
    try:
        return time.time() - folder.stat().st_mtime > LEASE
    except FileNotFoundError:
        return False


def mark(marker: Path) -> None:
    """Write this process's name into `marker` (whole, then renamed) and keep it fresh."""
    part = marker.with_name(f".{marker.name}.{uuid.uuid4().hex}.part")
    part.write_text(Owner.of_this_process().to_text())
    os.replace(part, marker)
    _held.hold(marker)


def make_folder(parent: Path, name: str) -> Path:
    """A new working folder `parent/name`, marked as this process's."""
    folder = parent / name
    folder.mkdir()
    mark(folder / OWNER)
    return folder


def release(marker: Path) -> None:
    """Stop keeping `marker` fresh (it is about to be moved or removed)."""
    _held.release(marker)


def hold(marker: Path) -> None:
    """Keep fresh a marker of this process's that was moved to `marker`."""
    _held.hold(marker)


def unmark(marker: Path) -> None:
    release(marker)
    marker.unlink(missing_ok=True)


def refresh() -> None:
    """Touch every marker this process holds (what the heartbeat thread does)."""
    _held.refresh()


class _Held:
    """The markers this process holds, and the thread that keeps them fresh."""

    def __init__(self) -> None:
        self._markers: set[Path] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def hold(self, marker: Path) -> None:
        with self._lock:
            self._markers.add(marker)
            if self._thread is None or self._pid != os.getpid():  # none yet, or forked
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._beat, daemon=True,
                                                name="openstats-owner-heartbeat")
                self._thread.start()

    def release(self, marker: Path) -> None:
        with self._lock:
            self._markers.discard(marker)

    def refresh(self) -> None:
        with self._lock:
            markers = list(self._markers)
        for marker in markers:
            try:
                os.utime(marker)
            except FileNotFoundError:
                self.release(marker)  # its folder was removed: nothing to keep
            except OSError as e:
                log.warning("could not refresh %s: %s", marker, e)

    def _beat(self) -> None:
        while True:
            time.sleep(HEARTBEAT)
            self.refresh()


_held = _Held()


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def _start_time(pid: str) -> str:
    """Field 22 of /proc/<pid>/stat: when the process started, in ticks since boot."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()  # the name, in brackets, may hold spaces
    return fields[19] if len(fields) > 19 else ""


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
