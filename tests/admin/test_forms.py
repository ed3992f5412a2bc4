"""The publishing forms as GOV.UK question pages (issue 17, items 11-16), in process.

A refused form comes back with a GOV.UK error summary linked to each field in error and
everything typed kept; an accepted one redirects (post-redirect-get) to a page with a
one-time success banner. The screening report lives at its own address and is listed on
its release's page; ZIP and bulk ZIP uploads are checked before unpacking; release titles
and slugs are built as EES builds them; previews say they are not published.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator

import pytest

from openstats.catalogue import accounts
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Browser, Person, in_process
from tests.conftest import REFERENCE

DATA = (MANIFEST.parent / "e1_re_referrals.csv").read_bytes()
META = (MANIFEST.parent / "e1_re_referrals.meta.csv").read_bytes()
SUMMARY = re.compile(r'<div class="govuk-error-summary".*?</ul>', re.S)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, Settings]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("forms") / "data", database_url="",
                        reference_dir=REFERENCE, scheduler_seconds=0, rate_limit=0)
    platform = open_platform(settings)
    accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    platform.close()
    with in_process(settings) as browser:
        yield browser, settings


@pytest.fixture(scope="module")
def person(office: tuple[Browser, Settings]) -> Person:
    who = office[0]()
    assert who.sign_in("admin@example.org").status_code == 303
    return who


def summary_links(page: str) -> list[tuple[str, str]]:
    """(href, text) of each link in the page's GOV.UK error summary."""
    found = SUMMARY.search(page)
    assert found, "no error summary on the page"
    return [(h, html.unescape(t)) for h, t in
            re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', found.group(0))]


def banner(page: str) -> str:
    found = re.search(r'govuk-notification-banner--success.*?'
                      r'govuk-notification-banner__heading">([^<]+)<', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def new_publication(person: Person, title: str) -> str:
    person.post("/admin/themes", {"title": "Forms theme"}, token_from="/admin/themes")
    [theme] = re.findall(r'<option value="([^"]+)"[^>]*>Forms theme</option>',
                         person.get("/admin/publications/new").text)
    made = person.post("/admin/publications", {
        "theme_id": theme, "title": title, "team_name": "Team",
        "team_email": "team@example.org"}, token_from="/admin/publications/new")
    assert made.status_code == 303
    return made.headers["location"]


def new_release(person: Person, publication: str, year: str = "2024") -> str:
    made = person.post(f"{publication}/releases", {
        "coverage": "AY", "year": year, "release_type": "Official statistics"},
        token_from=publication)
    assert made.status_code == 303, made.text[:2000]
    return made.headers["location"]


def upload(person: Person, release: str, data: bytes = DATA, meta: bytes = META,
           title: str = "Referrals", **fields: str) -> object:
    return person.post(f"{release}/upload", {"title": title, "summary": "", **fields},
                       files={"data_file": ("e1.csv", data, "text/csv"),
                              "meta_file": ("e1.meta.csv", meta, "text/csv")},
                       token_from=release)


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return buffer.getvalue()


def upload_zip(person: Person, release: str, content: bytes, name: str = "files.zip",
               title: str = "") -> object:
    return person.post(f"{release}/upload", {"title": title, "summary": ""},
                       files={"zip_file": (name, content, "application/zip")},
                       token_from=release)


# --- 12: errors re-show the form, success shows a banner ------------------------------------
def test_a_release_without_a_type_comes_back_with_what_was_typed(person: Person) -> None:
    publication = new_publication(person, "Typed statistics")
    answer = person.post(f"{publication}/releases", {
        "coverage": "FY", "year": "20x5", "label": "provisional", "next_update": "May 2026"},
        token_from=publication)
    assert answer.status_code == 400
    page = answer.text
    assert "<title>Error: " in page
    links = dict(summary_links(page))
    assert set(links) == {"#release-year", "#release-release_type"}
    assert links["#release-release_type"] == "Choose a release type."
    # Each link lands on its field, which shows its message beside it.
    assert 'id="release-year"' in page and 'id="release-release_type"' in page
    assert 'id="release-year-error"' in page and 'aria-describedby="release-year-error"' in page
    # Everything typed is kept.
    assert 'value="20x5"' in page and 'value="provisional"' in page
    assert 'value="May 2026"' in page and '<option value="FY" selected>' in page


def test_release_titles_and_slugs_are_built_as_ees_builds_them(person: Person) -> None:
    publication = new_publication(person, "Named statistics")
    made = person.post(f"{publication}/releases", {
        "coverage": "CY", "year": "2024", "label": "provisional",
        "release_type": "Official statistics"}, token_from=publication)
    assert made.status_code == 303
    release = person.follow(made).text
    assert "<h1 class=\"govuk-heading-xl\">Calendar year 2024 provisional</h1>" in release
    assert banner(release) == ("Release 'Calendar year 2024 provisional' created: upload its "
                               "data sets next")
    assert banner(person.get(made.headers["location"]).text) == ""  # shown once
    term = person.post(f"{publication}/releases", {
        "coverage": "T1", "year": "2023", "release_type": "Official statistics"},
        token_from=publication)
    assert "Autumn term 2023/24" in person.follow(term).text
    # The same period again: refused, pointing at the label that would tell them apart.
    again = person.post(f"{publication}/releases", {
        "coverage": "CY", "year": "2024", "label": "Provisional",
        "release_type": "Official statistics"}, token_from=publication)
    assert again.status_code == 400
    assert summary_links(again.text)[0][0] == "#release-label"


def test_import_without_ticking_comes_back_to_the_report(person: Person) -> None:
    release = new_release(person, new_publication(person, "Ticked statistics"))
    sent = upload(person, release)
    assert sent.status_code == 303  # type: ignore[attr-defined]
    report_url = sent.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/admin/uploads/[0-9a-f-]{36}", report_url)
    action = f"{report_url}/import"
    unticked = person.post(action, {}, token_from=report_url)
    assert unticked.status_code == 400
    assert summary_links(unticked.text) == [
        ("#import-acknowledge", "Tick the box to say you have read the warnings.")]
    assert "Screening report" in unticked.text and 'id="import-acknowledge"' in unticked.text
    done = person.post(action, {"acknowledge": "yes"}, token_from=report_url)
    assert done.status_code == 303
    assert banner(person.follow(done).text) == (
        "Data set 'Referrals' imported into the release's draft")
    # The report is still there, and says so; importing again is refused.
    after = person.get(report_url).text
    assert "These files were imported as" in after and "Referrals" in after
    assert "Import this data set" not in after
    assert person.post(action, {"acknowledge": "yes"}, token_from=report_url).status_code == 409


def test_approve_offers_a_future_time_and_refuses_a_past_one(person: Person) -> None:
    release = new_release(person, new_publication(person, "Timed form statistics"))
    assert upload(person, release).status_code == 303  # type: ignore[attr-defined]
    page = person.get(release).text
    date = re.search(r'id="approve-date" name="date" type="text" value="([^"]+)"', page)
    time = re.search(r'id="approve-time" name="time" type="text" value="([^"]+)"', page)
    assert date and time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    offered = datetime.strptime(f"{date[1]} {time[1]}", "%Y-%m-%d %H:%M").replace(
        tzinfo=ZoneInfo("Europe/London"))
    assert offered > datetime.now(ZoneInfo("Europe/London"))
    past = person.post(f"{release}/approve", {"when": "later", "date": "2020-01-02",
                                              "time": "09:30"}, token_from=release)
    assert past.status_code == 400
    [(href, text)] = summary_links(past.text)
    assert href == "#approve-date" and "must be in the future" in text
    assert 'value="2020-01-02"' in past.text  # kept, to correct
    nothing = person.post(f"{release}/approve", {"when": "later", "date": date[1],
                                                 "time": time[1]}, token_from=release)
    assert nothing.status_code == 400  # no data set imported yet
    assert summary_links(nothing.text)[0][1].startswith("Upload and import at least one data set")


# --- 11: the report at its own address, listed on its release -------------------------------
def test_the_report_has_its_address_and_is_listed_on_its_release(person: Person) -> None:
    release = new_release(person, new_publication(person, "Listed statistics"))
    good = upload(person, release)
    bad = upload(person, release, data=DATA.replace(b"2017,", b"17,"), title="Broken")
    good_url = good.headers["location"]  # type: ignore[attr-defined]
    bad_url = bad.headers["location"]  # type: ignore[attr-defined]
    # Refresh (and Back) ask again for the report's address: the same report, every time.
    first, second = person.get(bad_url), person.get(bad_url)
    assert first.status_code == second.status_code == 200
    assert "cannot be imported" in first.text and "cannot be imported" in second.text
    listed = person.get(release).text
    section = listed[listed.index('id="waiting-uploads"'):]
    assert f'href="{good_url}"' in section and f'href="{bad_url}"' in section
    assert "Ready to import" in section and "Errors" in section
    # Another person's browser (another session) gets the same report.
    assert "No errors" in person.get(good_url).text


def test_a_reader_and_other_publications_cannot_see_a_report(
        office: tuple[Browser, Settings], person: Person) -> None:
    browser, settings = office
    release = new_release(person, new_publication(person, "Private report statistics"))
    url = upload(person, release).headers["location"]  # type: ignore[attr-defined]
    anyone = browser()
    assert anyone.get(url).status_code == 303  # to sign in
    platform = open_platform(settings)
    accounts.create_user(platform.catalogue, "elsewhere@example.org", PASSWORD, "publisher")
    platform.close()
    other = browser()
    assert other.sign_in("elsewhere@example.org").status_code == 303
    assert other.get(url).status_code == 403
    assert person.get("/admin/uploads/not-an-id").status_code == 404


# --- 13: plain words, counts that agree ------------------------------------------------------
def test_the_report_speaks_plain_words_and_its_counts_agree(person: Person) -> None:
    release = new_release(person, new_publication(person, "Counted statistics"))
    lines = DATA.split(b"\n")
    # 130 rows with a malformed period: more than the 100 findings a rule lists.
    broken = b"\n".join([lines[0], *(line.replace(b"2017,", b"17,", 1) if b"2017," in line
                                     else line for line in lines[1:])])
    bad_rows = sum(1 for line in lines[1:] if b"2017," in line)
    page = person.follow(upload(person, release, data=broken, title="Counted")).text
    section = page[page.index('id="rule-data.time.period_malformed"'):]
    section = section[:section.index("</section>")]
    # The heading is the rule's description; its id in small print.
    assert "time_period is not valid</h2>" in section
    assert "Check <code>data.time.period_malformed</code>" in section
    assert f"Found {bad_rows:,} times" in section
    listed = section.count('<tr class="govuk-table__row"><td')
    more = re.search(r"… and ([0-9,]+) more", section)
    assert listed + (int(more[1].replace(",", "")) if more else 0) == bad_rows
    total = re.search(r'id="report-counts">([0-9,]+) errors?', page)
    assert total
    headings = [int(n.replace(",", "")) for n in re.findall(
        r'govuk-tag--red">Error</strong>.*?Found ([0-9,]+) times?', page, re.S)]
    assert int(total[1].replace(",", "")) == sum(headings)
    assert f"The files have {total[1]} error" in page


# --- 15: ZIP uploads -------------------------------------------------------------------------
def test_a_zip_of_one_pair_is_screened_like_two_files(person: Person) -> None:
    release = new_release(person, new_publication(person, "Zipped statistics"))
    untitled = upload_zip(person, release, zip_of({"e1.csv": DATA, "e1.meta.csv": META}))
    assert untitled.status_code == 400  # type: ignore[attr-defined]
    assert summary_links(untitled.text)[0][0] == "#upload-form-title"  # type: ignore[attr-defined]
    sent = upload_zip(person, release, zip_of({"e1.csv": DATA, "e1.meta.csv": META}),
                      title="From a ZIP")
    assert sent.status_code == 303  # type: ignore[attr-defined]
    report = person.follow(sent).text  # type: ignore[arg-type]
    assert "No errors" in report and "From the ZIP file" in report and "files.zip" in report


def test_a_bulk_zip_makes_an_upload_of_each_pair(person: Person,
                                                 office: tuple[Browser, Settings]) -> None:
    release = new_release(person, new_publication(person, "Bulk statistics"))
    names = b"file_name,dataset_name\none,First data set\ntwo,Second data set\n"
    broken = DATA.replace(b"2017,", b"17,")
    sent = upload_zip(person, release, zip_of({
        "dataset_names.csv": names, "one.csv": DATA, "one.meta.csv": META,
        "two.csv": broken, "two.meta.csv": META}))
    assert sent.status_code == 303  # type: ignore[attr-defined]
    page = person.follow(sent).text  # type: ignore[arg-type]
    assert banner(page).startswith("2 data sets uploaded and checked: 1 can be imported")
    section = page[page.index('id="waiting-uploads"'):]
    assert "First data set" in section and "Second data set" in section
    assert "Ready to import" in section and "Errors" in section
    # Nothing of the ZIP itself is kept: only the two uploads' folders.
    root = office[1].data_dir / "uploads"
    assert not list(root.rglob("*.zip"))
    # Import each: here the one that can be.
    ready = re.findall(r'href="(/admin/uploads/[0-9a-f-]+)"', section)
    reports = {url: person.get(url).text for url in ready}
    [good] = [u for u, t in reports.items() if "No errors" in t]
    assert person.post(f"{good}/import", {"acknowledge": "yes"},
                       token_from=good).status_code == 303
    assert "First data set" in person.get(release).text.split('id="versions"')[1]


@pytest.mark.parametrize(("entries", "why"), [
    ({"../evil.csv": DATA, "evil.meta.csv": META}, "inside a folder"),
    ({"data/e1.csv": DATA, "data/e1.meta.csv": META}, "inside a folder"),
    ({"e1.csv": b"0" * 30_000_000, "e1.meta.csv": META}, "compressed"),
    ({"e1.csv": DATA, "e1.meta.csv": META, "notes.txt": b"hi"}, "not CSV files"),
    ({"e1.csv": DATA}, "0 meta file"),
    ({"dataset_names.csv": b"name,title\ne1,x\n", "e1.csv": DATA, "e1.meta.csv": META},
     "file_name,dataset_name"),
    ({"dataset_names.csv": b"file_name,dataset_name\ne2,x\n", "e1.csv": DATA,
      "e1.meta.csv": META}, "no e2.csv"),
], ids=["dot-dot", "folder", "bomb", "stray-file", "no-meta", "bad-names-header",
        "names-missing-pair"])
def test_a_bad_zip_is_refused_before_unpacking(
        person: Person, office: tuple[Browser, Settings], entries: dict[str, bytes],
        why: str, request: pytest.FixtureRequest) -> None:
    release = new_release(person, new_publication(
        person, f"Refused zip {request.node.callspec.id}"))
    root = office[1].data_dir / "uploads"
    before = {p for p in root.rglob("*")} if root.exists() else set()
    answer = upload_zip(person, release, zip_of(entries), title="Refused")
    assert answer.status_code == 400, answer.text[:2000]  # type: ignore[attr-defined]
    [(href, text)] = summary_links(answer.text)  # type: ignore[attr-defined]
    assert href == "#upload-form-zip_file" and why in text, text
    after = {p for p in root.rglob("*")} if root.exists() else set()
    assert after == before  # nothing unpacked, nothing kept
    assert not (office[1].data_dir.parent / "evil.csv").exists()


def test_a_link_in_a_zip_is_refused(person: Person) -> None:
    release = new_release(person, new_publication(person, "Linked zip statistics"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        link = zipfile.ZipInfo("e1.csv")
        link.external_attr = (0o120777 << 16)  # a symbolic link, to wherever it says
        z.writestr(link, "/etc/passwd")
        z.writestr("e1.meta.csv", META)
    answer = upload_zip(person, release, buffer.getvalue(), title="Linked")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "is a link" in summary_links(answer.text)[0][1]  # type: ignore[attr-defined]


def test_csv_files_and_a_zip_together_are_refused(person: Person) -> None:
    release = new_release(person, new_publication(person, "Both kinds statistics"))
    answer = person.post(f"{release}/upload", {"title": "Both"}, files={
        "data_file": ("e1.csv", DATA, "text/csv"), "meta_file": ("e1.meta.csv", META),
        "zip_file": ("e1.zip", zip_of({"e1.csv": DATA, "e1.meta.csv": META}))},
        token_from=release)
    assert answer.status_code == 400
    assert summary_links(answer.text)[0][0] == "#upload-form-zip_file"


def test_not_a_zip_is_refused(person: Person) -> None:
    release = new_release(person, new_publication(person, "Fake zip statistics"))
    answer = upload_zip(person, release, DATA, title="Fake")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "not a ZIP file" in summary_links(answer.text)[0][1]  # type: ignore[attr-defined]


# --- 14: previews ---------------------------------------------------------------------------
def test_a_draft_preview_says_it_is_not_published(person: Person) -> None:
    release = new_release(person, new_publication(person, "Previewed statistics"))
    url = upload(person, release).headers["location"]  # type: ignore[attr-defined]
    person.post(f"{url}/import", {"acknowledge": "yes"}, token_from=url)
    [preview] = re.findall(r'href="(/admin/releases/[^"]+/preview/[^"]+)"',
                           person.get(release).text)
    page = person.get(preview).text
    assert "Preview — not published" in page
    assert "Latest data" not in page and ">Published<" not in page


# --- 16: the admin home split into pages, a favicon ------------------------------------------
def test_the_admin_home_is_pages_not_one_long_form(person: Person) -> None:
    home = person.get("/admin").text
    assert "<form" not in home.split('id="main-content"')[1].split("</main>")[0]
    for path, heading in (("/admin/themes", "Themes"), ("/admin/users", "Accounts"),
                          ("/admin/publications/new", "Create a publication")):
        page = person.get(path)
        assert page.status_code == 200 and f">{heading}</h1>" in page.text
        assert f'href="{path}"' in home or path == "/admin/publications/new" and \
            'href="/admin/publications/new"' in home
    refused = person.post("/admin/users", {"email": "nobody", "password": "short"},
                          token_from="/admin/users")
    assert refused.status_code == 400 and summary_links(refused.text)
    assert 'value="nobody"' in refused.text  # kept; the password is not given back


def test_the_favicon_is_govuks_from_our_static_route(person: Person) -> None:
    page = person.get("/").text
    icon = re.search(r'<link rel="icon" sizes="48x48" href="([^"]+)"', page)
    assert icon and icon[1].startswith("/static/")
    served = person.get(icon[1])
    assert served.status_code == 200 and len(served.content) > 100
    assert person.get("/favicon.ico").headers["location"] == icon[1]
