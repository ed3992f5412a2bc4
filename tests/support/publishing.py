"""Releases made through the publishing forms, as a person signed in would make them (for
tests that go through /admin; tests/support/catalogue.py makes them in the catalogue)."""

from __future__ import annotations

import re

from tests.admin.helpers import Person


def release_by_forms(person: Person, title: str, *, theme: str = "Test theme",
                     coverage: str = "CY", year: str = "2025",
                     release_type: str = "Official statistics") -> str:
    """A theme (made if new), a publication called `title` in it and a release of it for
    `coverage` `year`, a draft with nothing written: its release id."""
    assert person.post("/admin/themes", {"title": theme},
                       token_from="/admin/themes").status_code == 303
    themes = re.findall(rf'<option value="([^"]+)">{re.escape(theme)}</option>',
                        person.get("/admin/publications/new").text)
    made = person.post("/admin/publications", {
        "theme_id": themes[0], "title": title, "summary": "About it.",
        "team_name": "Team", "team_email": "team@example.org"})
    assert made.status_code == 303, made.text
    publication = made.headers["location"]
    release = person.post(f"{publication}/releases", {
        "coverage": coverage, "year": year, "release_type": release_type},
        token_from=publication)
    assert release.status_code == 303, release.text[:3000]
    return str(release.headers["location"].rsplit("/", 1)[1])


def make_release(person: Person, title: str, year: str = "2025") -> str:
    """A new publication called `title` with a release for calendar year `year`, with what
    the release checklist needs besides data."""
    release_id = release_by_forms(person, title, year=year)
    write_basics(person, release_id)
    return release_id


def write_basics(person: Person, release_id: str) -> None:
    """What the release checklist needs besides data: data guidance and headline text."""
    page = f"/admin/releases/{release_id}"
    assert person.post(f"{page}/guidance", {"data_guidance": "About the data.",
                                            "next_update": "Next year"},
                       token_from=page).status_code == 303
    assert person.post(f"{page}/content/words", {"action": "save",
                                                 "headline": "The headline facts."},
                       token_from=page).status_code == 303
