"""Release content in SQL: summary, headline, key statistics, sections and their data blocks,
release notes, the pre-release access list and glossary terms of each release version.

Each item keeps its id across the versions of a release (an amendment copies them with
`copy`), so a link to a data block's chart stays good. Rights and states (only a draft
is edited) are the publishing services' (publishing/content.py), never checked here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from openstats.catalogue.schema import (
    content_sections,
    data_blocks,
    glossary_terms,
    key_statistics,
    release_content,
    release_notes,
)
from openstats.model.catalogue import TableSpec
from openstats.model.content import (
    ContentSection,
    DataBlock,
    GlossaryTerm,
    KeyStatistic,
    ReleaseContent,
    ReleaseNote,
)


# --- reading ---------------------------------------------------------------------------------
def _key_statistic(r: RowMapping) -> KeyStatistic:
    return KeyStatistic(r["id"], r["release_version_id"], r["position"], r["title"],
                        r["data_set_id"], r["indicator"], r["location"], r["time_period"],
                        dict(json.loads(r["filters"] or "{}")), r["trend"] or "",
                        r["guidance_title"] or "", r["guidance_text"] or "")


def _block(r: RowMapping) -> DataBlock:
    return DataBlock(r["id"], r["release_version_id"], r["section_id"], r["position"],
                     r["name"], r["data_set_id"], TableSpec.from_json(json.loads(r["spec"])),
                     r["chart"] or "none", r["chart_indicator"] or "")


def contents_of(conn: Connection, release_version_ids: Iterable[str]
                ) -> dict[str, ReleaseContent]:
    """The content of each release version (an empty one where nothing was written)."""
    ids = set(release_version_ids)
    if not ids:
        return {}
    words = {r["release_version_id"]: r for r in conn.execute(
        select(release_content).where(release_content.c.release_version_id.in_(ids))
    ).mappings()}
    stats: dict[str, list[KeyStatistic]] = {}
    for r in conn.execute(select(key_statistics).where(
            key_statistics.c.release_version_id.in_(ids))
            .order_by(key_statistics.c.position)).mappings():
        stats.setdefault(r["release_version_id"], []).append(_key_statistic(r))
    blocks: dict[tuple[str, str | None], list[DataBlock]] = {}
    for r in conn.execute(select(data_blocks).where(data_blocks.c.release_version_id.in_(ids))
                          .order_by(data_blocks.c.position)).mappings():
        blocks.setdefault((r["release_version_id"], r["section_id"]), []).append(_block(r))
    sections: dict[str, list[ContentSection]] = {}
    for r in conn.execute(select(content_sections).where(
            content_sections.c.release_version_id.in_(ids))
            .order_by(content_sections.c.position)).mappings():
        rv = r["release_version_id"]
        sections.setdefault(rv, []).append(ContentSection(
            r["id"], rv, r["position"], r["heading"], r["body"] or "",
            tuple(blocks.get((rv, r["id"]), ()))))
    notes: dict[str, list[ReleaseNote]] = {}
    for r in conn.execute(select(release_notes).where(
            release_notes.c.release_version_id.in_(ids))
            .order_by(release_notes.c.noted_on, release_notes.c.id)).mappings():
        notes.setdefault(r["release_version_id"], []).append(ReleaseNote(
            r["id"], r["release_version_id"], _date(r["noted_on"]), r["reason"]))
    terms: dict[str, list[GlossaryTerm]] = {}
    for r in conn.execute(select(glossary_terms).where(
            glossary_terms.c.release_version_id.in_(ids))
            .order_by(glossary_terms.c.slug)).mappings():
        terms.setdefault(r["release_version_id"], []).append(GlossaryTerm(
            r["release_version_id"], r["slug"], r["term"], r["definition"]))
    out = {}
    for rv in ids:
        w = words.get(rv)
        out[rv] = ReleaseContent(
            rv, summary=(w["summary"] or "") if w else "",
            headline=(w["headline"] or "") if w else "",
            pre_release_access_list=(w["pre_release_access_list"] or "") if w else "",
            key_statistics=tuple(stats.get(rv, ())),
            headline_blocks=tuple(blocks.get((rv, None), ())),
            sections=tuple(sections.get(rv, ())), notes=tuple(notes.get(rv, ())),
            glossary=tuple(terms.get(rv, ())))
    return out


def content_of(conn: Connection, release_version_id: str) -> ReleaseContent:
    return contents_of(conn, [release_version_id])[release_version_id]


def _date(value: object) -> date:
    # SQLite hands dates back as text on some drivers; both as a date here.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- writing ---------------------------------------------------------------------------------
def set_words(conn: Connection, release_version_id: str, *, summary: str | None = None,
              headline: str | None = None, pre_release_access_list: str | None = None) -> None:
    """The release version's summary, headline and pre-release access list (None: kept)."""
    row = conn.execute(select(release_content).where(
        release_content.c.release_version_id == release_version_id)).mappings().first()
    values = {"summary": row["summary"] if row else "",
              "headline": row["headline"] if row else "",
              "pre_release_access_list": row["pre_release_access_list"] if row else ""}
    for key, value in (("summary", summary), ("headline", headline),
                       ("pre_release_access_list", pre_release_access_list)):
        if value is not None:
            values[key] = value
    if row:
        conn.execute(update(release_content).where(
            release_content.c.release_version_id == release_version_id).values(**values))
    else:
        conn.execute(insert(release_content).values(release_version_id=release_version_id,
                                                    **values))


