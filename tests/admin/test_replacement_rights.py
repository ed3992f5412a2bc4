"""Issue 12, finding 1: a publisher of publication A cannot reach publication B's data set.

Two publications, two publishers and an approver of A. B's release is scheduled for
tomorrow. A's publisher tries to make a new version of B's data set from A's release:
through the form (the data set named in "Replaces data set"), and by a forged upload
record naming it after screening. Both are refused, nothing of B's changes, and B stays
invisible until its own moment; A's approver approving A publishes nothing of B's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from openstats.catalogue import accounts, data_sets, publications, releases
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Browser, Person, in_process
from tests.conftest import REFERENCE
from tests.support.publishing import write_basics

B_DATA_SET = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"  # the demo's, scheduled for tomorrow
DATA = (MANIFEST.parent / "e1_re_referrals.csv").read_bytes()
META = (MANIFEST.parent / "e1_re_referrals.meta.csv").read_bytes()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, dict[str, str],
                                                                      Settings]]:
    folder = tmp_path_factory.mktemp("rights")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        scheduler_seconds=0, rate_limit=0)
    platform = open_platform(settings)
    # B: the demo publication, its release scheduled for tomorrow.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = folder / "b.toml"
    manifest.write_text(MANIFEST.read_text().replace("published = 2024-11-21T09:30:00Z",
                                                     f"published = {tomorrow}")
                        .replace('data = "', f'data = "{MANIFEST.parent}/')
                        .replace('meta = "', f'meta = "{MANIFEST.parent}/'))
    load_manifest(platform, manifest)
    with platform.catalogue.transaction() as conn:
        theme = publications.upsert_theme(conn, "Theme of A")
        a = publications.upsert_publication(conn, theme, "Publication A")
        b = publications.publication_by_slug(conn, "children-in-need-a-focus-on-re-referrals")
        assert b is not None
    accounts.create_user(platform.catalogue, "pa@example.org", PASSWORD, "publisher",
                         publication_ids=(a,))
    accounts.create_user(platform.catalogue, "pb@example.org", PASSWORD, "publisher",
                         publication_ids=(b.id,))
    accounts.create_user(platform.catalogue, "aa@example.org", PASSWORD, "approver",
                         publication_ids=(a,))
    platform.close()
    with in_process(settings) as browser:
        pa = signed_in(browser, "pa@example.org")
        made = pa.post(f"/admin/publications/{a}/releases", {
            "coverage": "CY", "year": "2025", "release_type": "Official statistics"},
            token_from=f"/admin/publications/{a}")
        assert made.status_code == 303, made.text[:500]
        yield browser, {"a": a, "b": b.id, "release": made.headers["location"]}, settings


def signed_in(browser: Browser, email: str) -> Person:
    person = browser()
    assert person.sign_in(email).status_code == 303
    return person


def upload(person: Person, release: str, replaces: str) -> object:
    """The upload form's answer, its redirect followed (to the report)."""
    return person.follow(person.post(f"{release}/upload", {
        "title": "Mine", "summary": "Mine.", "data_set_id": replaces},
        files={"data_file": ("e1.csv", DATA, "text/csv"),
               "meta_file": ("e1.meta.csv", META, "text/csv")},
        token_from=release))


def b_versions(settings: Settings) -> list[str]:
    platform = open_platform(settings)
    try:
        with platform.catalogue.connect() as conn:
            return [v.version for v in data_sets.versions(conn, B_DATA_SET)]
    finally:
        platform.close()


def test_the_form_cannot_name_another_publications_data_set(site) -> None:  # noqa: ANN001
    browser, ids, settings = site
    pa = signed_in(browser, "pa@example.org")
    answer = upload(pa, ids["release"], B_DATA_SET)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "must be one of this publication" in answer.text  # type: ignore[attr-defined]
    assert b_versions(settings) == ["1.0"]
    # The release page offers only A's own data sets to replace.
    page = pa.get(ids["release"]).text
    assert B_DATA_SET not in page


