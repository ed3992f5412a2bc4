"""The release-content keys of a release manifest: read, checked against the data, written.

Keys (spec/release-manifest.md, "Featured tables and release content"; README.md lists
them all): in `[release]` `summary`, `headline`, `pre_release_access_list`,
`[[release.key_statistics]]`, `[release.headline_block]`, `[[release.sections]]` with
`[[release.sections.data_blocks]]`, `[[release.notes]]`; at the top `[[methodologies]]`
(with `[[methodologies.sections]]`) and `[[glossary]]`; and `publication.superseded_by`.

Reading (`read`) checks shapes and that each `data_set` names a data set of the manifest;
`reference_problems` checks, once the data's metadata is known, every indicator,
location, period and option each tile and block names, with messages that name the
field and the value (`release.key_statistics[0].indicator: no indicator 'referals' in data
set E1`). Items get ids derived from the release and their names, so loading the same
manifest again finds them unchanged and links to a block's chart keep working.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Connection

from openstats.catalogue import content, methodologies, releases
from openstats.catalogue.publications import slugify
from openstats.model.catalogue import ReleaseState, ReleaseVersion, TableSpec
from openstats.model.content import (
    CHART_TYPES,
    ContentSection,
    DataBlock,
    GlossaryTerm,
    KeyStatistic,
    MethodologySection,
    MethodologyVersion,
    ReleaseContent,
    ReleaseNote,
)
from openstats.model.metadata import VersionMeta
from openstats.publishing.manifest_fields import FieldSpec, check_fields, tables_of
from openstats.query.tables import match_spec

ID_NAMESPACE = uuid.UUID("0b6f5f0e-4f8e-4b8e-9c39-3a1c5d2f7e21")

RELEASE_FIELDS: FieldSpec = {
    "summary": (str, False), "headline": (str, False), "pre_release_access_list": (str, False),
    "key_statistics": (list, False), "headline_block": (dict, False),
    "sections": (list, False), "notes": (list, False),
}
KEY_STATISTIC: FieldSpec = {
    "title": (str, True), "data_set": (str, True), "indicator": (str, True),
    "location": (str, True), "time_period": (str, True), "filters": (dict, False),
    "trend": (str, False), "guidance_title": (str, False), "guidance_text": (str, False),
}
SECTION: FieldSpec = {"heading": (str, True), "body": (str, False), "data_blocks": (list, False)}
DATA_BLOCK: FieldSpec = {
    "name": (str, True), "data_set": (str, True), "locations": (list, True),
    "time_periods": (list, True), "indicators": (list, True), "filters": (dict, False),
    "chart": (str, False), "chart_indicator": (str, False),
}
NOTE: FieldSpec = {"on": ((date, datetime), True), "reason": (str, True)}
METHODOLOGY: FieldSpec = {"title": (str, True), "slug": (str, False), "summary": (str, False),
                          "sections": (list, False)}
METHODOLOGY_SECTION: FieldSpec = {"heading": (str, True), "body": (str, False)}
GLOSSARY: FieldSpec = {"term": (str, True), "definition": (str, True), "slug": (str, False)}


@dataclass(frozen=True)
class ManifestMethodology:
    slug: str
    title: str
    summary: str
    sections: tuple[MethodologySection, ...]


@dataclass
class ManifestContent:
    """The release content a manifest says, written for release version "" (`for_version`
    gives it its release version), and the methodologies of its publication."""

    content: ReleaseContent = field(default_factory=lambda: ReleaseContent(""))
    where: dict[str, str] = field(default_factory=dict)  # item id -> field path
    methodologies: list[ManifestMethodology] = field(default_factory=list)
    superseded_by: str = ""  # a publication slug

    def for_version(self, release_version_id: str) -> ReleaseContent:
        return content.retarget(self.content, release_version_id)


def _id(scope: str, kind: str, name: str, seen: dict[str, int]) -> str:
    """A stable id for the n-th item of this kind and name in this release."""
    key = f"{kind}/{name}"
    seen[key] = seen.get(key, 0) + 1
    return str(uuid.uuid5(ID_NAMESPACE, f"{scope}/{key}/{seen[key]}"))


def _data_set(errors: list[str], where: str, value: Any, data_sets: dict[str, str]) -> str:
    """The id of the manifest data set that `value` (an id or a title) names, or ""."""
    if not isinstance(value, str):
        return ""
    by_title = {title.lower(): ds_id for ds_id, title in data_sets.items()}
    found = value.lower() if value.lower() in data_sets else by_title.get(value.lower(), "")
    if not found:
        errors.append(f"{where}.data_set: no data set '{value}' in this manifest (give the "
                      "id or the title of one of its [[data_sets]])")
    return found


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _filters(errors: list[str], where: str, value: Any, single: bool) -> dict[str, Any]:
    """Filter column -> option label (tiles) or labels (blocks)."""
    out: dict[str, Any] = {}
    for column, labels in (value or {}).items():
        if single:
            if isinstance(labels, list) and len(labels) == 1:
                labels = labels[0]
            if not isinstance(labels, str):
                errors.append(f"{where}.filters.{column}: give one option label")
                continue
            out[column] = labels
        else:
            labels = [labels] if isinstance(labels, str) else labels
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                errors.append(f"{where}.filters.{column}: give a list of option labels")
                continue
            out[column] = tuple(labels)
    return out


def _block(errors: list[str], where: str, raw: Any, scope: str, seen: dict[str, int],
           data_sets: dict[str, str], section_id: str | None, position: int,
           places: dict[str, str]) -> DataBlock | None:
    entry = check_fields(errors, where, raw, DATA_BLOCK)
    if not entry:
        return None
    chart = str(entry.get("chart", "none"))
    if chart not in CHART_TYPES:
        errors.append(f"{where}.chart: '{chart}' is not one of: {' | '.join(CHART_TYPES)}")
    data_set_id = _data_set(errors, where, entry.get("data_set"), data_sets)
    name = str(entry.get("name", ""))
    spec = TableSpec(locations=_texts(entry.get("locations")),
                     time_periods=_texts(entry.get("time_periods")),
                     indicators=_texts(entry.get("indicators")),
                     filters=_filters(errors, where, entry.get("filters"), single=False))
    block = DataBlock(_id(scope, "block", name, seen), "", section_id, position, name,
                      data_set_id, spec, chart, str(entry.get("chart_indicator", "")))
    places[block.id] = where
    return block


def read(errors: list[str], doc: dict[str, Any], release: dict[str, Any], scope: str,
         data_sets: dict[str, str]) -> ManifestContent:
    """The content keys of a parsed manifest. `scope` names the release
    ("publication/release"), `data_sets` maps the manifest's data set ids to titles."""
    seen: dict[str, int] = {}
    places: dict[str, str] = {}
    stats = []
    for i, raw in enumerate(tables_of(errors, "release.key_statistics",
                                      release.get("key_statistics"))):
        where = f"release.key_statistics[{i}]"
        entry = check_fields(errors, where, raw, KEY_STATISTIC)
        if not entry:
            continue
        title = str(entry.get("title", ""))
        stat = KeyStatistic(
            _id(scope, "key_statistic", title, seen), "", i, title,
            _data_set(errors, where, entry.get("data_set"), data_sets),
            str(entry.get("indicator", "")), str(entry.get("location", "")),
            str(entry.get("time_period", "")),
            _filters(errors, where, entry.get("filters"), single=True),
            str(entry.get("trend", "")), str(entry.get("guidance_title", "")),
            str(entry.get("guidance_text", "")))
        places[stat.id] = where
        stats.append(stat)
    headline_blocks = []
    if "headline_block" in release:
        found = _block(errors, "release.headline_block", release["headline_block"], scope,
                       seen, data_sets, None, 0, places)
        headline_blocks = [found] if found else []
    sections = []
    for i, raw in enumerate(tables_of(errors, "release.sections", release.get("sections"))):
        where = f"release.sections[{i}]"
        entry = check_fields(errors, where, raw, SECTION)
        if not entry:
            continue
        heading = str(entry.get("heading", ""))
        section_id = _id(scope, "section", heading, seen)
        blocks = [b for j, raw_block in enumerate(tables_of(
            errors, f"{where}.data_blocks", entry.get("data_blocks")))
            if (b := _block(errors, f"{where}.data_blocks[{j}]", raw_block, scope, seen,
                            data_sets, section_id, j, places)) is not None]
        sections.append(ContentSection(section_id, "", i, heading, str(entry.get("body", "")),
                                       tuple(blocks)))
    notes = []
    for i, raw in enumerate(tables_of(errors, "release.notes", release.get("notes"))):
        entry = check_fields(errors, f"release.notes[{i}]", raw, NOTE)
        on = entry.get("on")
        if isinstance(on, (date, datetime)) and isinstance(entry.get("reason"), str):
            day = on.date() if isinstance(on, datetime) else on
            notes.append(ReleaseNote(_id(scope, "note", f"{day}/{entry['reason']}", seen), "",
                                     day, entry["reason"]))
    terms: dict[str, GlossaryTerm] = {}
    for i, raw in enumerate(tables_of(errors, "glossary", doc.get("glossary"))):
        where = f"glossary[{i}]"
        entry = check_fields(errors, where, raw, GLOSSARY)
        if not isinstance(entry.get("term"), str):
            continue
        slug = str(entry.get("slug") or slugify(entry["term"]))
        if slug != slugify(slug) or not slug:
            errors.append(f"{where}.slug: '{slug}' must be lower case letters, digits and "
                          "hyphens")
        elif slug in terms:
            errors.append(f"{where}.term: '{entry['term']}' is already in the glossary")
        terms[slug] = GlossaryTerm("", slug, entry["term"], str(entry.get("definition", "")))
    methods = []
    for i, raw in enumerate(tables_of(errors, "methodologies", doc.get("methodologies"))):
        where = f"methodologies[{i}]"
        entry = check_fields(errors, where, raw, METHODOLOGY)
        if not isinstance(entry.get("title"), str):
            continue
        slug = str(entry.get("slug") or slugify(entry["title"]))
        if slug != slugify(slug) or not slug:
            errors.append(f"{where}.slug: '{slug}' must be lower case letters, digits and "
                          f"hyphens (e.g. '{slugify(slug)}')")
        parts = []
        for j, raw_section in enumerate(tables_of(errors, f"{where}.sections",
                                                  entry.get("sections"))):
            section = check_fields(errors, f"{where}.sections[{j}]", raw_section,
                                   METHODOLOGY_SECTION)
            if isinstance(section.get("heading"), str):
                parts.append(MethodologySection(section["heading"], str(section.get("body", ""))))
        methods.append(ManifestMethodology(slug, entry["title"], str(entry.get("summary", "")),
                                           tuple(parts)))
    return ManifestContent(
        ReleaseContent("", summary=str(release.get("summary", "")),
                       headline=str(release.get("headline", "")),
                       pre_release_access_list=str(release.get("pre_release_access_list", "")),
                       key_statistics=tuple(stats), headline_blocks=tuple(headline_blocks),
                       sections=tuple(sections), notes=tuple(notes),
                       glossary=tuple(sorted(terms.values(), key=lambda t: t.slug))),
        places, methods)