def put_key_statistic(conn: Connection, stat: KeyStatistic) -> None:
    """Write a key statistic (replacing the one with its id)."""
    delete_key_statistic(conn, stat.release_version_id, stat.id)
    conn.execute(insert(key_statistics).values(
        release_version_id=stat.release_version_id, id=stat.id, position=stat.position,
        title=stat.title, data_set_id=stat.data_set_id, indicator=stat.indicator,
        location=stat.location, time_period=stat.time_period,
        filters=json.dumps(stat.filters, sort_keys=True, ensure_ascii=False),
        trend=stat.trend, guidance_title=stat.guidance_title,
        guidance_text=stat.guidance_text))


def delete_key_statistic(conn: Connection, release_version_id: str, stat_id: str) -> None:
    conn.execute(delete(key_statistics).where(
        key_statistics.c.release_version_id == release_version_id,
        key_statistics.c.id == stat_id))


def put_section(conn: Connection, section: ContentSection) -> None:
    """Write a section's heading, body and place (its data blocks are written apart)."""
    conn.execute(delete(content_sections).where(
        content_sections.c.release_version_id == section.release_version_id,
        content_sections.c.id == section.id))
    conn.execute(insert(content_sections).values(
        release_version_id=section.release_version_id, id=section.id,
        position=section.position, heading=section.heading, body=section.body))


def delete_section(conn: Connection, release_version_id: str, section_id: str) -> None:
    """Remove a section and the data blocks in it."""
    conn.execute(delete(data_blocks).where(data_blocks.c.release_version_id == release_version_id,
                                           data_blocks.c.section_id == section_id))
    conn.execute(delete(content_sections).where(
        content_sections.c.release_version_id == release_version_id,
        content_sections.c.id == section_id))


def put_block(conn: Connection, block: DataBlock) -> None:
    delete_block(conn, block.release_version_id, block.id)
    conn.execute(insert(data_blocks).values(
        release_version_id=block.release_version_id, id=block.id,
        section_id=block.section_id, position=block.position, name=block.name,
        data_set_id=block.data_set_id,
        spec=json.dumps(block.spec.as_json(), sort_keys=True, ensure_ascii=False),
        chart=block.chart, chart_indicator=block.chart_indicator))


def delete_block(conn: Connection, release_version_id: str, block_id: str) -> None:
    conn.execute(delete(data_blocks).where(data_blocks.c.release_version_id == release_version_id,
                                           data_blocks.c.id == block_id))


def put_note(conn: Connection, note: ReleaseNote) -> None:
    delete_note(conn, note.release_version_id, note.id)
    conn.execute(insert(release_notes).values(
        release_version_id=note.release_version_id, id=note.id, noted_on=note.on,
        reason=note.reason))


def delete_note(conn: Connection, release_version_id: str, note_id: str) -> None:
    conn.execute(delete(release_notes).where(
        release_notes.c.release_version_id == release_version_id,
        release_notes.c.id == note_id))


def put_term(conn: Connection, term: GlossaryTerm) -> None:
    delete_term(conn, term.release_version_id, term.slug)
    conn.execute(insert(glossary_terms).values(
        release_version_id=term.release_version_id, slug=term.slug, term=term.term,
        definition=term.definition))


def delete_term(conn: Connection, release_version_id: str, slug: str) -> None:
    conn.execute(delete(glossary_terms).where(
        glossary_terms.c.release_version_id == release_version_id,
        glossary_terms.c.slug == slug))


def clear(conn: Connection, release_version_id: str) -> None:
    """Remove everything written for a release version (before writing it anew)."""
    for table in (data_blocks, content_sections, key_statistics, release_notes,
                  glossary_terms, release_content):
        conn.execute(delete(table).where(table.c.release_version_id == release_version_id))


def write(conn: Connection, content: ReleaseContent) -> None:
    """Make the release version's content exactly `content` (ids and order as given)."""
    rv = content.release_version_id
    clear(conn, rv)
    set_words(conn, rv, summary=content.summary, headline=content.headline,
              pre_release_access_list=content.pre_release_access_list)
    for stat in content.key_statistics:
        put_key_statistic(conn, stat)
    for block in content.headline_blocks:
        put_block(conn, block)
    for section in content.sections:
        put_section(conn, section)
        for block in section.blocks:
            put_block(conn, block)
    for note in content.notes:
        put_note(conn, note)
    for term in content.glossary:
        put_term(conn, term)


def copy(conn: Connection, from_version_id: str, to_version_id: str) -> None:
    """An amendment's content: a copy of the version it amends, ids kept."""
    write(conn, retarget(content_of(conn, from_version_id), to_version_id))


def retarget(content: ReleaseContent, release_version_id: str) -> ReleaseContent:
    """The same content, written for another release version."""
    rv = release_version_id
    return replace(
        content, release_version_id=rv,
        key_statistics=tuple(replace(s, release_version_id=rv) for s in content.key_statistics),
        headline_blocks=tuple(replace(b, release_version_id=rv)
                              for b in content.headline_blocks),
        sections=tuple(replace(s, release_version_id=rv, blocks=tuple(
            replace(b, release_version_id=rv) for b in s.blocks)) for s in content.sections),
        notes=tuple(replace(n, release_version_id=rv) for n in content.notes),
        glossary=tuple(replace(t, release_version_id=rv) for t in content.glossary))
