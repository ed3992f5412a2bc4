"""What a release says besides its data: headline, key statistics, sections with data blocks,
release notes, the pre-release access list and glossary terms; and methodologies.

Everything here is written for one release version (`release_version_id`) and is public
exactly when that version is (catalogue/published.py): an amendment starts with a copy
(catalogue.releases.new_version). Numbers are never written here: a key statistic or a
data block names what to read (a data set, an indicator, locations, periods, options, as
people write them, like featured tables), and the page reads the numbers from the stored
data-set version through the query engine.

Methodologies belong to a publication and have versions of their own (0, then
amendments), each published either "with" one release version (public exactly when that
release version is) or "immediately" (from the moment it was approved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from openstats.model.catalogue import ReleaseState, TableSpec

# Chart types as publishers name them (manifests, forms) -> openstats.charts kinds ("" for
# no chart: the block is a table only).
CHART_TYPES: dict[str, str] = {"line": "line", "verticalbar": "bar", "horizontalbar": "barh",
                               "map": "map", "none": ""}
CHART_LABELS: dict[str, str] = {"line": "Line chart", "verticalbar": "Vertical bar chart",
                                "horizontalbar": "Horizontal bar chart",
                                "map": "Map (local authorities or regions)",
                                "none": "No chart: the table only"}


@dataclass(frozen=True)
class KeyStatistic:
    """A headline tile: one number, read from one cell of a data set."""

    id: str
    release_version_id: str
    position: int
    title: str
    data_set_id: str
    indicator: str  # column
    location: str  # LEVEL|property|value, e.g. NAT|code|E92000001
    time_period: str  # period|code, e.g. 2017|RY
    filters: dict[str, str] = field(default_factory=dict)  # column -> option label
    trend: str = ""
    guidance_title: str = ""
    guidance_text: str = ""  # markdown

    def spec(self) -> TableSpec:
        """The one-cell table the tile shows (filters left out take their default)."""
        return TableSpec(locations=(self.location,),
                         time_periods=(self.time_period, self.time_period),
                         indicators=(self.indicator,),
                         filters={k: (v,) for k, v in self.filters.items()})


@dataclass(frozen=True)
class DataBlock:
    """A table (and its chart) of a data set of the release, shown in a section or as the
    headline block (`section_id` None)."""

    id: str
    release_version_id: str
    section_id: str | None
    position: int
    name: str
    data_set_id: str
    spec: TableSpec
    chart: str = "none"  # a key of CHART_TYPES
    chart_indicator: str = ""  # the indicator column charted ("": the first chosen)

    @property
    def chart_kind(self) -> str:
        return CHART_TYPES.get(self.chart, "")


@dataclass(frozen=True)
class ContentSection:
    id: str
    release_version_id: str
    position: int
    heading: str
    body: str  # markdown, shown before the section's data blocks
    blocks: tuple[DataBlock, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.body.strip() and not self.blocks


@dataclass(frozen=True)
class ReleaseNote:
    """An entry of the release's public "Updates" list. (An amendment's own note, what
    it changed, is `ReleaseVersion.notes`; the page lists both, each with its date.)"""

    id: str
    release_version_id: str
    on: date
    reason: str


@dataclass(frozen=True)
class GlossaryTerm:
    """A term of the site's glossary, written in (and public with) a release version."""

    release_version_id: str
    slug: str  # the anchor: /glossary#<slug>
    term: str
    definition: str  # markdown


@dataclass(frozen=True)
class ReleaseContent:
    """Everything a release version says besides its data sets' words."""

    release_version_id: str
    summary: str = ""  # markdown; "" shows the publication's summary
    headline: str = ""  # markdown: the headline facts and figures
    pre_release_access_list: str = ""  # markdown
    key_statistics: tuple[KeyStatistic, ...] = ()
    headline_blocks: tuple[DataBlock, ...] = ()  # at most one, as EES has
    sections: tuple[ContentSection, ...] = ()
    notes: tuple[ReleaseNote, ...] = ()
    glossary: tuple[GlossaryTerm, ...] = ()

    @property
    def blocks(self) -> tuple[DataBlock, ...]:
        """Every data block, headline first, then the sections' in order."""
        return self.headline_blocks + tuple(b for s in self.sections for b in s.blocks)

    def block(self, block_id: str) -> DataBlock | None:
        return next((b for b in self.blocks if b.id == block_id), None)


@dataclass(frozen=True)
class MethodologySection:
    heading: str
    body: str  # markdown


@dataclass(frozen=True)
class MethodologyVersion:
    """One version of a methodology (0: the first; then amendments) with its words."""

    id: str
    methodology_id: str
    publication_id: str
    slug: str  # the methodology's (its URL), the same for every version
    number: int
    created: datetime
    title: str
    summary: str
    sections: tuple[MethodologySection, ...]
    notes: str  # what an amendment changed
    state: ReleaseState  # draft or approved (a methodology is never "recorded" published)
    with_release_version_id: str | None  # published with this release version, or
    scheduled: datetime | None  # (None above) from this moment: "immediately"
    approved_by: str | None

    @property
    def is_amendment(self) -> bool:
        return self.number > 0


# What each release type means, for the release page's explainer (our words, after the
# Code of Practice for Statistics).
RELEASE_TYPE_GUIDANCE: dict[str, str] = {
    "Accredited official statistics": (
        "Official statistics that the Office for Statistics Regulation has independently "
        "reviewed and found to meet the standards of trustworthiness, quality and value "
        "in the Code of Practice for Statistics (called National Statistics until 2023)."),
    "Official statistics": (
        "Statistics produced by government departments and other official bodies, "
        "following the Code of Practice for Statistics."),
    "Official statistics in development": (
        "Official statistics that are new or being changed, published so that users can "
        "help shape them. Their methods may still change."),
    "Experimental statistics": (
        "New official statistics still being evaluated (the older name for official "
        "statistics in development)."),
    "Ad hoc statistics": (
        "Statistics released outside the usual schedule, to answer a particular question "
        "or meet a particular need."),
    "Management information": (
        "Data collected to run services, published because it is of public interest. It "
        "is not quality assured to the standard of official statistics."),
}
