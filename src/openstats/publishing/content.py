"""Writing a release's content in the publishing side: summary, headline, key statistics,
sections and their data blocks, release notes, pre-release access list, glossary terms.

Every service edits the release's draft only (`workflow.draft_of`, which checks the
person's right to edit it), checks what it is given (a key statistic or block must name
things its data set has: the manifest's own check, `manifest_content.reference_problems`)
and writes the change and its audit entry in one transaction. A draft is seen by nobody
but its publishers, so no edit here changes what is public; approval does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TypeVar

from sqlalchemy.engine import Connection

from openstats.catalogue import audit, content, releases
from openstats.catalogue.db import Catalogue
from openstats.catalogue.publications import slugify
from openstats.catalogue.values import new_id
from openstats.model.catalogue import ReleaseVersion
from openstats.model.content import (
    CHART_TYPES,
    ContentSection,
    DataBlock,
    GlossaryTerm,
    KeyStatistic,
    ReleaseContent,
    ReleaseNote,
)
from openstats.model.users import User
from openstats.publishing.manifest_content import ManifestContent, reference_problems
from openstats.publishing.workflow import Missing, Refused, draft_of, release_for


def content_of(catalogue: Catalogue, user: User, release_id: str
               ) -> tuple[ReleaseVersion, ReleaseContent]:
    """The latest version of a release and its content, for someone who may see it."""
    info = release_for(catalogue, user, release_id)
    with catalogue.connect() as conn:
        return info.latest, content.content_of(conn, info.latest.id)


def _edit(catalogue: Catalogue, user: User, release_id: str, action: str, detail: str,
          change: Callable[[Connection, ReleaseVersion, ReleaseContent], None]) -> None:
    with catalogue.transaction() as conn:
        draft = draft_of(conn, user, release_id, "edit_release")
        change(conn, draft, content.content_of(conn, draft.id))
        audit.record(conn, user, action, "release", release_id, detail[:200])


def edit_words(catalogue: Catalogue, user: User, release_id: str, *, summary: str | None = None,
               headline: str | None = None, pre_release_access_list: str | None = None
               ) -> None:
    """The summary, headline text and pre-release access list (None: unchanged)."""
    _edit(catalogue, user, release_id, "edit_content", "summary and headline",
          lambda conn, draft, _: content.set_words(
              conn, draft.id, summary=summary, headline=headline,
              pre_release_access_list=pre_release_access_list))


def _check(conn: Connection, catalogue: Catalogue, draft: ReleaseVersion,
           said: ReleaseContent, where: dict[str, str]) -> None:
    """Refuse a tile or block naming a data set, or things, the draft does not hold."""
    held = {e.data_set_id: e for e in releases.entries(conn, draft.id)}
    named = [s.data_set_id for s in said.key_statistics] + [b.data_set_id for b in said.blocks]
    for data_set_id in named:
        if data_set_id not in held:
            raise Refused("Choose one of this release's data sets.",
                          title="Choose a data set")
    problems = reference_problems(
        ManifestContent(said, where),
        {d: catalogue.metadata.get(e.version_id) for d, e in held.items()},
        {d: e.title for d, e in held.items()})
    if problems:
        raise Refused(" ".join(f"{p}." for p in problems), title="Check what it names")


def _next_position(items: tuple[KeyStatistic, ...] | tuple[ContentSection, ...]
                   | tuple[DataBlock, ...]) -> int:
    return max((i.position for i in items), default=-1) + 1


# --- key statistics ---------------------------------------------------------------------
def save_key_statistic(catalogue: Catalogue, user: User, release_id: str,
                       stat: KeyStatistic) -> str:
    """Add (id "") or change a key statistic; its id."""
    if not stat.title.strip():
        raise Refused("Give the key statistic a title.", title="Enter a title")
    stat_id = stat.id or new_id()

    def change(conn: Connection, draft: ReleaseVersion, said: ReleaseContent) -> None:
        old = next((s for s in said.key_statistics if s.id == stat_id), None)
        if stat.id and old is None:
            raise Missing("key statistic")
        made = replace(stat, id=stat_id, release_version_id=draft.id,
                       position=old.position if old else _next_position(said.key_statistics))
        _check(conn, catalogue, draft, ReleaseContent(draft.id, key_statistics=(made,)),
               {stat_id: "key statistic"})
        content.put_key_statistic(conn, made)

    _edit(catalogue, user, release_id, "edit_key_statistic", stat.title, change)
    return stat_id


def remove_key_statistic(catalogue: Catalogue, user: User, release_id: str,
                         stat_id: str) -> None:
    _edit(catalogue, user, release_id, "remove_key_statistic", stat_id,
          lambda conn, draft, _: content.delete_key_statistic(conn, draft.id, stat_id))


def move_key_statistic(catalogue: Catalogue, user: User, release_id: str, stat_id: str,
                       step: int) -> None:
    def change(conn: Connection, draft: ReleaseVersion, said: ReleaseContent) -> None:
        for item in _moved(list(said.key_statistics), stat_id, step):
            content.put_key_statistic(conn, item)

    _edit(catalogue, user, release_id, "move_key_statistic", stat_id, change)


Item = TypeVar("Item", KeyStatistic, ContentSection, DataBlock)


def _moved(items: list[Item], item_id: str, step: int) -> list[Item]:
    """The items renumbered 0.. after moving one `step` places (-1 up, 1 down)."""
    at = next((i for i, x in enumerate(items) if x.id == item_id), None)
    if at is None:
        raise Missing("item")
    to = min(max(at + step, 0), len(items) - 1)
    items.insert(to, items.pop(at))
    return [replace(x, position=i) for i, x in enumerate(items)]


# --- sections -------------------------------------------------------------------------------
def save_section(catalogue: Catalogue, user: User, release_id: str, section_id: str,
                 heading: str, body: str) -> str:
    """Add (id "") or change a section's heading and body; its id."""
    if not heading.strip():
        raise Refused("Give the section a heading.", title="Enter a heading")
    chosen = section_id or new_id()

    def change(conn: Connection, draft: ReleaseVersion, said: ReleaseContent) -> None:
        old = next((s for s in said.sections if s.id == chosen), None)
        if section_id and old is None:
            raise Missing("section")
        content.put_section(conn, ContentSection(
            chosen, draft.id, old.position if old else _next_position(said.sections),
            heading.strip(), body))

    _edit(catalogue, user, release_id, "edit_section", heading, change)
    return chosen


