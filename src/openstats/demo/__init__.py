"""The demo: the seed publication (a release manifest and its two files) and a second
publication of DfE's real data (``pupils.toml``), whose data file lives gzip-compressed in
``../shared/real`` and is unpacked next to a copy of its manifest before loading."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

MANIFEST = Path(__file__).parent / "release.toml"
REAL_MANIFEST = Path(__file__).parent / "pupils.toml"
REAL_FOLDER = Path("real") / "spc_pupils_ethnicity_and_language"  # under ../shared
REAL_DATA = "spc_pupils_ethnicity_and_language.csv"
REAL_META = "spc_pupils_ethnicity_and_language.meta.csv"


def shared_dir(reference_dir: Path | None) -> Path | None:
    """../shared: OPENSTATS_SHARED_DIR, else the folder around the reference folder."""
    value = os.environ.get("OPENSTATS_SHARED_DIR")
    found = Path(value) if value else (reference_dir.parent if reference_dir else None)
    return found if found is not None and (found / REAL_FOLDER).is_dir() else None


def unpack_real(shared: Path, into: Path) -> Path:
    """Decompress the real data set (.csv.gz) into `into`, beside its meta file and a copy
    of its manifest; the manifest's path. (Until the screener reads .gz files itself.)"""
    into.mkdir(parents=True, exist_ok=True)
    source = shared / REAL_FOLDER
    target = into / REAL_DATA
    if not target.exists():
        partial = target.with_suffix(".partial")
        with gzip.open(source / f"{REAL_DATA}.gz", "rb") as src, partial.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        partial.rename(target)  # a crash mid-way never leaves a half file under the name
    shutil.copyfile(source / REAL_META, into / REAL_META)
    manifest = into / REAL_MANIFEST.name
    shutil.copyfile(REAL_MANIFEST, manifest)
    return manifest
