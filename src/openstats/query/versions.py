"""Resolve a `dataSetVersion` request (`1.0`, `v1.1`, `2.*`, `*`) to one published version."""

from __future__ import annotations

import re
from typing import Any

_SPEC = re.compile(r"^v?(\d+|\*)(?:\.(\d+|\*))?(?:\.(\d+|\*))?$")


def resolve(spec: str | None, versions: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The version `spec` names among `versions` (newest first), or None (404)."""
    if not versions:
        return None
    if spec is None or spec.strip() in ("", "*"):
        return versions[0]
    match = _SPEC.match(spec.strip())
    if not match:
        return None
    major, minor, patch = match.groups()
    if major == "*" or (minor == "*" and patch is not None):
        return None  # wildcards only at the end: 2.*, 2.1.*
    if patch not in (None, "*", "0") and not (patch or "").isdigit():
        return None
    if patch is not None and patch not in ("*",) and int(patch) != 0:
        return None  # we publish no patch versions
    for v in versions:  # newest first, so the first match is the highest
        if v["version_major"] != int(major):
            continue
        if minor in (None,) and v["version_minor"] != 0:
            continue
        if minor not in (None, "*") and v["version_minor"] != int(minor):
            continue
        return v
    return None
