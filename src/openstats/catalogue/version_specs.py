"""Which version a request names: `1.0`, `v1.1`, `2.*`, `*` or nothing (the latest),
optionally as it was at a moment (`asOf`), and which two versions a diff compares.

The one rule for the API's `dataSetVersion` and `asOf`, the diff's `from`, and the pages'
`?version=`, so all pick the same version for the same words. It chooses only among the
versions it is given, the ones public now: no moment reveals a version before its time.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from openstats.model.public import PublicDataSet

_SPEC = re.compile(r"^v?(\d+|\*)(?:\.(\d+|\*))?(?:\.(\d+|\*))?$")
# A `+01:00` offset typed into an address arrives as ` 01:00` (a `+` there is a space).
_SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class VersionChoiceError(ValueError):
    """A request names no version it could mean; `parameter` says which of its words."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def resolve(spec: str | None, versions: list[PublicDataSet],
            as_of: datetime | None = None) -> PublicDataSet | None:
    """The version `spec` names among `versions` (newest first), or None (404); with
    `as_of`, among those public at that moment (VersionChoiceError if none was)."""
    if as_of is not None:
        versions = public_at(versions, as_of)
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


# --- asOf ------------------------------------------------------------------------------
def parse_moment(text: str) -> datetime:
    """An ISO 8601 date or time (`2024-11-21`, `2024-11-21T09:30:00Z`); without an offset
    it is UTC. VersionChoiceError naming `asOf` when it is not one."""
    raw = _SPACED_OFFSET.sub(r"\1+\2", text.strip())
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise VersionChoiceError("asOf", f"'{text}' is not an ISO 8601 time, such as "
                                         "2024-11-21T09:30:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def public_at(versions: list[PublicDataSet], moment: datetime) -> list[PublicDataSet]:
    """The versions that were public at `moment`, newest first; VersionChoiceError naming
    `asOf` when the first was published after it."""
    earlier = [v for v in versions if v.published <= moment]
    if versions and not earlier:
        first = min(v.published for v in versions)
        raise VersionChoiceError("asOf", f"{moment.isoformat()} is before the data set's "
                                         f"first version was published ({first.isoformat()})")
    return earlier


# --- the two versions of a diff ------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    old: PublicDataSet
    new: PublicDataSet


def resolve_pair(spec: str | None, from_spec: str | None,
                 versions: list[PublicDataSet]) -> Pair | None:
    """The version `spec` names and the earlier one `from_spec` names (by default the
    version before it). None when `spec` names no version (404); VersionChoiceError
    naming `from` when `from_spec` names none of this data set's, or not an earlier one."""
    new = resolve(spec, versions)
    if new is None:
        return None
    earlier = [v for v in versions if v.version.number < new.version.number]
    if from_spec is None or not from_spec.strip():
        if not earlier:
            raise VersionChoiceError("from", f"version {new.version.version} is the first: "
                                             "there is no earlier version to compare it with")
        return Pair(earlier[0], new)
    if _is_uuid(from_spec):
        raise VersionChoiceError("from", "give the earlier version of this data set by its "
                                         "number (such as 1.0), not an id: a diff compares two "
                                         "versions of one data set")
    old = resolve(from_spec, versions)
    if old is None:
        raise VersionChoiceError("from", f"'{from_spec}' is not a published version of this "
                                         "data set")
    if old.version_id == new.version_id:
        raise VersionChoiceError("from", f"'{from_spec}' is version {new.version.version} "
                                         "itself: give an earlier version")
    if old.version.number > new.version.number:
        raise VersionChoiceError("from", f"version {old.version.version} is later than "
                                         f"{new.version.version}: give an earlier version")
    return Pair(old, new)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text.strip())
    except ValueError:
        return False
    return True
