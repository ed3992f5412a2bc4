"""Writing a release's content in the publishing side, in process: the checklist refuses a
release without headline facts; summary, headline (with a markdown preview that saves
nothing), key statistics, sections, a data block built with the table tool's steps,
notes, glossary terms and a methodology all appear on the published page, and an
amendment starts with a copy of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

from openstats.catalogue import accounts
from openstats.demo import MANIFEST
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person, in_process
from tests.conftest import REFERENCE
from tests.support.publishing import release_by_forms

DATA = MANIFEST.parent / "e1_re_referrals.csv"
META = MANIFEST.parent / "e1_re_referrals.meta.csv"


@pytest.fixture(scope="module")
def person(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Person]:
    folder = tmp_path_factory.mktemp("content")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        rate_limit=0)
    with in_process(settings) as browser:
        someone = browser()
        platform = someone.client.app.state.platform  # type: ignore[attr-defined]
        accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
        assert someone.sign_in("admin@example.org").status_code == 303
        yield someone


def new_release(person: Person, title: str) -> str:
    """A publication with a release holding the demo's data set: its release id."""
    release = release_by_forms(person, title, theme="Content theme", coverage="RY",
                               year="2017", release_type="Ad hoc statistics")
    page = f"/admin/releases/{release}"
    report = person.follow(person.post(
        f"{page}/upload", {"title": "E1. Referrals", "summary": "Counts."},
        files={"data_file": ("e1.csv", DATA.read_bytes(), "text/csv"),
               "meta_file": ("e1.meta.csv", META.read_bytes(), "text/csv")},
        token_from=page))
    action = re.search(r'action="(/admin/uploads/[^"]+/import)"', report.text)
    assert action, report.text[:500]
    assert person.post(action.group(1), {"acknowledge": "yes"},
                       token_from=page).status_code == 303
    assert person.post(f"{page}/guidance", {"data_guidance": "About the data.",
                                            "next_update": ""},
                       token_from=page).status_code == 303
    return release


def data_set_of(person: Person, release: str) -> str:
    page = person.get(f"/admin/releases/{release}").text
    return re.findall(rf"/admin/releases/{release}/preview/([0-9a-f-]+)", page)[0]


def test_checklist_blocks_approval_until_there_are_headline_facts(person: Person) -> None:
    release = new_release(person, "Checklist statistics")
    page = f"/admin/releases/{release}"
    shown = person.get(page).text
    assert "ReleaseMustContainKeyStatOrNonEmptyHeadlineBlock" in shown
    assert "NoMethodology" in shown and "NoPublicPreReleaseAccessList" in shown
    refused = person.post(f"{page}/approve", {"when": "now"}, token_from=page)
    assert refused.status_code == 400
    assert "key statistic or a non-empty headline" in refused.text
    # An empty section is an error too.
    content = f"{page}/content"
    assert person.post(f"{content}/sections", {"heading": "Empty", "body": ""},
                       token_from=content).status_code == 303
    assert person.post(f"{content}/words", {"action": "save", "headline": "Facts."},
                       token_from=content).status_code == 303
    refused = person.post(f"{page}/approve", {"when": "now"}, token_from=page)
    assert refused.status_code == 400 and "empty sections" in refused.text
    [section] = re.findall(rf'{content}/sections/([0-9a-f-]+)"', person.get(content).text)[:1]
    assert person.post(f"{content}/sections/{section}", {"action": "remove"},
                       token_from=content).status_code == 303
    assert person.post(f"{page}/approve", {"when": "now"}, token_from=page).status_code == 303