def remove_section(catalogue: Catalogue, user: User, release_id: str, section_id: str) -> None:
    _edit(catalogue, user, release_id, "remove_section", section_id,
          lambda conn, draft, _: content.delete_section(conn, draft.id, section_id))


def move_section(catalogue: Catalogue, user: User, release_id: str, section_id: str,
                 step: int) -> None:
    def change(conn: Connection, draft: ReleaseVersion, said: ReleaseContent) -> None:
        for item in _moved(list(said.sections), section_id, step):
            content.put_section(conn, item)

    _edit(catalogue, user, release_id, "move_section", section_id, change)


# --- data blocks ------------------------------------------------------------------------
def save_block(catalogue: Catalogue, user: User, release_id: str, block: DataBlock) -> str:
    """Add (id "") or change a data block, in a section or as the headline block."""
    if not block.name.strip():
        raise Refused("Give the data block a name.", title="Enter a name")
    if block.chart not in CHART_TYPES:
        raise Refused(f"Choose one of: {', '.join(CHART_TYPES)}.", title="Choose a chart")
    block_id = block.id or new_id()

    def change(conn: Connection, draft: ReleaseVersion, said: ReleaseContent) -> None:
        old = said.block(block_id)
        if block.id and old is None:
            raise Missing("data block")
        if block.section_id is not None and block.section_id not in {s.id for s in said.sections}:
            raise Missing("section")
        siblings = said.headline_blocks if block.section_id is None else next(
            s.blocks for s in said.sections if s.id == block.section_id)
        if block.section_id is None and siblings and (old is None or old.section_id):
            raise Refused("A release has one headline block: change or remove it.",
                          title="There is a headline block already")
        made = replace(block, id=block_id, release_version_id=draft.id,
                       position=old.position if old and old.section_id == block.section_id
                       else _next_position(siblings))
        _check(conn, catalogue, draft, ReleaseContent(draft.id, headline_blocks=(made,)),
               {block_id: "data block"})
        content.put_block(conn, made)

    _edit(catalogue, user, release_id, "edit_data_block", block.name, change)
    return block_id


def remove_block(catalogue: Catalogue, user: User, release_id: str, block_id: str) -> None:
    _edit(catalogue, user, release_id, "remove_data_block", block_id,
          lambda conn, draft, _: content.delete_block(conn, draft.id, block_id))


def move_block(catalogue: Catalogue, user: User, release_id: str, block_id: str,
               step: int) -> None:
    def change(conn: Connection, draft: ReleaseVersion, said: ReleaseContent) -> None:
        found = said.block(block_id)
        if found is None:
            raise Missing("data block")
        siblings = said.headline_blocks if found.section_id is None else next(
            s.blocks for s in said.sections if s.id == found.section_id)
        for item in _moved(list(siblings), block_id, step):
            content.put_block(conn, item)

    _edit(catalogue, user, release_id, "move_data_block", block_id, change)


# --- release notes and the glossary -----------------------------------------------------
def add_note(catalogue: Catalogue, user: User, release_id: str, on: date, reason: str) -> None:
    if not reason.strip():
        raise Refused("Say what changed.", title="Enter the note")
    _edit(catalogue, user, release_id, "add_release_note", reason,
          lambda conn, draft, _: content.put_note(
              conn, ReleaseNote(new_id(), draft.id, on, reason.strip())))


def remove_note(catalogue: Catalogue, user: User, release_id: str, note_id: str) -> None:
    _edit(catalogue, user, release_id, "remove_release_note", note_id,
          lambda conn, draft, _: content.delete_note(conn, draft.id, note_id))


def save_term(catalogue: Catalogue, user: User, release_id: str, term: str,
              definition: str, slug: str = "") -> str:
    """Add or change a glossary term (public with this release); its slug (anchor)."""
    chosen = slug or slugify(term)
    if not term.strip() or not definition.strip() or not chosen:
        raise Refused("Give the term and its definition.", title="Enter the term")
    _edit(catalogue, user, release_id, "edit_glossary_term", term,
          lambda conn, draft, _: content.put_term(
              conn, GlossaryTerm(draft.id, chosen, term.strip(), definition.strip())))
    return chosen


def remove_term(catalogue: Catalogue, user: User, release_id: str, slug: str) -> None:
    _edit(catalogue, user, release_id, "remove_glossary_term", slug,
          lambda conn, draft, _: content.delete_term(conn, draft.id, slug))
