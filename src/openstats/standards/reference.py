"""Standard geography lookups (code/name pairs per level), read from the reference folder.

The lookups are data, not code: the operator points OPENSTATS_REFERENCE_DIR at a folder
holding DfE's published CSVs. Without it, lookup checks are skipped and the report says so.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from openstats.standards.geography import LOOKUPS, UNIVERSAL_OPTIONS_FILE

# (our code column, our name column) -> set of valid (code, name) pairs
Lookups = dict[tuple[str, str], frozenset[tuple[str, str]]]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=4)
def load_lookups(reference_dir: Path) -> Lookups:
    """Valid (code, name) pairs per geography column pair; names are trimmed."""
    universal = {
        (r["code"].strip(), r["name"].strip())
        for r in _rows(reference_dir / UNIVERSAL_OPTIONS_FILE)
    } if (reference_dir / UNIVERSAL_OPTIONS_FILE).exists() else set()
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for file, code_in, name_in, code_col, name_col in LOOKUPS:
        path = reference_dir / file
        if not path.exists():
            continue
        bucket = pairs.setdefault((code_col, name_col), set(universal))
        for r in _rows(path):
            bucket.add(((r.get(code_in) or "").strip(), (r.get(name_in) or "").strip()))
    return {key: frozenset(value) for key, value in pairs.items()}
