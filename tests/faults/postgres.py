"""A PostgreSQL server of a test's own, on its own port: started, killed with -9 as a
crashing server or a lost machine would be, and started again on the same files.

Built from Debian's PostgreSQL 15 binaries (initdb, pg_ctl). PostgreSQL refuses to run
as root, so under root (the sandbox) it runs as the `postgres` account.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import free_port

BIN = Path(os.environ.get("OPENSTATS_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


def available() -> bool:
    return (BIN / "initdb").is_file() and (os.geteuid() != 0 or _account() is not None)


def _account() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


class OwnPostgres:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1:`port`."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="openstats-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        account = _account() if os.geteuid() == 0 else None
        self._as = ["runuser", "-u", "postgres", "--"] if account else []
        if account:
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"

    def start(self) -> None:
        """Start (or start again, after a kill: PostgreSQL recovers from its WAL)."""
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", "-o", f"-p {self.port} -k {self.folder} "
                  "-c listen_addresses=127.0.0.1", "start")

    def postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def kill9(self) -> None:
        """SIGKILL to the server process: no shutdown, no checkpoint. Its backends notice
        their parent is gone and exit; waited for, so that it can be started again."""
        pid = self.postmaster()
        children = _children(pid)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in [pid, *children]) and time.monotonic() < deadline:
            time.sleep(0.05)
        for p in children:  # stragglers only (never the common case)
            if _alive(p):
                os.kill(p, signal.SIGKILL)

    def stop(self) -> None:
        """Stop for good and remove the cluster."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self._as, str(BIN / "pg_ctl"), "-D", str(self.data), "-m",
                            "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    # Until reaped, even as a zombie: PostgreSQL's own check (kill 0) would still see it.
    return Path(f"/proc/{pid}").exists()
