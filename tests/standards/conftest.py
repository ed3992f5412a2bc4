"""Fixtures for the standards tests: the shared folder and its geography lookups."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .paths import shared_dir


@pytest.fixture(scope="session")
def shared() -> Path:
    folder = shared_dir()
    # Fail, do not skip: the samples are the screener's acceptance test.
    assert (folder / "samples").is_dir(), (
        f"shared folder not found at {folder}; set OPENSTATS_SHARED_DIR")
    return folder


@pytest.fixture(scope="session")
def reference_dir(shared: Path) -> Path:
    configured = os.environ.get("OPENSTATS_REFERENCE_DIR")
    folder = Path(configured) if configured else shared / "reference"
    assert (folder / "country.csv").is_file(), f"no geography lookups in {folder}"
    return folder