# --- references, once the data is known ----------------------------------------------------
def data_set_name(title: str) -> str:
    """How messages name a data set: its code ('E1' of 'E1. Re-referrals ...'), else its
    title in quotes."""
    code = re.match(r"^([A-Za-z]{0,3}\d+[A-Za-z]?)\.\s", title)
    return code.group(1) if code else f"'{title}'"


TILE_FIELDS = {"locations[0]": "location", "time_periods[0]": "time_period",
               "time_periods[1]": "time_period", "indicators[0]": "indicator"}


def reference_problems(m: ManifestContent, metadata: dict[str, VersionMeta],
                       titles: dict[str, str]) -> list[str]:
    """Everything a tile or block names that its data set does not have."""
    problems: list[str] = []
    for stat in m.content.key_statistics:
        meta = metadata.get(stat.data_set_id)
        if meta is None:
            continue
        where, name = m.where[stat.id], data_set_name(titles[stat.data_set_id])
        for p in match_spec(meta.to_json(), stat.spec().as_json())[1]:
            path, _, message = p.partition(": ")
            line = f"{where}.{TILE_FIELDS.get(path, path)}: {message} in data set {name}"
            if line not in problems:
                problems.append(line)
        for f in meta.filters:
            if f.column not in stat.filters and not f.default and len(f.options) > 1:
                problems.append(f"{where}.filters.{f.column}: give one option: the filter "
                                f"'{f.label}' has no default in data set {name}")
    for block in m.content.blocks:
        meta = metadata.get(block.data_set_id)
        if meta is None:
            continue
        where, name = m.where[block.id], data_set_name(titles[block.data_set_id])
        matched, found = match_spec(meta.to_json(), block.spec.as_json())
        problems += [f"{where}.{p} in data set {name}" for p in found]
        if block.chart == "map":
            levels = {loc["level"] for loc in matched["locations"]}
            if len(levels) != 1 or levels - {"LA", "REG"}:
                problems.append(f"{where}.chart: a map needs the locations of one level, "
                                "local authorities (LA) or regions (REG); these are "
                                f"{', '.join(sorted(levels)) or 'none'}")
        if block.chart_indicator and block.chart_indicator not in block.spec.indicators:
            problems.append(f"{where}.chart_indicator: '{block.chart_indicator}' is not one "
                            "of the block's indicators")
    return problems


