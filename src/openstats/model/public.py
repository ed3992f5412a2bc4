"""The catalogue as readers see it: a release, a data-set version, a publication and a
methodology made public (or previewed), with the words their release version gives them.
Which of them a reader may see is decided in one place, catalogue/published.py (`View`),
which makes these; pages, downloads and the API render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from openstats.model.catalogue import Contact, DataSetVersion, ReleaseDataSet, ReleaseVersion, Theme
from openstats.model.content import MethodologyVersion
from openstats.model.footnotes import Footnote


@dataclass(frozen=True)
class PublicRelease:
    """A release as readers see it: its latest version visible to them."""

    version: ReleaseVersion
    theme: Theme
    first_published: datetime  # when its first version went (or goes) public
    preview: bool  # shown before its time (pre-release access) or a draft (publishers)

    @property
    def id(self) -> str:
        return self.version.release_id

    @property
    def slug(self) -> str:
        return self.version.slug

    @property
    def title(self) -> str:
        return self.version.title

    @property
    def publication_slug(self) -> str:
        return self.version.publication_slug

    @property
    def publication_title(self) -> str:
        return self.version.publication_title

    @property
    def url(self) -> str:
        return f"/find-statistics/{self.publication_slug}/{self.slug}"

    @property
    def last_updated(self) -> datetime | None:
        """When the amendment shown was published (None for a first version)."""
        return self.version.scheduled if self.version.is_amendment else None


@dataclass(frozen=True)
class PublicDataSet:
    """A data-set version as readers see it, with the words its release version gives it."""

    version: DataSetVersion
    words: ReleaseDataSet
    release: PublicRelease  # the release version the words come from
    published: datetime  # when this version of the data set first went public
    notes: str  # the release note of the release version that first held it
    preview: bool

    @property
    def data_set_id(self) -> str:
        return self.version.data_set_id

    @property
    def version_id(self) -> str:
        return self.version.id

    @property
    def title(self) -> str:
        return self.words.title

    @property
    def summary(self) -> str:
        return self.words.summary

    @property
    def footnotes(self) -> tuple[Footnote, ...]:
        return self.words.footnotes


@dataclass(frozen=True)
class PublicPublication:
    id: str
    slug: str
    title: str
    summary: str
    contact: Contact
    theme: Theme
    releases: tuple[PublicRelease, ...]  # newest first

    @property
    def latest_release(self) -> PublicRelease:
        return self.releases[0]

    @property
    def last_published(self) -> datetime:
        return max(r.first_published for r in self.releases)


@dataclass(frozen=True)
class PublicMethodology:
    """A methodology as readers see it: its latest version visible to them."""

    version: MethodologyVersion
    published: datetime  # when its first version went (or goes) public
    updated: datetime | None  # when the amendment shown went public
    preview: bool

    @property
    def slug(self) -> str:
        return self.version.slug

    @property
    def title(self) -> str:
        return self.version.title

    @property
    def url(self) -> str:
        return f"/methodology/{self.slug}"


@dataclass(frozen=True)
class Update:
    """An entry of a release's "Updates" list."""

    on: date
    reason: str
