"""View models for page templates: the published catalogue's objects flattened into the
names the templates use (a data set with its release and publication's words), typed.

Every value comes from a `PublicDataSet` or `PublicRelease` (catalogue.published), so a
page shows exactly the words that are public at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from openstats.model.catalogue import Theme
from openstats.model.footnotes import Footnote
from openstats.model.metadata import Location
from openstats.model.public import PublicDataSet, PublicPublication, PublicRelease


@dataclass(frozen=True)
class ReleaseRow:
    """A release (its shown version) with its publication's words."""

    release_id: str
    release_title: str
    release_slug: str
    release_type: str
    published: datetime  # when the release was first published
    last_updated: datetime | None  # when the amendment shown was published
    next_update: str
    data_guidance: str
    notes: str
    publication_id: str
    publication_title: str
    publication_slug: str
    publication_summary: str
    contact_team_name: str
    contact_team_email: str
    contact_name: str
    contact_telephone: str
    theme_title: str
    theme_slug: str
    preview: bool

    @property
    def url(self) -> str:
        return f"/find-statistics/{self.publication_slug}/{self.release_slug}"


@dataclass(frozen=True)
class DataSetRow(ReleaseRow):
    """A data-set version with the words its release version gives it."""

    data_set_id: str
    id: str  # the version's id
    title: str
    summary: str
    version: str
    version_published: datetime  # when this version of the data set first went public
    row_count: int
    data_file_name: str
    meta_file_name: str
    data_sha256: str
    meta_sha256: str
    storage_key: str
    footnotes: tuple[Footnote, ...]


def location_url(loc: Location) -> str:
    """The page of a location (web/location_pages.py): by its main code, or by its public
    id at a level with no code (RSC regions)."""
    return f"/locations/{loc.level}/{quote(loc.code or loc.public_id, safe='')}"


def release_row(release: PublicRelease) -> ReleaseRow:
    return ReleaseRow(**_release_fields(release))


def _release_fields(release: PublicRelease) -> dict[str, Any]:
    rv = release.version
    return {
        "release_id": rv.release_id, "release_title": rv.title, "release_slug": rv.slug,
        "release_type": rv.release_type, "published": release.first_published,
        "last_updated": release.last_updated, "next_update": rv.next_update,
        "data_guidance": rv.data_guidance, "notes": rv.notes,
        "publication_id": rv.publication_id, "publication_title": rv.publication_title,
        "publication_slug": rv.publication_slug,
        "publication_summary": rv.publication_summary,
        "contact_team_name": rv.contact.team_name, "contact_team_email": rv.contact.team_email,
        "contact_name": rv.contact.name, "contact_telephone": rv.contact.telephone,
        "theme_title": release.theme.title, "theme_slug": release.theme.slug,
        "preview": release.preview,
    }


def data_set_row(d: PublicDataSet) -> DataSetRow:
    fields = _release_fields(d.release)
    if d.published > d.release.first_published:
        # A version published after its release: the page says when it came.
        fields["last_updated"] = d.published
    v = d.version
    return DataSetRow(**fields, data_set_id=d.data_set_id, id=v.id, title=d.title,
                      summary=d.summary, version=v.version, version_published=d.published,
                      row_count=v.row_count, data_file_name=v.data_file_name,
                      meta_file_name=v.meta_file_name, data_sha256=v.data_sha256,
                      meta_sha256=v.meta_sha256, storage_key=v.storage_key,
                      footnotes=d.footnotes)


@dataclass(frozen=True)
class ThemeGroup:
    title: str
    slug: str
    publications: list[PublicPublication]  # the first HOME_PER_THEME of them
    total: int  # how many the theme has: the rest are a link to Find statistics away


# Publications shown under each theme on the home page. A catalogue may hold a thousand
# publications: the home page names a few per theme and links to the theme's full list
# (/find-statistics?theme=...), as EES's home page links to its themes.
HOME_PER_THEME = 8


def theme_groups(themes: list[tuple[Theme, list[PublicPublication]]]) -> list[ThemeGroup]:
    return [ThemeGroup(t.title, t.slug, pubs[:HOME_PER_THEME], len(pubs)) for t, pubs in themes]


def pager(page: int, pages: int) -> list[int | None]:
    """The page numbers a results pager shows: the first, the last, and two either side of
    the current page; None where numbers are left out (an ellipsis). A catalogue of 50,000
    data sets has 2,500 pages, and a link for each would be most of the page's weight."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out
