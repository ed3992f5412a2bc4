"""Where the shared folder (spec, samples, geography lookups) is found by the tests."""

from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    """The shared folder: $OPENSTATS_SHARED_DIR, or `../shared` next to the repository."""
    configured = os.environ.get("OPENSTATS_SHARED_DIR")
    if configured:
        return Path(configured).resolve()
    return (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
