"""The catalogue's objects: themes, publications, releases and their versions, data sets and
their versions, and the tables saved from them.

A release is an identity; what is written for it lives in its versions (the first, then
each amendment), each public from its scheduled moment once approved. A data-set version
holds numbers only; the words written for it (title, summary, footnotes) belong to the
release version that holds it (`ReleaseDataSet`), so they are embargoed with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from openstats.model.footnotes import Footnote

# EES's release types, in the order its forms list them.
RELEASE_TYPES: tuple[str, ...] = (
    "Accredited official statistics",
    "Official statistics",
    "Official statistics in development",
    "Experimental statistics",
    "Ad hoc statistics",
    "Management information",
)


@dataclass(frozen=True)
class Contact:
    team_name: str
    team_email: str
    name: str = ""
    telephone: str = ""


@dataclass(frozen=True)
class Theme:
    id: str
    slug: str
    title: str
    summary: str = ""


@dataclass(frozen=True)
class Publication:
    """A publication as the publishing side edits it. Readers see the words its public
    release versions carry (`ReleaseVersion.publication_title`, ...)."""

    id: str
    slug: str
    theme_id: str
    title: str
    summary: str
    contact: Contact


class ReleaseState(StrEnum):
    DRAFT = "draft"  # being written; nobody but its publishers sees it
    APPROVED = "approved"  # scheduled: public from `scheduled`, to the second
    PUBLISHED = "published"  # the scheduler has recorded that its moment came


@dataclass(frozen=True)
class ReleaseVersion:
    """One version of a release (0: the first; 1, 2, ...: amendments) with its words."""

    id: str
    release_id: str
    publication_id: str
    publication_slug: str
    slug: str  # the release's slug (its URL), the same for every version
    number: int
    created: datetime
    title: str
    release_type: str
    next_update: str
    data_guidance: str
    notes: str  # the release note: what this version changed (amendments)
    theme_id: str
    publication_title: str
    publication_summary: str
    contact: Contact
    state: ReleaseState
    scheduled: datetime | None
    approved_by: str | None

    def public_at(self, at: datetime) -> bool:
        """Public at `at`: approved (or recorded) and its moment has come."""
        return (self.state is not ReleaseState.DRAFT and self.scheduled is not None
                and self.scheduled <= at)

    def scheduled_after(self, at: datetime) -> bool:
        """Approved for a moment still to come."""
        return (self.state is not ReleaseState.DRAFT and self.scheduled is not None
                and self.scheduled > at)

    @property
    def is_amendment(self) -> bool:
        return self.number > 0


@dataclass(frozen=True)
class DataSet:
    id: str
    publication_id: str | None
    title: str  # a working name for the publishing side; readers see ReleaseDataSet.title


@dataclass(frozen=True)
class DataSetVersion:
    """An immutable version of a data set's numbers: its files and where they are."""

    id: str
    data_set_id: str
    major: int
    minor: int
    created: datetime
    row_count: int
    data_file_name: str
    meta_file_name: str
    data_sha256: str
    meta_sha256: str
    storage_key: str

    @property
    def version(self) -> str:
        return version_string(self.major, self.minor)

    @property
    def number(self) -> tuple[int, int]:
        return self.major, self.minor


@dataclass(frozen=True)
class DiffCounts:
    """How many observations a version added, removed and changed since an earlier one
    (ingest/diff.py)."""

    added: int
    removed: int
    changed: int

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed


def version_string(major: int, minor: int) -> str:
    return f"{major}.{minor}"


@dataclass(frozen=True)
class ReleaseDataSet:
    """A data set as one release version holds it: which version, and its words there."""

    release_version_id: str
    data_set_id: str
    version_id: str
    title: str
    summary: str
    footnotes: tuple[Footnote, ...]
    position: int


@dataclass(frozen=True)
class TableSpec:
    """A featured table as a publisher writes it: things named as people write them.

    Locations `LEVEL|property|value` (`NAT|code|E92000001`, `LA|oldCode|373`), time
    periods `period|code` (start and end), filter options by label under their column
    (a filter left out takes its default), indicators by column.
    """

    locations: tuple[str, ...]
    time_periods: tuple[str, ...]
    indicators: tuple[str, ...]
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rows: tuple[str, ...] = ()
    cols: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"locations": list(self.locations),
                               "time_periods": list(self.time_periods),
                               "filters": {k: list(v) for k, v in self.filters.items()},
                               "indicators": list(self.indicators)}
        if self.rows:
            out["rows"] = list(self.rows)
        if self.cols:
            out["cols"] = list(self.cols)
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> TableSpec:
        return cls(locations=tuple(doc.get("locations", [])),
                   time_periods=tuple(doc.get("time_periods", [])),
                   indicators=tuple(doc.get("indicators", [])),
                   filters={k: tuple(v) for k, v in (doc.get("filters") or {}).items()},
                   rows=tuple(doc.get("rows", [])), cols=tuple(doc.get("cols", [])))


@dataclass(frozen=True)
class FeaturedTable:
    """A table a publisher built for readers, written in (and public with) a release
    version; it opens at the data set's latest version."""

    id: str
    data_set_id: str
    release_version_id: str
    name: str
    description: str
    spec: TableSpec
    position: int


@dataclass(frozen=True)
class Permalink:
    """A reader's table, frozen to the version it was made from (the table tool's
    selection, as its JSON)."""

    id: str
    data_set_id: str
    version_id: str
    selection: dict[str, Any]
    created: datetime
