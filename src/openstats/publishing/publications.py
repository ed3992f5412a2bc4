"""Themes and publications as services for the publishing side: create them, and read them
for the people who may see them (rights checked as the release services check theirs:
workflow.py, whose `Refused` family these raise)."""

from __future__ import annotations

from openstats.catalogue import audit, publications
from openstats.catalogue.db import Catalogue
from openstats.model.catalogue import Contact, Publication, Theme
from openstats.model.users import User, allowed
from openstats.publishing.workflow import Missing, Refused, require


def themes(catalogue: Catalogue) -> list[Theme]:
    """Every theme, by title."""
    with catalogue.connect() as conn:
        return publications.all_themes(conn)


def all_publications(catalogue: Catalogue) -> list[Publication]:
    """Every publication, by title (for choosing one: rights are the caller's to check)."""
    with catalogue.connect() as conn:
        return publications.all_publications(conn)


def create_theme(catalogue: Catalogue, user: User, title: str) -> str:
    require(user, "create_theme", None)
    title = title.strip()
    if not title:
        raise Refused("Enter a title for the theme.", title="Enter a theme title",
                      field="title")
    with catalogue.transaction() as conn:
        theme_id = publications.upsert_theme(conn, title)
        audit.record(conn, user, "create_theme", "theme", theme_id, title)
    return theme_id


def create_publication(catalogue: Catalogue, user: User, theme_id: str, title: str,
                       summary: str, contact: Contact) -> str:
    require(user, "create_publication", None)
    problems = tuple((name, why) for name, value, why in (
        ("theme_id", theme_id, "Choose a theme."),
        ("title", title.strip(), "Enter a title for the publication."),
        ("team_name", contact.team_name.strip(), "Enter the name of the team to contact."),
        ("team_email", contact.team_email.strip(), "Enter the team's email address."))
        if not value)
    if problems:
        raise Refused("; ".join(m for _, m in problems), title="Some details are missing",
                      problems=problems)
    with catalogue.transaction() as conn:
        if publications.theme(conn, theme_id) is None:
            raise Refused("Choose one of the themes listed.", title="Choose a theme",
                          field="theme_id")
        publication_id = publications.upsert_publication(conn, theme_id, title.strip(),
                                                         summary=summary, contact=contact)
        audit.record(conn, user, "create_publication", "publication", publication_id, title)
    return publication_id


def publication_for(catalogue: Catalogue, user: User, publication_id: str) -> Publication:
    """A publication its person may see in the publishing side."""
    with catalogue.connect() as conn:
        found = publications.publication(conn, publication_id)
    if found is None:
        raise Missing("publication")
    require(user, "preview", found.id)
    return found


def my_publications(catalogue: Catalogue, user: User) -> list[Publication]:
    with catalogue.connect() as conn:
        return [p for p in publications.all_publications(conn)
                if allowed(user, "preview", p.id)]
