"""What the public sees, shaped for pages: latest data sets, publications, releases.

Everything here is derived from `Catalogue.public_versions`, the one place that decides
visibility, so pages, downloads and the API can never disagree about what is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openstats.catalogue.store import Catalogue


@dataclass
class Published:
    """A snapshot of every public version (newest first per data set)."""

    rows: list[dict[str, Any]]

    @classmethod
    def read(cls, catalogue: Catalogue, preview_releases: frozenset[str] = frozenset(),
             include_drafts: bool = False) -> Published:
        return cls(catalogue.public_versions(preview_releases=preview_releases,
                                             include_drafts=include_drafts))

    def latest(self) -> list[dict[str, Any]]:
        """The newest public version of each data set."""
        seen: dict[str, dict[str, Any]] = {}
        for r in self.rows:
            seen.setdefault(r["data_set_id"], r)
        return list(seen.values())

    def versions_of(self, data_set_id: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["data_set_id"] == data_set_id]

    def releases(self, publication_slug: str) -> list[dict[str, Any]]:
        """Public releases of a publication, newest first: one row each (its first data set)."""
        by_release: dict[str, dict[str, Any]] = {}
        for r in self.rows:
            if r["publication_slug"] == publication_slug:
                by_release.setdefault(r["release_slug"], r)
        return sorted(by_release.values(), key=lambda r: r["published"], reverse=True)

    def release_data_sets(self, publication_slug: str, release_slug: str) -> list[dict[str, Any]]:
        """The versions that belong to one release, in the release's data-set order."""
        rows = [r for r in self.rows if r["publication_slug"] == publication_slug
                and r["release_slug"] == release_slug]
        newest: dict[str, dict[str, Any]] = {}
        for r in rows:
            newest.setdefault(r["data_set_id"], r)
        return sorted(newest.values(), key=lambda r: (r["position"], r["title"]))

    def themes(self) -> list[dict[str, Any]]:
        """Themes with their publications, alphabetically."""
        themes: dict[str, dict[str, Any]] = {}
        for r in self.latest():
            theme = themes.setdefault(r["theme_slug"], {"title": r["theme_title"],
                                                         "slug": r["theme_slug"],
                                                         "publications": {}})
            theme["publications"][r["publication_slug"]] = {
                "title": r["publication_title"], "slug": r["publication_slug"],
                "summary": r["publication_summary"]}
        out = sorted(themes.values(), key=lambda t: t["title"])
        for t in out:
            t["publications"] = sorted(t["publications"].values(), key=lambda p: p["title"])
        return out
