"""A real client: the EES quick-start guide's requests, run as a separate program."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.api.conftest import LiveServer, data_set_id


def test_quick_start_runs_unchanged_against_openstats(live: LiveServer) -> None:
    script = Path(__file__).parent / "ees_quickstart.py"
    env = {**os.environ, "OPENSTATS_BASE_URL": live.api,
           "OPENSTATS_DATA_SET_ID": data_set_id("absence")}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "json_normalize:" in done.stdout  # pandas really flattened the rows
