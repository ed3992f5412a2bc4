"""Shared fixtures: where ../shared is, and real catalogue stores on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPENSTATS_SHARED_DIR", REPO.parent / "shared")).resolve()
SAMPLES = SHARED / "samples"
REFERENCE = SHARED / "reference"
# PostgreSQL runs on every development and CI machine (trust auth, database `test`).
POSTGRES_URL = os.environ.get("OPENSTATS_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    assert SHARED.is_dir(), f"../shared not found at {SHARED}"
    return SHARED


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A new, empty PostgreSQL schema while the block runs: its URL (dropped afterwards)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty catalogue database: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalogue.sqlite'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """PostgreSQL only (what several processes share): a fresh, empty schema's URL."""
    with postgres_schema() as url:
        yield url