def test_written_content_is_on_the_published_page(person: Person) -> None:
    release = new_release(person, "Written statistics")
    content = f"/admin/releases/{release}/content"
    data_set = data_set_of(person, release)
    # A preview renders the markdown and saves nothing.
    preview = person.post(f"{content}/words", {"action": "preview",
                                               "headline": "**Bold facts**"},
                          token_from=content)
    assert preview.status_code == 200 and "<strong>Bold facts</strong>" in preview.text
    assert "Bold facts" not in person.get(content).text.split("Preview (not saved)")[0] \
        .split('id="headline"')[-1].split("</textarea>")[0]
    assert person.post(f"{content}/words", {
        "action": "save", "summary": "Our summary.", "headline": "**Bold facts**",
        "pre_release_access_list": "- The minister"}, token_from=content).status_code == 303
    bad = person.post(f"{content}/key-statistics", {
        "title": "Wrong", "data_set": data_set, "indicator": "referals",
        "location": "NAT|code|E92000001", "time_period": "2017|RY",
        "filter_level_description": "3. CINO"}, token_from=content)
    assert bad.status_code == 400
    assert "key statistic.indicator: no indicator 'referals' in data set E1" in unescape(
        bad.text)
    assert person.post(f"{content}/key-statistics", {
        "title": "Child in need referrals", "data_set": data_set, "indicator": "referrals",
        "location": "NAT|code|E92000001", "time_period": "2017|RY",
        "filter_level_description": "3. CINO", "trend": "A third."},
        token_from=content).status_code == 303
    assert person.post(f"{content}/sections", {"heading": "Second", "body": "Two."},
                       token_from=content).status_code == 303
    assert person.post(f"{content}/sections", {"heading": "First", "body": "One."},
                       token_from=content).status_code == 303
    page = person.get(content).text
    first, second = (re.search(rf'id="section-([0-9a-f-]+)"[^>]*>\s*<h3[^>]*>\d\. {h}<', page)
                     for h in ("First", "Second"))
    assert first and second
    assert person.post(f"{content}/sections/{first.group(1)}", {"action": "up"},
                       token_from=content).status_code == 303
    # A data block through the builder's steps: choose the data set, then everything else.
    builder = person.get(f"{content}/blocks/new?section={first.group(1)}")
    assert builder.status_code == 200 and "Choose a data set" in builder.text
    steps = person.post(f"/admin/releases/{release}/content/blocks", {
        "action": "data_set", "section": first.group(1), "data_set": data_set},
        token_from=content)
    assert steps.status_code == 200 and "Choose locations" in steps.text
    ids = dict(re.findall(r'name="(locations|indicators)" type="checkbox" value="([^"]+)"',
                          steps.text))
    options = re.findall(r'name="(filter_[^"]+)" type="checkbox" value="([^"]+)"', steps.text)
    form = [("action", "preview"), ("section", first.group(1)), ("data_set", data_set),
            ("locations", ids["locations"]), ("start", "2017|RY"), ("end", "2017|RY"),
            ("indicators", re.findall(r'name="indicators" type="checkbox" value="([^"]+)"',
                                      steps.text)[0]),
            *options, ("name", "Referrals by level"), ("chart", "horizontalbar")]
    fields: dict[str, list[str]] = {}
    for key, value in form:
        fields.setdefault(key, []).append(value)
    blocks = f"/admin/releases/{release}/content/blocks"
    shown = person.post(blocks, fields, token_from=content)
    assert shown.status_code == 200 and "<svg" in shown.text and "218,030" in shown.text
    saved = person.post(blocks, {**fields, "action": ["save"]}, token_from=content)
    assert saved.status_code == 303, saved.text[:400]
    assert person.post(f"{content}/notes", {"on": "2024-11-21", "reason": "First published."},
                       token_from=content).status_code == 303
    assert person.post(f"{content}/glossary", {"term": "Written term", "definition": "Means."},
                       token_from=content).status_code == 303
    # The preview shows it all before approval; readers see nothing yet.
    draft = person.get(f"{content}/preview")
    assert draft.status_code == 200 and "Child in need referrals" in draft.text
    slug = re.search(r'href="/find-statistics\?theme=[^"]*"', draft.text)
    assert slug
    page_url = re.search(r'action="(/find-statistics/[^"]+)/zip"|href="(/find-statistics/'
                         r'written-statistics/[^"/]+)/zip"', draft.text)
    assert page_url
    url = page_url.group(1) or page_url.group(2)
    assert person.get(url).status_code == 404
    assert "Written term" not in person.get("/glossary").text
    page = f"/admin/releases/{release}"
    assert person.post(f"{page}/approve", {"when": "now"}, token_from=page).status_code == 303
    public = person.get(url).text
    assert re.findall(r"data-key-stat-value>([^<]*)<", public) == ["218,030"]
    assert "<strong>Bold facts</strong>" in public and "Our summary." in public
    headings = re.findall(r'govuk-accordion__section-button"[^>]*>([^<]*)<', public)
    assert headings == ["First", "Second"]
    assert public.count("data-block-table") == 1 and "Referrals by level" in public
    assert "First published." in public
    assert person.get(f"{url}/prerelease-access-list").status_code == 200
    assert 'id="written-term"' in person.get("/glossary").text
    # An amendment starts with a copy of everything, and needs a release note.
    assert person.post(f"{page}/amend", token_from=page).status_code == 303
    copied = person.get(content).text
    assert "Child in need referrals" in copied and "Referrals by level" in copied
    refused = person.post(f"{page}/approve", {"when": "now"}, token_from=page)
    assert refused.status_code == 400 and "release note" in refused.text


def test_a_methodology_published_with_its_release(person: Person) -> None:
    release = new_release(person, "Method statistics")
    page = f"/admin/releases/{release}"
    publication = re.search(r'href="/admin/publications/([0-9a-f-]+)/methodologies"',
                            person.get(page).text)
    assert publication
    methods = f"/admin/publications/{publication.group(1)}/methodologies"
    made = person.post(methods, {"title": "Method statistics methodology"}, token_from=methods)
    assert made.status_code == 303
    edit = made.headers["location"]
    assert person.post(edit, {"action": "save", "title": "Method statistics methodology",
                              "summary": "How.", "heading": "Collection",
                              "body": "We *count*.", "notes": ""},
                       token_from=edit).status_code == 303
    assert person.post(edit, {"action": "approve", "release_id": release},
                       token_from=edit).status_code == 303
    public = "/methodology/method-statistics-methodology"
    assert person.get(public).status_code == 404  # its release is not published yet
    assert person.post(f"{page}/content/words", {"action": "save", "headline": "Facts."},
                       token_from=page).status_code == 303
    assert person.post(f"{page}/approve", {"when": "now"}, token_from=page).status_code == 303
    shown = person.get(public)
    assert shown.status_code == 200 and "<em>count</em>" in shown.text


def test_the_admin_pages_need_someone_signed_in(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE)
    with in_process(settings) as browser:
        anyone = browser()
        for path in ("/admin/releases/x/content", "/admin/releases/x/content/blocks/new",
                     "/admin/methodologies/x", "/admin/publications/x/methodologies"):
            assert anyone.get(path).status_code == 303
