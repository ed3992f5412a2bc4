"""The demo: the seed publication (a release manifest and its two files) and a second
publication of DfE's real data (``pupils.toml``), whose files stay in ``../shared/real``
(the data file gzip-compressed, read as it is)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

MANIFEST = Path(__file__).parent / "release.toml"
REAL_MANIFEST = Path(__file__).parent / "pupils.toml"
REAL_FOLDER = Path("real") / "spc_pupils_ethnicity_and_language"  # under ../shared
REAL_DATA = "spc_pupils_ethnicity_and_language.csv.gz"
REAL_META = "spc_pupils_ethnicity_and_language.meta.csv"


def shared_dir(reference_dir: Path | None) -> Path | None:
    """../shared: OPENSTATS_SHARED_DIR, else the folder around the reference folder."""
    value = os.environ.get("OPENSTATS_SHARED_DIR")
    found = Path(value) if value else (reference_dir.parent if reference_dir else None)
    return found if found is not None and (found / REAL_FOLDER).is_dir() else None


def real_manifest(shared: Path, into: Path) -> Path:
    """A copy of the real publication's manifest in `into`, naming the files where they
    are in `shared` (manifest paths are relative to the manifest, so the copy says where)."""
    into.mkdir(parents=True, exist_ok=True)
    source = (shared / REAL_FOLDER).resolve()
    text = REAL_MANIFEST.read_text(encoding="utf-8")
    text = text.replace(f'data = "{REAL_DATA}"', f'data = "{source / REAL_DATA}"')
    text = text.replace(f'meta = "{REAL_META}"', f'meta = "{source / REAL_META}"')
    manifest = into / REAL_MANIFEST.name
    # Written under a name of its own, then renamed: several `load-demo`s started together
    # (replicas on one data folder) must never read each other's half-written copy.
    part = manifest.with_name(f".{manifest.name}.{uuid.uuid4().hex}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, manifest)
    return manifest
