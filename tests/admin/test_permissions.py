"""Every admin action for every role: allowed or refused as it should be."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from openstats.catalogue import accounts, publications
from openstats.demo import MANIFEST
from openstats.platform import Platform, open_platform
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person
from tests.api.conftest import serve
from tests.conftest import REFERENCE

DEMO_DATA = MANIFEST.parent / "e1_re_referrals.csv"
DEMO_META = MANIFEST.parent / "e1_re_referrals.meta.csv"
ROLES = ["admin", "publisher", "approver", "other_publisher", "other_approver"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("perms")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform: Platform = open_platform(settings)
    c = platform.catalogue
    with c.transaction() as conn:
        theme = publications.upsert_theme(conn, "Theme")
        mine = publications.upsert_publication(conn, theme, "Mine")
        theirs = publications.upsert_publication(conn, theme, "Theirs")
    for role in ROLES:
        works_on = (mine,) if role in ("publisher", "approver") else (
            (theirs,) if role.startswith("other_") else ())
        accounts.create_user(c, f"{role}@example.org", PASSWORD, role.removeprefix("other_"),
                             publication_ids=works_on)
    for server in serve(settings):
        admin = Person(server.base)
        admin.sign_in("admin@example.org")
        release = admin.post(f"/admin/publications/{mine}/releases", {
            "coverage": "CY", "year": "2025", "release_type": "Official statistics"},
            token_from=f"/admin/publications/{mine}").headers["location"].rsplit("/", 1)[1]
        yield {"server": server, "mine": mine, "release": release, "theme": theme}
    platform.close()


def attempt(world: dict, role: str, action: str) -> int:
    person = Person(world["server"].base)
    assert person.sign_in(f"{role}@example.org").status_code == 303
    mine, release = world["mine"], world["release"]
    rpage = f"/admin/releases/{release}"
    requests = {
        "create_theme": ("/admin/themes", {"title": f"T {role}"}, None, "/admin"),
        "create_publication": ("/admin/publications", {
            "theme_id": world["theme"], "title": f"P {role}", "team_name": "t",
            "team_email": "t@example.org"}, None, "/admin"),
        "create_user": ("/admin/users", {"email": f"new-{role}@example.org",
                                         "password": PASSWORD, "role": "publisher"}, None,
                        "/admin"),
        "create_release": (f"/admin/publications/{mine}/releases", {
            "coverage": "CY", "year": "2026", "label": role,
            "release_type": "Official statistics"}, None,
            f"/admin/publications/{mine}"),
        "upload": (f"{rpage}/upload", {"title": f"D {role}"}, {
            "data_file": ("e1_re_referrals.csv", DEMO_DATA.read_bytes(), "text/csv"),
            "meta_file": ("e1_re_referrals.meta.csv", DEMO_META.read_bytes(), "text/csv")},
            rpage),
        "edit_guidance": (f"{rpage}/guidance", {"data_guidance": "Read me."}, None, rpage),
        "pre_release": (f"{rpage}/pre-release", {"email": "admin@example.org"}, None, rpage),
        "approve": (f"{rpage}/approve", {"when": "later", "date": "2099-01-01",
                                          "time": "09:30"}, None, rpage),
        "edit_content": (f"{rpage}/content/words", {"action": "save", "headline": "Facts."},
                         None, rpage),
        "add_section": (f"{rpage}/content/sections", {"heading": f"S {role}", "body": "x"},
                        None, rpage),
        "add_term": (f"{rpage}/content/glossary", {"term": f"T {role}", "definition": "x"},
                     None, rpage),
        "create_methodology": (f"/admin/publications/{mine}/methodologies",
                               {"title": f"M {role}"}, None, rpage),
        "supersede": (f"/admin/publications/{mine}/superseded-by", {"successor": ""}, None,
                      rpage),
        "view_audit": None,
        "preview_release": None,
    }
    if action == "view_audit":
        return person.get("/admin/audit").status_code
    if action == "preview_release":
        return person.get(rpage).status_code
    path, data, files, token_from = requests[action]
    token_page = person.get(token_from)
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page.text)
    assert token, (role, action, token_from)
    return person.client.post(path, data={"csrf_token": token.group(1), **data},
                              files=files).status_code


# Roles allowed each action; everyone else is refused with 403. An allowed action may
# still be refused for a reason of its own (400: e.g. nothing left to approve).
MATRIX = {
    "create_theme": {"admin"},
    "create_publication": {"admin"},
    "create_user": {"admin"},
    "view_audit": {"admin"},
    "create_release": {"admin", "publisher"},
    "upload": {"admin", "publisher"},
    "edit_guidance": {"admin", "publisher"},
    "pre_release": {"admin", "publisher"},
    "approve": {"admin", "approver"},
    "preview_release": {"admin", "publisher", "approver"},
    "edit_content": {"admin", "publisher"},
    "add_section": {"admin", "publisher"},
    "add_term": {"admin", "publisher"},
    "create_methodology": {"admin", "publisher"},
    "supersede": {"admin"},
}


@pytest.mark.parametrize("action", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(world: dict, role: str, action: str) -> None:
    status = attempt(world, role, action)
    if role in MATRIX[action]:
        assert status in (200, 303, 400), f"{role} should be able to {action} ({status})"
    else:
        assert status == 403, f"{role} must not {action} ({status})"
