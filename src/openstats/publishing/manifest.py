"""Release manifests (`openstats load RELEASE.toml`): a whole release from one file.

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
import tomllib
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from openstats.catalogue import content, listing, methodologies, publications, releases
from openstats.catalogue import data_sets as data_set_rows
from openstats.catalogue.db import bump_generation
from openstats.catalogue.publications import slugify
from openstats.catalogue.releases import ReleaseWords
from openstats.catalogue.values import now
from openstats.errors import ManifestError, ScreeningFailed
from openstats.ingest.service import (
    PreparedVersion,
    RecordedVersion,
    commit,
    prepare,
    screen_for_import,
    unchanged_version,
)
from openstats.model import footnotes
from openstats.model.catalogue import (
    RELEASE_TYPES,
    Contact,
    Publication,
    ReleaseDataSet,
    ReleaseVersion,
    TableSpec,
)
from openstats.model.footnotes import Footnote
from openstats.model.metadata import VersionMeta
from openstats.platform import Platform
from openstats.publishing import manifest_content
from openstats.publishing.manifest_fields import check_fields
from openstats.query.tables import match_spec
from openstats.standards import gzipped
from openstats.storage import space

LONDON = ZoneInfo("Europe/London")
# Data sets without an id get one derived from their publication and data file, so
# loading the same manifest again finds the same data set.
ID_NAMESPACE = uuid.UUID("6f1c1e3a-3c55-4a43-9a4e-2f7f0d3b8a11")
MAX_TITLE = 120

SECTIONS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    # section -> field -> (type, required)
    "theme": {"title": (str, True), "slug": (str, False), "summary": (str, False)},
    "publication": {"title": (str, True), "slug": (str, False), "summary": (str, False),
                    "contact": (dict, True), "superseded_by": (str, False)},
    "publication.contact": {"team_name": (str, True), "team_email": (str, True),
                            "contact_name": (str, False), "telephone": (str, False)},
    "release": {"title": (str, True), "slug": (str, False), "type": (str, True),
                "published": ((datetime, date), False), "next_update": (str, False),
                "data_guidance": (str, False), **manifest_content.RELEASE_FIELDS},
    "data_sets": {"id": (str, False), "title": (str, True), "summary": (str, False),
                  "data": (str, True), "meta": (str, True), "footnotes": (list, False),
                  "featured_tables": (list, False)},
    "featured_tables": {"name": (str, True), "description": (str, False),
                        "locations": (list, True), "time_periods": (list, True),
                        "filters": (dict, False), "indicators": (list, True)},
}


@dataclass(frozen=True)
class FeaturedEntry:
    name: str
    description: str
    spec: TableSpec


@dataclass
class ManifestDataSet:
    id: str
    title: str
    summary: str
    data: Path
    meta: Path
    footnotes: tuple[Footnote, ...]
    featured: list[FeaturedEntry] = field(default_factory=list)


@dataclass
class Manifest:
    path: Path
    theme_title: str
    theme_slug: str | None
    theme_summary: str
    publication_title: str
    publication_slug: str
    publication_summary: str
    contact: Contact
    release_slug: str
    words: ReleaseWords
    published: datetime | None  # the release's moment (UTC); None: publish now
    data_sets: list[ManifestDataSet] = field(default_factory=list)
    # headline, key statistics, sections, notes, glossary, methodologies, successor
    content: manifest_content.ManifestContent = field(
        default_factory=manifest_content.ManifestContent)


def _check_fields(errors: list[str], where: str, table: Any, spec_key: str) -> dict[str, Any]:
    return check_fields(errors, where, table, SECTIONS[spec_key])


def read_manifest(path: Path) -> Manifest:
    """Parse and check a manifest; ManifestError lists every problem, by field."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError([f"{path}: file not found"])
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ManifestError([f"{path}: not valid TOML: {e}"]) from None
    errors: list[str] = []
    for key in doc:
        if key not in ("theme", "publication", "release", "data_sets", "methodologies",
                       "glossary"):
            errors.append(f"{key}: unknown section")
    theme = _check_fields(errors, "theme", doc.get("theme"), "theme")
    publication = _check_fields(errors, "publication", doc.get("publication"), "publication")
    contact = _check_fields(errors, "publication.contact", publication.get("contact", {}),
                            "publication.contact") if isinstance(
        publication.get("contact", {}), dict) else {}
    release = _check_fields(errors, "release", doc.get("release"), "release")
    if isinstance(release.get("type"), str) and release["type"] not in RELEASE_TYPES:
        errors.append(f"release.type: '{release['type']}' is not one of: "
                      f"{', '.join(RELEASE_TYPES)}")
    published = release.get("published")
    if isinstance(published, datetime):
        # A time without a zone is read as UK time, as publishers write it.
        release["published"] = (published.replace(tzinfo=LONDON) if published.tzinfo is None
                                else published).astimezone(UTC)
    elif isinstance(published, date):
        release["published"] = datetime(published.year, published.month, published.day,
                                        9, 30, tzinfo=LONDON).astimezone(UTC)
    for section, key in (("publication", "slug"), ("release", "slug"), ("theme", "slug")):
        slug = {"publication": publication, "release": release, "theme": theme}[section].get(key)
        if isinstance(slug, str) and slug != slugify(slug):
            errors.append(f"{section}.{key}: '{slug}' must be lower case letters, digits and "
                          f"hyphens (e.g. '{slugify(slug)}')")
    raw_sets = doc.get("data_sets", [])
    if not isinstance(raw_sets, list) or not raw_sets:
        errors.append("data_sets: at least one [[data_sets]] entry is needed")
        raw_sets = []
    data_sets: list[ManifestDataSet] = []
    titles: dict[str, int] = {}
    ids: dict[str, int] = {}
    pub_slug = publication.get("slug") or slugify(str(publication.get("title", "")))
    for i, raw in enumerate(raw_sets):
        where = f"data_sets[{i}]"
        entry = _check_fields(errors, where, raw, "data_sets")
        title = entry.get("title")
        if isinstance(title, str):
            if len(title) > MAX_TITLE:
                errors.append(f"{where}.title: {len(title)} characters; at most {MAX_TITLE}")
            if title.lower() in titles:
                errors.append(f"{where}.title: same title as data_sets[{titles[title.lower()]}]")
            titles.setdefault(title.lower(), i)
        files: dict[str, Path] = {}
        for key, ending in (("data", ".csv"), ("meta", ".meta.csv")):
            value = entry.get(key)
            if not isinstance(value, str):
                continue
            file = (path.parent / value).resolve()
            # A data file may be gzip-compressed: `x.csv.gz` is checked as `x.csv`.
            plain = gzipped.plain_name(value) if key == "data" else value
            if not file.is_file():
                errors.append(f"{where}.{key}: file not found: {value}")
            elif not plain.endswith(ending) or (key == "data" and value.endswith(".meta.csv")):
                errors.append(f"{where}.{key}: '{value}' must end in {ending}"
                              + (" (or .csv.gz)" if key == "data" else ""))
            files[key] = file
        notes = entry.get("footnotes", [])
        if isinstance(notes, list):
            for k, note in enumerate(notes):
                if isinstance(note, str):
                    continue
                if not isinstance(note, dict) or not isinstance(note.get("text"), str) or (
                        set(note) - {"text", "filter", "option", "indicator"}):
                    errors.append(f"{where}.footnotes[{k}]: must be text, or a table with "
                                  "text and a filter (and option) or an indicator")
        data_set_id = entry.get("id")
        if isinstance(data_set_id, str):
            try:
                data_set_id = str(uuid.UUID(data_set_id))
            except ValueError:
                errors.append(f"{where}.id: '{data_set_id}' is not a UUID")
        elif "data" in files:
            data_set_id = str(uuid.uuid5(ID_NAMESPACE, f"{pub_slug}/{files['data'].name}"))
        if isinstance(data_set_id, str):
            if data_set_id in ids:
                errors.append(f"{where}.id: same id as data_sets[{ids[data_set_id]}]")
            ids.setdefault(data_set_id, i)
        featured = []
        for j, table in enumerate(entry.get("featured_tables", []) or []):
            checked = _check_fields(errors, f"{where}.featured_tables[{j}]", table,
                                    "featured_tables")
            if checked:
                featured.append(FeaturedEntry(
                    str(checked.get("name", "")), str(checked.get("description", "")),
                    TableSpec.from_json({k: checked[k] for k in (
                        "locations", "time_periods", "filters", "indicators")
                        if k in checked})))
        if "data" in files and "meta" in files and isinstance(title, str):
            data_sets.append(ManifestDataSet(
                id=str(data_set_id), title=title, summary=str(entry.get("summary", "")),
                data=files["data"], meta=files["meta"],
                footnotes=footnotes.parse(notes) if isinstance(notes, list) else (),
                featured=featured))
    release_slug = str(release.get("slug") or slugify(str(release.get("title", ""))))
    content = manifest_content.read(errors, doc, release, f"{pub_slug}/{release_slug}",
                                    {ds.id: ds.title for ds in data_sets})
    successor = publication.get("superseded_by")
    if isinstance(successor, str):
        if successor == pub_slug:
            errors.append("publication.superseded_by: a publication cannot supersede itself")
        content.superseded_by = successor
    if errors:
        raise ManifestError(errors)
    return Manifest(
        path, theme_title=str(theme["title"]), theme_slug=theme.get("slug"),
        theme_summary=str(theme.get("summary", "")),
        publication_title=str(publication["title"]), publication_slug=pub_slug,
        publication_summary=str(publication.get("summary", "")),
        contact=Contact(str(contact["team_name"]), str(contact["team_email"]),
                        str(contact.get("contact_name", "")), str(contact.get("telephone", ""))),
        release_slug=release_slug,
        words=ReleaseWords(str(release["title"]), str(release["type"]),
                           str(release.get("next_update", "")),
                           str(release.get("data_guidance", ""))),
        published=release.get("published"), data_sets=data_sets, content=content)


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