# --- writing ---------------------------------------------------------------------------
def says_the_same(conn: Connection, rv: ReleaseVersion, m: ManifestContent) -> bool:
    return content.retarget(content.content_of(conn, rv.id), "") == m.content


def write_methodologies(conn: Connection, publication_id: str, rv: ReleaseVersion | None,
                        m: ManifestContent, at: datetime) -> tuple[bool, list[str]]:
    """Write the manifest's methodologies, published with `rv` (the release version this
    load writes) or, when the release is unchanged, at once. (changed, problems)."""
    changed = False
    problems = []
    for i, item in enumerate(m.methodologies):
        found = methodologies.find(conn, item.slug)
        if found is None:
            made = methodologies.create(conn, publication_id, item.slug, item.title,
                                        item.summary, item.sections)
            _approve(conn, made, rv, at)
            changed = True
            continue
        latest = methodologies.latest_version(conn, found)
        assert latest is not None
        if latest.publication_id != publication_id:
            problems.append(f"methodologies[{i}].slug: '{item.slug}' is another "
                            "publication's methodology")
            continue
        same = (latest.title, latest.summary, latest.sections) == (
            item.title, item.summary, item.sections)
        if same and latest.state is not ReleaseState.DRAFT:
            continue
        target = latest if not _public(conn, latest, at) else methodologies.amend(conn, latest)
        notes = "Updated from the release manifest." if target.is_amendment else ""
        methodologies.set_words(conn, target, title=item.title, summary=item.summary,
                                sections=item.sections, notes=notes)
        _approve(conn, target, rv, at)
        changed = True
    return changed, problems


def _approve(conn: Connection, mv: MethodologyVersion, rv: ReleaseVersion | None,
             at: datetime) -> None:
    methodologies.approve(conn, mv, with_release_version_id=rv.id if rv else None, when=at,
                          approved_by=None)


def _public(conn: Connection, mv: MethodologyVersion, at: datetime) -> bool:
    """Whether readers may see this methodology version at `at`."""
    if mv.state is ReleaseState.DRAFT:
        return False
    if mv.with_release_version_id is None:
        return mv.scheduled is not None and mv.scheduled <= at
    with_rv = releases.release_version(conn, mv.with_release_version_id)
    return with_rv is not None and with_rv.public_at(at)
