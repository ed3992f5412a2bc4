"""Themes and publications in SQL: the publishing side's working copy of their words.

Readers never see these rows' words directly: each release version carries the
publication's title, summary and contact as it publishes them (catalogue/releases.py).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from openstats.catalogue.schema import publications, themes
from openstats.catalogue.values import new_id
from openstats.model.catalogue import Contact, Publication, Theme


def slugify(text: str) -> str:
    """'Children in need: A focus' -> 'children-in-need-a-focus'."""
    # Apostrophes join words ("Children's" -> "childrens") rather than split them.
    text = text.replace("'", "").replace("\u2019", "")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def upsert_theme(conn: Connection, title: str, slug: str | None = None,
                 summary: str = "") -> str:
    """The theme `slug`, created or given this title and summary (themes are the site's
    structure, not release content: a change shows at once)."""
    slug = slug or slugify(title)
    row = conn.execute(select(themes.c.id, themes.c.title, themes.c.summary)
                       .where(themes.c.slug == slug)).first()
    if row:
        if (row.title, row.summary) != (title, summary):
            conn.execute(themes.update().where(themes.c.id == row.id)
                         .values(title=title, summary=summary))
        return str(row.id)
    theme_id = new_id()
    conn.execute(themes.insert().values(id=theme_id, title=title, slug=slug, summary=summary))
    return theme_id


def all_themes(conn: Connection) -> list[Theme]:
    return [Theme(r.id, r.slug, r.title, r.summary or "")
            for r in conn.execute(select(themes).order_by(themes.c.title))]


def theme(conn: Connection, theme_id: str) -> Theme | None:
    row = conn.execute(select(themes).where(themes.c.id == theme_id)).first()
    return Theme(row.id, row.slug, row.title, row.summary or "") if row else None


def upsert_publication(conn: Connection, theme_id: str, title: str, *, slug: str | None = None,
                       summary: str = "", contact: Contact | None = None) -> str:
    """The publication `slug`, created or given these words (the working copy)."""
    slug = slug or slugify(title)
    contact = contact or Contact("", "")
    values = {"theme_id": theme_id, "title": title, "summary": summary,
              "contact_team_name": contact.team_name, "contact_team_email": contact.team_email,
              "contact_name": contact.name, "contact_telephone": contact.telephone}
    row = conn.execute(select(publications).where(publications.c.slug == slug)).mappings().first()
    if row:
        if any(row[k] != v for k, v in values.items()):
            conn.execute(publications.update().where(publications.c.id == row["id"])
                         .values(**values))
        return str(row["id"])
    publication_id = new_id()
    conn.execute(publications.insert().values(id=publication_id, slug=slug, **values))
    return publication_id


def _publication(row: RowMapping) -> Publication:
    return Publication(row["id"], row["slug"], row["theme_id"], row["title"],
                       row["summary"] or "",
                       Contact(row["contact_team_name"] or "", row["contact_team_email"] or "",
                               row["contact_name"] or "", row["contact_telephone"] or ""))


def publication(conn: Connection, publication_id: str) -> Publication | None:
    row = conn.execute(select(publications).where(publications.c.id == publication_id)
                       ).mappings().first()
    return _publication(row) if row else None


def publication_by_slug(conn: Connection, slug: str) -> Publication | None:
    row = conn.execute(select(publications).where(publications.c.slug == slug)
                       ).mappings().first()
    return _publication(row) if row else None


def all_publications(conn: Connection) -> list[Publication]:
    return [_publication(r) for r in conn.execute(
        select(publications).order_by(publications.c.title)).mappings()]
