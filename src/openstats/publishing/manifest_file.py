"""Reading a release manifest (RELEASE.toml): every field checked, every problem listed by
field (ManifestError), into a `Manifest`; loading it is publishing/manifest.py's."""


from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openstats.catalogue.publications import slugify
from openstats.catalogue.releases import ReleaseWords
from openstats.errors import ManifestError
from openstats.model import footnotes
from openstats.model.catalogue import (
    RELEASE_TYPES,
    Contact,
    TableSpec,
)
from openstats.model.footnotes import Footnote
from openstats.publishing import manifest_content
from openstats.publishing.manifest_fields import check_fields
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
