"""Real `openstats` processes for the operations tests: started, awaited, stopped by pid."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REFERENCE, free_port


def openstats(*args: str) -> list[str]:
    return [sys.executable, "-m", "openstats.cli", *args]


def environment(**settings: str) -> dict[str, str]:
    """This environment plus OPENSTATS_* settings; no stray multiprocess metrics folder."""
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return {**env, "OPENSTATS_REFERENCE_DIR": str(REFERENCE), **settings}


@dataclass
class Server:
    """One `openstats serve` process; its stdout (JSON log lines) goes to a file."""

    process: subprocess.Popen[bytes]
    base: str
    log_path: Path
    started: float

    def wait_ready(self, timeout: float = 90) -> float:
        """Seconds from start until /readyz answered 200; fails the test if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited {self.process.returncode}:\n"
                                     + self.log_path.read_text()[-4000:])
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.base} not ready after {timeout} s:\n"
                             + self.log_path.read_text()[-4000:])

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line written so far; each must be one JSON object."""
        return [json.loads(line) for line in self.log_path.read_text().splitlines()
                if line.strip()]

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (a graceful stop), then wait; kill only if it does not end in time.

        Returns the exit status: uvicorn re-raises SIGTERM after a clean shutdown, so
        that is -15 (the log says whether the shutdown was clean)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return int(self.process.returncode)


def start(folder: Path, name: str, env: dict[str, str], *serve_args: str,
          load_demo: bool = False) -> Server:
    """`openstats serve` on a free port (after `openstats load-demo` when asked), as a
    deployment's start command would run it."""
    port = free_port()
    serve = openstats("serve", "--port", str(port), *serve_args)
    # exec: the shell becomes the server, so signals sent to this pid reach the server.
    command = f"exec {shlex.join(serve)}"
    if load_demo:
        command = f"{shlex.join(openstats('load-demo'))} >&2 && {command}"
    log_path = folder / f"{name}.log"
    started = time.monotonic()
    with log_path.open("wb") as log, (folder / f"{name}.err").open("wb") as err:
        process = subprocess.Popen(["/bin/sh", "-c", command], env=env, stdout=log,
                                   stderr=err)
    return Server(process, f"http://127.0.0.1:{port}", log_path, started)
