"""Which version a request names: `1.0`, `v1.1`, `2.*`, `*` or nothing (the latest).

The one rule for the API's `dataSetVersion` and the pages' `?version=`, so both pick the
same version for the same words.
"""

from __future__ import annotations

import re

from openstats.catalogue.published import PublicDataSet

_SPEC = re.compile(r"^v?(\d+|\*)(?:\.(\d+|\*))?(?:\.(\d+|\*))?$")


def resolve(spec: str | None, versions: list[PublicDataSet]) -> PublicDataSet | None:
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
    if patch is not None and patch != "*" and int(patch) != 0:
        return None  # we publish no patch versions
    for v in versions:  # newest first, so the first match is the highest
        if v.version.major != int(major):
            continue
        if minor is None and v.version.minor != 0:
            continue
        if minor not in (None, "*") and v.version.minor != int(minor):
            continue
        return v
    return None
