"""What readers may see: the one place that decides visibility, for pages, downloads and
the API alike.

A release version is public from its scheduled moment once approved; what a release
shows is its latest public version; a data-set version is public once a public release
version holds it, with the words of the latest public release version holding it. The
publication's words come from its latest public release version too. So nothing a
publisher writes for a scheduled release shows a second early, and versions already
published keep their words.

Every process keeps a `Snapshot` of the release versions that are or will become public
(drafts are never in it) and rereads it when the catalogue's generation number moves
(catalogue/db.py `bump_generation`), which costs one one-row query per request. Visibility
is then decided from the snapshot at the moment asked (`View`). Between two scheduled
moments every reader sees the same thing, so views are cached by (generation, how many
moments have passed).

Release content (headline, key statistics, sections, notes, glossary terms) belongs to
its release version and is visible exactly when that is. A methodology version is
visible when the release version it is published with is visible to the reader, or from
its own moment when published "immediately". The glossary is the terms of every visible
release's shown version (a term two releases define: the words published last).

While the database is away, readers get the last snapshot this process read, or, in a
process that started during the outage, the one kept on local disk
(catalogue/snapshot_file.py, written whenever a new generation is read). Visibility is
still decided by the clock, so a release whose moment comes during the outage appears at
that moment, and nothing appears before its time. What was changed in the database
after the last snapshot was read (an unscheduled release, say) cannot be seen until the
database answers again.

The objects a View hands out are in model/public.py; the snapshot each process keeps,
and its views, in catalogue/snapshot_cache.py.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from openstats.catalogue import (
    content,
    data_sets,
    methodologies,
    publications,
    releases,
)
from openstats.model.catalogue import (
    DataSetVersion,
    FeaturedTable,
    ReleaseDataSet,
    ReleaseState,
    ReleaseVersion,
    Theme,
)
from openstats.model.content import GlossaryTerm, MethodologyVersion, ReleaseContent
from openstats.model.public import (
    PublicDataSet,
    PublicMethodology,
    PublicPublication,
    PublicRelease,
    Update,
)

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue

log = logging.getLogger("openstats.catalogue")


@dataclass(frozen=True)
class Snapshot:
    """The release versions that are or will become public, and what they hold."""

    generation: int
    release_versions: tuple[ReleaseVersion, ...]
    entries: dict[str, tuple[ReleaseDataSet, ...]]  # by release version id
    versions: dict[str, DataSetVersion]
    featured: dict[str, tuple[FeaturedTable, ...]]  # by release version id
    themes: dict[str, Theme]
    moments: tuple[datetime, ...] = field(default=())  # every scheduled moment, in order
    content: dict[str, ReleaseContent] = field(default_factory=dict)  # by release version
    methodologies: tuple[MethodologyVersion, ...] = ()  # approved versions
    successors: dict[str, str] = field(default_factory=dict)  # publication -> its successor

    @classmethod
    def load(cls, catalogue: Catalogue, generation: int,
             drafts_of: frozenset[str] = frozenset()) -> Snapshot:
        with catalogue.connect() as conn:
            rvs = releases.non_draft_versions(conn) + releases.draft_versions(conn, drafts_of)
            ids = {rv.id for rv in rvs}
            entries = releases.entries_of(conn, ids)
            versions = data_sets.versions_by_id(
                conn, {e.version_id for items in entries.values() for e in items})
            featured: dict[str, list[FeaturedTable]] = {}
            for table in releases.featured_tables(conn, frozenset(ids)):
                featured.setdefault(table.release_version_id, []).append(table)
            themes = {t.id: t for t in publications.all_themes(conn)}
            words = content.contents_of(conn, ids)
            methods = methodologies.non_draft_versions(conn)
            successors = methodologies.successors(conn)
        moments = {rv.scheduled for rv in rvs if rv.scheduled is not None}
        moments |= {mv.scheduled for mv in methods if mv.scheduled is not None}
        return cls(generation, tuple(rvs), {k: tuple(v) for k, v in entries.items()},
                   versions, {k: tuple(v) for k, v in featured.items()}, themes,
                   tuple(sorted(moments)), words, tuple(methods), successors)

    def epoch(self, at: datetime) -> int:
        """How many scheduled moments have come by `at`: equal epochs, equal views."""
        return bisect.bisect_right(self.moments, at)


class ContentView:
    """What a `View` says of release content, methodologies, the glossary and superseded
    publications (mixed into View; kept apart to keep each part readable)."""

    snapshot: Snapshot
    at: datetime
    current: dict[str, PublicRelease]
    visible_versions: dict[str, list[ReleaseVersion]]
    methodologies: dict[str, PublicMethodology]

    def content(self, release: PublicRelease) -> ReleaseContent:
        """The content of the release version shown."""
        rv = release.version.id
        return self.snapshot.content.get(rv) or ReleaseContent(rv)

    def updates(self, release: PublicRelease) -> list[Update]:
        """The release's "Updates": its notes and the note of each amendment up to the
        version shown, dated when each was published; newest first."""
        out = [Update(n.on, n.reason) for n in self.content(release).notes]
        for rv in self.visible_versions.get(release.id, []):
            if rv.is_amendment and rv.notes.strip() and rv.number <= release.version.number:
                out.append(Update((rv.scheduled or self.at).date(), rv.notes.strip()))
        return sorted(out, key=lambda u: u.on, reverse=True)

    def methodology(self, slug: str) -> PublicMethodology | None:
        return self.methodologies.get(slug)

    def methodologies_of(self, publication_id: str) -> list[PublicMethodology]:
        return sorted((m for m in self.methodologies.values()
                       if m.version.publication_id == publication_id),
                      key=lambda m: m.title.lower())

    def glossary(self) -> list[GlossaryTerm]:
        """Every visible term, A to Z; a term defined by two releases has the words of
        the one published last."""
        chosen: dict[str, tuple[datetime, GlossaryTerm]] = {}
        for release in self.current.values():
            moment = release.version.scheduled or self.at
            for term in self.content(release).glossary:
                if term.slug not in chosen or chosen[term.slug][0] <= moment:
                    chosen[term.slug] = (moment, term)
        return sorted((t for _, t in chosen.values()), key=lambda t: t.term.lower())

    def successor_id(self, publication_id: str) -> str | None:
        """The publication said to supersede this one (View.successor: if public)."""
        return self.snapshot.successors.get(publication_id)


class View(ContentView):
    """The published catalogue as one reader sees it at one moment."""

    def __init__(self, snapshot: Snapshot, at: datetime,
                 preview_releases: frozenset[str] = frozenset(),
                 drafts_of: frozenset[str] = frozenset()) -> None:
        self.snapshot = snapshot
        self.at = at
        visible: dict[str, list[ReleaseVersion]] = {}
        for rv in snapshot.release_versions:
            if self._visible(rv, preview_releases, drafts_of):
                visible.setdefault(rv.release_id, []).append(rv)
        self.visible_ids = frozenset(rv.id for rvs in visible.values() for rv in rvs)
        self.visible_versions = visible  # by release id (sorted by number below)
        # Each release shows its latest visible version.
        self.current: dict[str, PublicRelease] = {}
        chosen: list[tuple[ReleaseVersion, PublicRelease]] = []
        for release_id, rvs in visible.items():
            rvs.sort(key=lambda rv: rv.number)
            firsts = [rv.scheduled for rv in rvs if rv.scheduled is not None]
            for rv in rvs:
                release = PublicRelease(
                    rv, snapshot.themes[rv.theme_id], min(firsts) if firsts else at,
                    preview=not rv.public_at(at))
                chosen.append((rv, release))
            self.current[release_id] = chosen[-1][1]
        self.by_publication: dict[str, list[PublicRelease]] = {}
        for release in self.current.values():
            self.by_publication.setdefault(release.publication_slug, []).append(release)
        for in_publication in self.by_publication.values():
            in_publication.sort(key=lambda r: (r.first_published, r.version.created),
                                reverse=True)
        # Each data-set version: words from the latest visible release version holding
        # it (previews last, so a preview shows what it will publish).
        order = sorted(chosen, key=lambda pair: (pair[1].preview, pair[0].scheduled or at,
                                                 pair[0].number))
        words: dict[str, tuple[ReleaseDataSet, PublicRelease]] = {}
        first_seen: dict[str, tuple[datetime, str]] = {}
        for rv, release in order:
            for item in snapshot.entries.get(rv.id, ()):
                words[item.version_id] = (item, release)
                moment = rv.scheduled or at
                if item.version_id not in first_seen or moment < first_seen[item.version_id][0]:
                    first_seen[item.version_id] = (moment, rv.notes if rv.is_amendment else "")
        self.data_sets: dict[str, list[PublicDataSet]] = {}
        for version_id, (item, release) in words.items():
            version = snapshot.versions[version_id]
            published, notes = first_seen[version_id]
            self.data_sets.setdefault(version.data_set_id, []).append(PublicDataSet(
                version, item, release, published, notes, release.preview))
        for held in self.data_sets.values():
            held.sort(key=lambda d: d.version.number, reverse=True)
        self.methodologies = self._methodologies()

    def _methodologies(self) -> dict[str, PublicMethodology]:
        """Each methodology's latest version visible here, by slug."""
        by_id = {rv.id: rv for rv in self.snapshot.release_versions}
        shown: dict[str, list[tuple[MethodologyVersion, datetime, bool]]] = {}
        for mv in self.snapshot.methodologies:
            if mv.with_release_version_id is not None:
                rv = by_id.get(mv.with_release_version_id)
                if rv is None or rv.id not in self.visible_ids:
                    continue
                moment, preview = rv.scheduled or self.at, not rv.public_at(self.at)
            elif mv.scheduled is not None and mv.scheduled <= self.at:
                moment, preview = mv.scheduled, False
            else:
                continue
            shown.setdefault(mv.slug, []).append((mv, moment, preview))
        out = {}
        for slug, items in shown.items():
            items.sort(key=lambda item: item[0].number)
            latest, moment, preview = items[-1]
            out[slug] = PublicMethodology(latest, min(m for _, m, _ in items),
                                          moment if latest.is_amendment else None, preview)
        return out

    @property
    def moment(self) -> tuple[int, int]:
        """(generation, epoch): every view with the same moment shows the same."""
        return self.snapshot.generation, self.snapshot.epoch(self.at)

    def _visible(self, rv: ReleaseVersion, preview_releases: frozenset[str],
                 drafts_of: frozenset[str]) -> bool:
        if rv.public_at(self.at):
            return True
        if rv.release_id in preview_releases and rv.state is not ReleaseState.DRAFT:
            return True  # pre-release access: the scheduled version, before its time
        return rv.release_id in drafts_of and rv.state is ReleaseState.DRAFT

    # --- releases and publications ---------------------------------------------------------
    def release(self, publication_slug: str, release_slug: str) -> PublicRelease | None:
        return next((r for r in self.by_publication.get(publication_slug, [])
                     if r.slug == release_slug), None)

    def releases_of(self, publication_slug: str) -> list[PublicRelease]:
        """A publication's visible releases, newest first."""
        return list(self.by_publication.get(publication_slug, []))

    def release_data_sets(self, release: PublicRelease) -> list[PublicDataSet]:
        """The data sets the release's shown version holds, in the release's order."""
        out = []
        for item in self.snapshot.entries.get(release.version.id, ()):
            versions = self.data_sets.get(item.data_set_id, [])
            match = next((d for d in versions if d.version_id == item.version_id), None)
            if match is not None:
                # The release's own words for it (they are the newest for this version).
                out.append(PublicDataSet(match.version, item, release, match.published,
                                         match.notes, release.preview))
        return out

    def held_by_earlier_versions(self, release: PublicRelease) -> set[str]:
        """Data-set version ids held by the visible versions of this release before the
        one shown (what an amendment replaced)."""
        return {e.version_id for rv in self.visible_versions.get(release.id, [])
                if rv.number < release.version.number
                for e in self.snapshot.entries.get(rv.id, ())}

    def publication(self, slug: str) -> PublicPublication | None:
        items = self.by_publication.get(slug)
        if not items:
            return None
        # The publication's words as its most recently published release version says.
        newest = max(items, key=lambda r: (r.version.scheduled or self.at, r.version.number))
        rv = newest.version
        return PublicPublication(rv.publication_id, slug, rv.publication_title,
                                 rv.publication_summary, rv.contact, newest.theme, tuple(items))

    def publications(self) -> list[PublicPublication]:
        out = [self.publication(slug) for slug in self.by_publication]
        return sorted((p for p in out if p is not None), key=lambda p: p.title)

    def publication_by_id(self, publication_id: str) -> PublicPublication | None:
        slug = next((r.publication_slug for r in self.current.values()
                     if r.version.publication_id == publication_id), None)
        return self.publication(slug) if slug else None

    def successor(self, publication_id: str) -> PublicPublication | None:
        """The publication that supersedes this one, once it has a visible release."""
        found = self.successor_id(publication_id)
        return self.publication_by_id(found) if found else None

    def themes(self) -> list[tuple[Theme, list[PublicPublication]]]:
        """Themes with their publications, alphabetically."""
        grouped: dict[str, list[PublicPublication]] = {}
        themes: dict[str, Theme] = {}
        for p in self.publications():
            grouped.setdefault(p.theme.id, []).append(p)
            themes[p.theme.id] = p.theme
        return [(themes[t], grouped[t]) for t in sorted(themes, key=lambda t: themes[t].title)]

    # --- data sets --------------------------------------------------------------------------
    def versions_of(self, data_set_id: str) -> list[PublicDataSet]:
        """Every visible version of a data set, newest first."""
        return list(self.data_sets.get(data_set_id, []))

    def latest(self, data_set_id: str) -> PublicDataSet | None:
        items = self.data_sets.get(data_set_id)
        return items[0] if items else None

    def latest_data_sets(self) -> list[PublicDataSet]:
        return [items[0] for items in self.data_sets.values()]

    def data_sets_of_publication(self, publication_id: str) -> list[PublicDataSet]:
        return [d for d in self.latest_data_sets()
                if d.release.version.publication_id == publication_id]

    def featured_tables(self, item: PublicDataSet) -> list[FeaturedTable]:
        """The featured tables of a data set, as the release version of its words has them."""
        return [t for t in self.snapshot.featured.get(item.release.version.id, ())
                if t.data_set_id == item.data_set_id]

    def featured_table(self, table_id: str) -> tuple[FeaturedTable, PublicDataSet] | None:
        """A featured table of a visible release version, with its data set's latest
        visible version (featured tables open at the latest version). Tables of earlier
        release versions stay reachable, so links already shared keep working."""
        for rv_id in self.visible_ids:
            for table in self.snapshot.featured.get(rv_id, ()):
                if table.id == table_id:
                    latest = self.latest(table.data_set_id)
                    return (table, latest) if latest is not None else None
        return None


