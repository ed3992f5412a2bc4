"""Release manifests (`openstats load RELEASE.toml`): a whole release from one file.

Every field is checked before anything is stored, and every data set is screened and
built before the catalogue changes, in one transaction: a bad manifest or a bad file
changes nothing. Loading the same manifest twice changes nothing; a data file whose
content changed becomes a new version of its data set.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from openstats.catalogue import footnotes
from openstats.catalogue.store import RELEASE_TYPES, now, slugify
from openstats.errors import ManifestError, ScreeningFailed
from openstats.ingest.service import (
    PreparedVersion,
    commit,
    latest_if_unchanged,
    prepare,
    screen_for_import,
)
from openstats.platform import Platform
from openstats.query.tables import match_spec
from openstats.standards import gzipped

LONDON = ZoneInfo("Europe/London")
# Data sets without an id get one derived from their publication and data file, so
# loading the same manifest again finds the same data set.
ID_NAMESPACE = uuid.UUID("6f1c1e3a-3c55-4a43-9a4e-2f7f0d3b8a11")
MAX_TITLE = 120

SECTIONS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    # section -> field -> (type, required)
    "theme": {"title": (str, True), "slug": (str, False), "summary": (str, False)},
    "publication": {"title": (str, True), "slug": (str, False), "summary": (str, False),
                    "contact": (dict, True)},
    "publication.contact": {"team_name": (str, True), "team_email": (str, True),
                            "contact_name": (str, False), "telephone": (str, False)},
    "release": {"title": (str, True), "slug": (str, False), "type": (str, True),
                "published": ((datetime, date), False), "next_update": (str, False),
                "data_guidance": (str, False)},
    "data_sets": {"id": (str, False), "title": (str, True), "summary": (str, False),
                  "data": (str, True), "meta": (str, True), "footnotes": (list, False),
                  "featured_tables": (list, False)},
    "featured_tables": {"name": (str, True), "description": (str, False),
                        "locations": (list, True), "time_periods": (list, True),
                        "filters": (dict, False), "indicators": (list, True)},
}


@dataclass
class ManifestDataSet:
    id: str
    title: str
    summary: str
    data: Path
    meta: Path
    footnotes: list[Any]
    featured: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Manifest:
    path: Path
    theme: dict[str, Any]
    publication: dict[str, Any]
    contact: dict[str, str]
    release: dict[str, Any]
    data_sets: list[ManifestDataSet] = field(default_factory=list)


def _check_fields(errors: list[str], where: str, table: Any, spec_key: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        errors.append(f"{where}: must be a table")
        return {}
    spec = SECTIONS[spec_key]
    for key in table:
        if key not in spec:
            errors.append(f"{where}.{key}: unknown field (allowed: {', '.join(spec)})")
    for key, (kind, required) in spec.items():
        if key not in table:
            if required:
                errors.append(f"{where}.{key}: required")
            continue
        value = table[key]
        if not isinstance(value, kind):
            errors.append(f"{where}.{key}: must be {_kind_name(kind)}")
        elif isinstance(value, str) and required and not value.strip():
            errors.append(f"{where}.{key}: must not be blank")
    return table


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", dict: "a table", list: "a list", datetime: "a date-time",
             date: "a date"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


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
        if key not in ("theme", "publication", "release", "data_sets"):
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
            if not file.is_file():
                errors.append(f"{where}.{key}: file not found: {value}")
            elif not plain(key, value).endswith(ending) or (
                    key == "data" and value.endswith(".meta.csv")):
                errors.append(f"{where}.{key}: '{value}' must end in {ending}"
                              + (" (or .csv.gz)" if key == "data" else ""))
            files[key] = file
        footnotes = entry.get("footnotes", [])
        if isinstance(footnotes, list):
            for k, note in enumerate(footnotes):
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
                featured.append({"name": checked.get("name", ""),
                                 "description": checked.get("description", ""),
                                 "spec": {k: checked[k] for k in (
                                     "locations", "time_periods", "filters", "indicators")
                                     if k in checked}})
        if "data" in files and "meta" in files and isinstance(title, str):
            data_sets.append(ManifestDataSet(
                id=str(data_set_id), title=title, summary=str(entry.get("summary", "")),
                data=files["data"], meta=files["meta"],
                footnotes=list(footnotes) if isinstance(footnotes, list) else [],
                featured=featured))
    if errors:
        raise ManifestError(errors)
    return Manifest(path, theme, publication, dict(contact), release, data_sets)


@dataclass
class LoadResult:
    release_id: str
    versions: dict[str, str]  # data set title -> version now latest
    created: list[str]  # titles of data sets that got a new version


def plain(key: str, value: str) -> str:
    """A data file may be gzip-compressed: `x.csv.gz` is checked as `x.csv`."""
    return gzipped.plain_name(value) if key == "data" else value


def load_manifest(platform: Platform, path: Path) -> LoadResult:
    """Load a release manifest: all of it, or (on any error) none of it.

    Loads of any manifest take turns across every process sharing the catalogue, so
    replicas that each load the demo at start build it once: the later ones find it
    unchanged instead of failing on a version number the first one has just taken.
    """
    m = read_manifest(path)
    with platform.catalogue.exclusive("load-manifest"):
        return _load(platform, m)


def _load(platform: Platform, m: Manifest) -> LoadResult:
    catalogue, storage = platform.catalogue, platform.storage
    unchanged: dict[str, str] = {}
    screenings = []
    prepared: list[PreparedVersion] = []
    try:
        failures: list[str] = []
        for i, ds in enumerate(m.data_sets):
            latest = latest_if_unchanged(catalogue, ds.id, ds.data, ds.meta)
            if latest is not None:
                unchanged[ds.title] = f"{latest['version_major']}.{latest['version_minor']}"
                continue
            s = screen_for_import(platform.settings, storage, ds.data, ds.meta)
            screenings.append(s)
            if not s.report.ok:
                first = s.report.errors[0]
                failures.append(f"data_sets[{i}].data: {len(s.report.errors)} blocking "
                                f"findings, first {first.location()}: {first.message}")
                continue
        if failures:
            raise ScreeningFailed("; ".join(failures), [s.report for s in screenings])
        with catalogue.engine.connect() as conn:
            release_id = _find_release_id(platform, conn, m)
        by_data = {s.data_path: s for s in screenings}
        metadata: dict[str, dict[str, Any]] = {}
        for ds in m.data_sets:
            if ds.title in unchanged:
                with catalogue.engine.connect() as conn:
                    latest = catalogue.latest_version(conn, ds.id)
                assert latest is not None
                metadata[ds.id] = catalogue.version_metadata(latest["id"])
                continue
            prepared.append(prepare(catalogue, storage, by_data[ds.data], data_set_id=ds.id,
                                    release_id=release_id))
            metadata[ds.id] = prepared[-1].metadata
        problems = [f"data_sets[{i}].featured_tables[{j}].{p}"
                    for i, ds in enumerate(m.data_sets) for j, t in enumerate(ds.featured)
                    for p in match_spec(metadata[ds.id], t["spec"])[1]]
        problems += [f"data_sets[{i}].footnotes[{k}]: {why}"
                     for i, ds in enumerate(m.data_sets)
                     for k, note in enumerate(footnotes.parse(ds.footnotes))
                     if (why := footnotes.problem(note, metadata[ds.id]))]
        if problems:
            for p in prepared:
                storage.discard(p.staged)
            raise ManifestError(problems)

        def write(conn: Connection) -> None:
            _write_catalogue(platform, conn, m, release_id)

        commit(catalogue, storage, prepared, write, published=_versions_public_at(
            platform, release_id, m))
    finally:
        for s in screenings:
            s.close()
    versions = dict(unchanged)
    for p, ds in zip(prepared, [d for d in m.data_sets if d.title not in unchanged],
                     strict=True):
        versions[ds.title] = p.version
    return LoadResult(release_id, versions, [d.title for d in m.data_sets
                                             if d.title not in unchanged])


def _versions_public_at(platform: Platform, release_id: str, m: Manifest) -> datetime:
    """New versions go public with their release; in an already public release, now."""
    from sqlalchemy import select

    from openstats.catalogue.schema import releases
    from openstats.catalogue.store import as_utc

    with platform.catalogue.engine.connect() as conn:
        existing = conn.execute(select(releases.c.published)
                                .where(releases.c.id == release_id)).scalar_one_or_none()
    release_time = m.release.get("published") or as_utc(existing) or now()
    return max(release_time, now()) if as_utc(existing) and as_utc(existing) <= now() \
        else release_time


def _find_release_id(platform: Platform, conn: Connection, m: Manifest) -> str:
    """The id the release has, or will have once written (so versions can name it)."""
    from sqlalchemy import select

    from openstats.catalogue.schema import publications, releases

    pub_slug = m.publication.get("slug") or slugify(m.publication["title"])
    rel_slug = m.release.get("slug") or slugify(m.release["title"])
    row = conn.execute(
        select(releases.c.id).join(publications, publications.c.id == releases.c.publication_id)
        .where(publications.c.slug == pub_slug, releases.c.slug == rel_slug)).first()
    return str(row.id) if row else str(uuid.uuid4())


def _write_catalogue(platform: Platform, conn: Connection, m: Manifest, release_id: str) -> None:
    from sqlalchemy import select

    from openstats.catalogue.schema import releases

    c = platform.catalogue
    theme_id = c.upsert_theme(conn, m.theme["title"], m.theme.get("slug"),
                              m.theme.get("summary", ""))
    publication_id = c.upsert_publication(
        conn, theme_id, m.publication["title"], slug=m.publication.get("slug"),
        summary=m.publication.get("summary", ""), contact=m.contact)
    existing = conn.execute(select(releases).where(releases.c.id == release_id)).mappings().first()
    published = m.release.get("published")
    if published is None:
        # Omitted means "publish now" the first time; later loads keep that moment.
        published = existing["published"] if existing and existing["published"] else now()
    c.upsert_release(conn, publication_id, m.release["title"],
                     slug=existing["slug"] if existing else m.release.get("slug"),
                     release_type=m.release["type"], published=published,
                     next_update=m.release.get("next_update", ""),
                     data_guidance=m.release.get("data_guidance", ""), release_id=release_id)
    for position, ds in enumerate(m.data_sets):
        c.upsert_data_set(conn, ds.id, publication_id=publication_id, title=ds.title,
                          summary=ds.summary, footnotes=ds.footnotes, position=position)
        c.replace_featured(conn, ds.id, ds.featured)
