"""Release manifests (`openstats load RELEASE.toml`): a whole release from one file.
The file is read and checked by publishing/manifest_file.py; this module loads it.

Every field is checked before anything is stored, and every data set is screened and
built before the catalogue changes, in one transaction: a bad manifest or a bad file
changes nothing. Loading the same manifest twice changes nothing; a data file whose
content changed becomes a new version of its data set.

A manifest writes one release version, approved for the manifest's `published` moment
(now, if it gives none), exactly as an approver would in the publishing side: a new
release gets its first version; a release not yet public has its version rewritten; a
public release whose manifest says something new gets an amendment, public at once (or at
`published`, if that is still to come). What is already public keeps its words until the
new version's moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Connection

from openstats.catalogue import content, listing, methodologies, publications, releases
from openstats.catalogue import data_sets as data_set_rows
from openstats.catalogue.db import bump_generation
from openstats.catalogue.releases import ReleaseWords
from openstats.catalogue.values import now
from openstats.errors import ManifestError, ScreeningFailed
from openstats.ingest.screened import screen_for_import
from openstats.ingest.service import (
    PreparedVersion,
    RecordedVersion,
    commit,
    prepare,
    unchanged_version,
)
from openstats.model.catalogue import (
    Publication,
    ReleaseDataSet,
    ReleaseVersion,
    TableSpec,
)
from openstats.model.metadata import VersionMeta
from openstats.platform import Platform
from openstats.publishing import manifest_content
from openstats.publishing.manifest_file import Manifest, read_manifest
from openstats.query.tables import match_spec
from openstats.storage import space


@dataclass
class LoadResult:
    release_id: str
    versions: dict[str, str]  # data set title -> version now held by the release
    created: list[str]  # titles of data sets that got a new version
    release_version: int | None  # the release version written, None when nothing changed


def load_manifest(platform: Platform, path: Path) -> LoadResult:
    """Load a release manifest: all of it, or (on any error) none of it.

    Loads of any manifest take turns across every process sharing the catalogue, so
    replicas that each load the demo at start build it once: the later ones find it
    unchanged instead of failing on a version number the first one has just taken.
    """
    m = read_manifest(path)
    # The files to build are known only once the unchanged ones are set aside: a full
    # disk is reported (naming the room all of them need) if one is met on the way.
    needed = space.needed_for(*(f for ds in m.data_sets for f in (ds.data, ds.meta)))
    with platform.catalogue.exclusive("load-manifest"), \
            space.reported(platform.storage.staging, needed, f"loading {path.name}"):
        return _load(platform, m)


def _load(platform: Platform, m: Manifest) -> LoadResult:
    catalogue, storage = platform.catalogue, platform.storage
    with catalogue.connect() as conn:
        release_id = releases.find_release(conn, m.publication_slug, m.release_slug)
        current = releases.latest_version(conn, release_id) if release_id else None
        held = {e.data_set_id: e for e in releases.entries(conn, current.id)} if current else {}
    at = now()
    # A version held only by a release version nobody sees yet may be rebuilt in place.
    rewriting = current is not None and not current.public_at(at)
    unchanged: dict[str, str] = {}  # data set id -> version id
    screenings = []
    prepared: list[PreparedVersion] = []
    try:
        failures: list[str] = []
        for i, ds in enumerate(m.data_sets):
            same = unchanged_version(catalogue, ds.id, ds.data, ds.meta)
            if same is not None:
                unchanged[ds.id] = same.id
                continue
            space.check_room(storage.staging, space.needed_for(ds.data, ds.meta),
                             f"importing {ds.data.name}")
            s = screen_for_import(platform.settings, storage, ds.data, ds.meta)
            screenings.append((ds, s))
            if not s.report.ok:
                first = s.report.errors[0]
                failures.append(f"data_sets[{i}].data: {len(s.report.errors)} blocking "
                                f"findings, first {first.location()}: {first.message}")
        if failures:
            raise ScreeningFailed("; ".join(failures), [s.report for _, s in screenings])
        metadata: dict[str, VersionMeta] = {}
        for ds in m.data_sets:
            if ds.id in unchanged:
                metadata[ds.id] = catalogue.metadata.get(unchanged[ds.id])
        for ds, s in screenings:
            entry = held.get(ds.id)
            replaces = entry.version_id if rewriting and entry is not None and _only_here(
                platform, entry.version_id, current) else None
            prepared.append(prepare(catalogue, storage, s, data_set_id=ds.id,
                                    publication_id=None, title=ds.title,
                                    replaces=replaces))
            metadata[ds.id] = prepared[-1].metadata
        problems = _reference_problems(m, metadata)
        if problems:
            for p in prepared:
                storage.discard(p.staged)
            raise ManifestError(problems)
        written: list[ReleaseVersion] = []

        def write(conn: Connection, recorded: list[RecordedVersion]) -> None:
            versions = dict(unchanged) | {r.version.data_set_id: r.version.id for r in recorded}
            rv = _write_release(conn, m, versions, at)
            if rv is not None:
                written.append(rv)

        recorded = commit(catalogue, storage, prepared, write)
    except BaseException:
        for p in prepared:  # built before a later one failed (a full disk, say)
            storage.discard(p.staged)
        raise
    finally:
        for _, s in screenings:
            s.close()
    with catalogue.connect() as conn:
        release_id = releases.find_release(conn, m.publication_slug, m.release_slug)
        assert release_id is not None
        latest = releases.latest_version(conn, release_id)
        assert latest is not None
        numbers = {e.data_set_id: data_set_rows.version(conn, e.version_id)
                   for e in releases.entries(conn, latest.id)}
    return LoadResult(
        release_id,
        {ds.title: v.version for ds in m.data_sets if (v := numbers.get(ds.id)) is not None},
        [ds.title for ds in m.data_sets if ds.id in {r.version.data_set_id for r in recorded}],
        written[0].number if written else None)


def _only_here(platform: Platform, version_id: str, rv: ReleaseVersion | None) -> bool:
    """Whether a data-set version is held by no release version but `rv` (so a new file
    for it replaces it rather than making the next version)."""
    with platform.catalogue.connect() as conn:
        return {e.release_version_id for e in releases.holding(conn, version_id)} == (
            {rv.id} if rv else set())


def _reference_problems(m: Manifest, metadata: dict[str, VersionMeta]) -> list[str]:
    """Featured tables and footnotes that name things the data does not have."""
    problems = [f"data_sets[{i}].featured_tables[{j}].{p}"
                for i, ds in enumerate(m.data_sets) for j, t in enumerate(ds.featured)
                for p in match_spec(metadata[ds.id].to_json(), t.spec.as_json())[1]]
    problems += [f"data_sets[{i}].footnotes[{k}]: {why}"
                 for i, ds in enumerate(m.data_sets)
                 for k, note in enumerate(ds.footnotes)
                 if (why := note.problem(metadata[ds.id]))]
    problems += manifest_content.reference_problems(
        m.content, metadata, {ds.id: ds.title for ds in m.data_sets})
    return problems


def _write_release(conn: Connection, m: Manifest, versions: dict[str, str],
                   at: datetime) -> ReleaseVersion | None:
    """Write the manifest's release version; None when the release already says all this.

    `versions`: the data-set version each data set of the manifest is to hold.
    """
    theme_id = publications.upsert_theme(conn, m.theme_title, m.theme_slug, m.theme_summary)
    publication_id = publications.upsert_publication(
        conn, theme_id, m.publication_title, slug=m.publication_slug,
        summary=m.publication_summary, contact=m.contact)
    publication = publications.publication(conn, publication_id)
    assert publication is not None
    wanted = [ReleaseDataSet("", ds.id, versions[ds.id], ds.title, ds.summary, ds.footnotes,
                             position) for position, ds in enumerate(m.data_sets)]
    for ds in m.data_sets:
        data_set_rows.ensure_data_set(conn, ds.id, publication_id=publication_id,
                                      title=ds.title)
        data_set_rows.adopt(conn, ds.id, publication_id)
    release_id = releases.find_release(conn, m.publication_slug, m.release_slug)
    current = releases.latest_version(conn, release_id) if release_id else None
    if current is None:
        rv = releases.create_release(conn, publication, m.words, slug=m.release_slug)
        when = m.published or at
    elif not current.public_at(at):
        rv = current  # nobody sees it yet: written again in place
        when = m.published or current.scheduled or at
    else:
        first = releases.versions_of_release(conn, current.release_id)[0]
        if m.published is not None and first.scheduled != m.published:
            raise ManifestError([
                f"release.published: this release was published on "
                f"{first.scheduled:%Y-%m-%d %H:%M} UTC, and a published release keeps its "
                "date; remove `published` or set it back (changes are published as an "
                "amendment, now)"])
        if _says_the_same(conn, current, publication, m, wanted):
            if _write_beside(conn, m, publication, None, at):
                bump_generation(conn)  # a methodology or successor changed, at once
            return None
        rv = releases.new_version(conn, current)
        when = at
    releases.set_words(conn, rv, m.words if not rv.is_amendment else ReleaseWords(
        m.words.title, m.words.release_type, m.words.next_update, m.words.data_guidance,
        "Updated from the release manifest."))
    releases.set_publication_words(conn, rv, publication)
    dropped = [item.data_set_id for item in releases.entries(conn, rv.id)
               if item.data_set_id not in versions]
    for data_set_id in dropped:
        releases.remove_entry(conn, rv.id, data_set_id)
    for item, ds in zip(wanted, m.data_sets, strict=True):
        releases.put_entry(conn, replace(item, release_version_id=rv.id))
        releases.replace_featured(conn, rv.id, ds.id,
                                  [(t.name, t.description, t.spec) for t in ds.featured])
    content.write(conn, m.content.for_version(rv.id))
    releases.schedule(conn, rv, when, approved_by=None)
    _write_beside(conn, m, publication, rv, at)
    bump_generation(conn, rv.release_id)
    listing.refresh(conn, dropped)  # no longer in this release: shown as before, or not
    return rv


def _write_beside(conn: Connection, m: Manifest, publication: Publication,
                  rv: ReleaseVersion | None, at: datetime) -> bool:
    """The manifest's methodologies (published with `rv`, or at once when the release is
    unchanged) and the publication's successor; whether anything changed."""
    changed, problems = manifest_content.write_methodologies(conn, publication.id, rv,
                                                             m.content, at)
    successor_slug = m.content.superseded_by
    successor = publications.publication_by_slug(conn, successor_slug) if successor_slug else None
    if successor_slug and successor is None:
        problems.append(f"publication.superseded_by: no publication '{successor_slug}'")
    wanted = successor.id if successor else None
    if methodologies.successors(conn).get(publication.id) != wanted:
        methodologies.set_successor(conn, publication.id, wanted)
        changed = True
    if problems:
        raise ManifestError(problems)
    return changed


