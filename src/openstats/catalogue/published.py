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

Over 400 lines on purpose: the one rule of what readers see stays in one module.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from openstats.catalogue import (
    content,
    data_sets,
    methodologies,
    publications,
    releases,
    snapshot_file,
)
from openstats.catalogue.values import now
from openstats.errors import CatalogueUnavailable
from openstats.model.catalogue import (
    Contact,
    DataSetVersion,
    FeaturedTable,
    ReleaseDataSet,
    ReleaseState,
    ReleaseVersion,
    Theme,
)
from openstats.model.content import GlossaryTerm, MethodologyVersion, ReleaseContent
from openstats.model.footnotes import Footnote

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue

log = logging.getLogger("openstats.catalogue")


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


class SnapshotCache:
    """This process's snapshot and the views made from it (see the module docstring)."""

    VIEWS = 16  # recent views kept: one per (generation, epoch, preview) in use
    BATCH = 200  # versions' records read from the database per query when keeping them
    FORGET_AFTER = 3600.0  # seconds: records younger than this may be another process's

    def __init__(self, catalogue: Catalogue, published_dir: Path | None = None) -> None:
        self.catalogue = catalogue
        self.published_dir = published_dir
        self._snapshot: Snapshot | None = None
        self._views: OrderedDict[tuple[int, int, frozenset[str]], View] = OrderedDict()
        self._lock = threading.Lock()
        self._keeping = threading.Lock()
        self._keeper: threading.Thread | None = None
        self._kept_generation: int | None = None
        self._serving_kept = False  # said once per outage in the log, not per request

    def snapshot(self) -> Snapshot:
        """The snapshot for the catalogue's generation now; reread when it has moved.
        While the database is away: the last one read, or the one kept on disk."""
        try:
            generation = self.catalogue.generation()
        except Exception as e:  # noqa: BLE001 - whatever failed, the last snapshot stands
            return self._last_published(e)
        current = self._snapshot
        if current is None or current.generation != generation:
            try:
                with self._lock:
                    if self._snapshot is None or self._snapshot.generation != generation:
                        self._snapshot = Snapshot.load(self.catalogue, generation)
                        self._views.clear()
                    current = self._snapshot
            except CatalogueUnavailable as e:  # went away between the two reads
                return self._last_published(e)
        if self._serving_kept:
            self._serving_kept = False
            log.info("catalogue reachable again; reading what is published from it")
        if self._kept_generation != current.generation:
            self._keep_later(current)
        return current

    def _last_published(self, error: Exception) -> Snapshot:
        fallback = self._snapshot
        if fallback is None and self.published_dir is not None:
            kept = snapshot_file.load(self.published_dir, Snapshot)
            with self._lock:
                if self._snapshot is None and kept is not None:
                    self._snapshot = kept
                    self._views.clear()
                fallback = self._snapshot
        if fallback is None:
            if isinstance(error, CatalogueUnavailable):
                raise error
            raise CatalogueUnavailable("the catalogue database cannot be read, and no "
                                       "published snapshot is kept") from error
        if not self._serving_kept:
            self._serving_kept = True
            # The database is away: what was last published stays readable (visibility
            # is still decided by the clock, so nothing shows before its time).
            log.warning("catalogue unreachable (%s); serving the snapshot of generation %d",
                        error, fallback.generation)
        return fallback

    def _keep_later(self, snapshot: Snapshot) -> None:
        """Keep the snapshot from a thread of its own: at 50,000 data sets writing it
        takes seconds, and the request that read it first must not wait for that."""
        if self.published_dir is None:
            return
        with self._lock:
            if self._keeper is not None and self._keeper.is_alive():
                return  # busy with an older one: the next read starts this one
            self._keeper = threading.Thread(target=self._keep, args=(snapshot,),
                                            name="keep-snapshot", daemon=True)
            self._keeper.start()

    def wait_kept(self, timeout: float | None = None) -> None:
        """Until the snapshot being kept is on disk (closing the catalogue waits for it)."""
        keeper = self._keeper
        if keeper is not None:
            keeper.join(timeout)

    def _keep(self, snapshot: Snapshot) -> None:
        """Write the snapshot (and its versions' records) to disk, for outages to come.
        Failing to is logged, never raised: readers are served either way."""
        folder = self.published_dir
        if folder is None or not self._keeping.acquire(blocking=False):
            return  # nowhere to keep it, or another thread is keeping it right now
        try:
            missing = sorted(set(snapshot.versions) - snapshot_file.kept_versions(folder))
            for start in range(0, len(missing), self.BATCH):
                with self.catalogue.connect() as conn:
                    records = data_sets.stored_records(conn, missing[start:start + self.BATCH])
                for version_id, record in records.items():
                    snapshot_file.save_version(folder, version_id, record)
            if snapshot_file.save(folder, Snapshot, snapshot, snapshot.generation):
                snapshot_file.forget_versions(folder, set(snapshot.versions),
                                              older_than=time.time() - self.FORGET_AFTER)
            self._kept_generation = snapshot.generation
        except Exception:  # noqa: BLE001 - a full disk must not stop the site serving
            log.warning("the published snapshot could not be kept on disk in %s", folder,
                        exc_info=True)
        finally:
            self._keeping.release()

    def view(self, at: datetime | None = None,
             preview_releases: frozenset[str] = frozenset()) -> View:
        """What a reader sees at `at` (now), with early sight of `preview_releases`."""
        at = at or now()
        snapshot = self.snapshot()
        key = (snapshot.generation, snapshot.epoch(at), preview_releases)
        with self._lock:
            cached = self._views.get(key)
            if cached is not None:
                self._views.move_to_end(key)
                return cached
        made = View(snapshot, at, preview_releases)
        with self._lock:
            self._views[key] = made
            while len(self._views) > self.VIEWS:
                self._views.popitem(last=False)
        return made

    def draft_view(self, release_ids: frozenset[str]) -> View:
        """A publisher's preview: these releases' drafts (or scheduled versions) shown as if
        published now. Read fresh, never cached: drafts change with every edit."""
        snapshot = Snapshot.load(self.catalogue, -1, drafts_of=release_ids)
        return View(snapshot, now(), preview_releases=release_ids, drafts_of=release_ids)