def test_a_forged_upload_record_is_refused_at_import(site) -> None:  # noqa: ANN001
    browser, ids, settings = site
    pa = signed_in(browser, "pa@example.org")
    report = upload(pa, ids["release"], "")
    assert report.status_code == 200, report.text[:500]  # type: ignore[attr-defined]
    action = re.search(r'action="(/admin/uploads/([0-9a-f-]+)/import)"',
                       report.text)  # type: ignore[attr-defined]
    assert action
    record = settings.data_dir / "uploads" / action.group(2) / "upload.json"
    forged = {**json.loads(record.read_text()), "data_set_id": B_DATA_SET}
    record.write_text(json.dumps(forged))  # as if the form had been tampered with
    refused = pa.post(action.group(1), {"acknowledge": "yes"}, token_from=ids["release"])
    assert refused.status_code == 400
    assert "must be one of this publication" in refused.text
    assert b_versions(settings) == ["1.0"]


def test_a_publisher_of_a_sees_nothing_of_b(site) -> None:  # noqa: ANN001
    browser, ids, settings = site
    pa = signed_in(browser, "pa@example.org")
    platform = open_platform(settings)
    with platform.catalogue.connect() as conn:
        b_release = releases.find_release(conn, "children-in-need-a-focus-on-re-referrals",
                                          "2024")
    platform.close()
    assert pa.get(f"/admin/publications/{ids['b']}").status_code == 403
    assert pa.get(f"/admin/releases/{b_release}").status_code == 403
    preview = pa.get(f"/admin/releases/{b_release}/preview/{B_DATA_SET}")
    assert preview.status_code == 403
    assert "E1. Re-referrals" not in preview.text
    # A's release previewing B's data set: not in that release, so nothing to show.
    assert pa.get(f"{ids['release']}/preview/{B_DATA_SET}").status_code == 404
    # Edits to B's data set through A's release are refused too.
    edit = pa.post(f"{ids['release']}/data-sets/{B_DATA_SET}/details",
                   {"title": "Taken over", "summary": ""}, token_from=ids["release"])
    assert edit.status_code == 404
    pb = signed_in(browser, "pb@example.org")
    assert pb.get(f"/admin/releases/{b_release}").status_code == 200


def test_approving_a_publishes_nothing_of_b(site) -> None:  # noqa: ANN001
    browser, ids, settings = site
    pa = signed_in(browser, "pa@example.org")
    report = upload(pa, ids["release"], "")
    action = re.search(r'action="(/admin/uploads/[0-9a-f-]+/import)"',
                       report.text)  # type: ignore[attr-defined]
    assert action
    assert pa.post(action.group(1), {"acknowledge": "yes"},
                   token_from=ids["release"]).status_code == 303
    write_basics(pa, ids["release"].rsplit("/", 1)[1])  # what the checklist needs
    aa = signed_in(browser, "aa@example.org")
    assert aa.post(f"{ids['release']}/approve", {"when": "now"},
                   token_from=ids["release"]).status_code == 303
    reader = browser()
    assert reader.get(f"/data-catalogue/data-set/{B_DATA_SET}").status_code == 404
    assert reader.get(f"/api/v1/data-sets/{B_DATA_SET}").status_code == 404
    assert "E1. Re-referrals" not in reader.get("/data-catalogue").text
    assert "Children in need" not in reader.get("/").text
    assert b_versions(settings) == ["1.0"]


def test_a_release_holds_only_its_own_publications_data_sets_even_for_an_admin(
        site) -> None:  # noqa: ANN001
    """An admin may do anything, but a release still only holds its publication's data
    sets: the rule is about the data, not only about rights."""
    browser, ids, settings = site
    platform = open_platform(settings)
    try:
        accounts.create_user(platform.catalogue, "root@example.org", PASSWORD, "admin")
    finally:
        platform.close()
    admin = signed_in(browser, "root@example.org")
    # (A's release may be published by now: the upload goes into its amendment.)
    admin.post(f"{ids['release']}/amend", token_from=ids["release"])
    answer = upload(admin, ids["release"], B_DATA_SET)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert b_versions(settings) == ["1.0"]