def _says_the_same(conn: Connection, rv: ReleaseVersion, publication: Publication,
                   m: Manifest, wanted: list[ReleaseDataSet]) -> bool:
    """Whether the public version already holds exactly what the manifest says."""
    if releases.words_of(rv) != ReleaseWords(m.words.title, m.words.release_type,
                                             m.words.next_update, m.words.data_guidance,
                                             rv.notes):
        return False
    if (rv.publication_title, rv.publication_summary, rv.contact, rv.theme_id) != (
            publication.title, publication.summary, publication.contact, publication.theme_id):
        return False
    held = sorted((replace(e, release_version_id="") for e in releases.entries(conn, rv.id)),
                  key=lambda e: e.data_set_id)
    if held != sorted(wanted, key=lambda e: e.data_set_id):
        return False
    have = sorted((t.data_set_id, t.position, t.name, t.description, _spec_text(t.spec))
                  for t in releases.featured_tables(conn, frozenset({rv.id})))
    want = sorted((ds.id, j, t.name, t.description, _spec_text(t.spec))
                  for ds in m.data_sets for j, t in enumerate(ds.featured))
    return have == want and manifest_content.says_the_same(conn, rv, m.content)


def _spec_text(spec: TableSpec) -> str:
    return json.dumps(spec.as_json(), sort_keys=True)
