"""Publishing end to end over HTTP: sign-in, drafts, uploads, screening, schedule, amend."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from openstats.catalogue import accounts, publications, sign_in
from openstats.demo import MANIFEST
from openstats.model.users import allowed
from openstats.platform import Platform, open_platform
from openstats.publishing import workflow
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person
from tests.api.conftest import LiveServer, serve
from tests.conftest import REFERENCE
from tests.support.publishing import make_release

DEMO_DATA = MANIFEST.parent / "e1_re_referrals.csv"
DEMO_META = MANIFEST.parent / "e1_re_referrals.meta.csv"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Platform]]:
    folder = tmp_path_factory.mktemp("publishing")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    for server in serve(settings):
        yield server, platform
    platform.close()


def admin(site: tuple[LiveServer, Platform]) -> Person:
    person = Person(site[0].base)
    assert person.sign_in("admin@example.org").status_code == 303
    return person


def upload(person: Person, release_id: str, data: bytes, meta: bytes, title: str,
           replaces: str = "") -> httpx.Response:
    """Send the upload form and follow its redirect: the screening report's page (or,
    when the form is refused, the release's page with its problems)."""
    sent = person.post(f"/admin/releases/{release_id}/upload",
                       {"title": title, "summary": "A summary.", "data_set_id": replaces},
                       files={"data_file": ("e1_re_referrals.csv", data, "text/csv"),
                              "meta_file": ("e1_re_referrals.meta.csv", meta, "text/csv")},
                       token_from=f"/admin/releases/{release_id}")
    return person.follow(sent)


def import_upload(person: Person, report: httpx.Response, release_id: str) -> None:
    action = re.search(r'action="(/admin/uploads/[^"]+/import)"', report.text)
    assert action, report.text[:2000]
    done = person.post(action.group(1), {"acknowledge": "yes"},
                       token_from=f"/admin/releases/{release_id}")
    assert done.status_code == 303, done.text[:2000]


def amend(person: Person, release_id: str) -> None:
    """Start an amendment of a published release (its changes go public on approval)."""
    page = f"/admin/releases/{release_id}"
    assert person.post(f"{page}/amend", token_from=page).status_code == 303


def approve_now(person: Person, release_id: str, notes: str | None = None) -> httpx.Response:
    page = f"/admin/releases/{release_id}"
    return person.post(f"{page}/approve", {"when": "now", **(
        {"notes": notes} if notes is not None else {})}, token_from=page)


def data_set_ids(person: Person, release_id: str) -> list[str]:
    page = person.get(f"/admin/releases/{release_id}").text
    return re.findall(rf"/admin/releases/{release_id}/preview/([0-9a-f-]+)", page)


def test_upload_screen_schedule_and_appear_on_time(site: tuple[LiveServer, Platform]) -> None:
    server, _ = site
    person = admin(site)
    release_id = make_release(person, "Scheduled statistics")
    bad = upload(person, release_id, DEMO_DATA.read_bytes().replace(b"2017,", b"17,"),
                 DEMO_META.read_bytes(), "Broken")
    assert bad.status_code == 200 and "data.time.period_malformed" in bad.text
    assert "cannot be imported" in bad.text and "/import" not in bad.text
    report = upload(person, release_id, DEMO_DATA.read_bytes(), DEMO_META.read_bytes(),
                    "Referrals")
    assert report.status_code == 200 and "No errors" in report.text
    assert "data.filter.single_option" in report.text  # warnings shown to read
    unticked = person.post(re.search(r'action="(/admin/uploads/[^"]+/import)"',
                                     report.text).group(1), {},
                           token_from=f"/admin/releases/{release_id}")
    assert unticked.status_code == 400  # warnings must be acknowledged
    import_upload(person, report, release_id)
    [data_set_id] = data_set_ids(person, release_id)
    public = f"{server.base}/data-catalogue/data-set/{data_set_id}"
    api = f"{server.api}/v1/data-sets/{data_set_id}"
    assert httpx.get(public).status_code == 404 and httpx.get(api).status_code == 404
    preview = person.get(f"/admin/releases/{release_id}/preview/{data_set_id}")
    assert preview.status_code == 200 and "Referrals" in preview.text
    # Schedule a few seconds ahead, in UK time.
    when = (datetime.now(UTC) + timedelta(seconds=4)).astimezone(ZoneInfo("Europe/London"))
    when = when.replace(second=0, microsecond=0) + timedelta(minutes=1)
    approved = person.post(f"/admin/releases/{release_id}/approve", {
        "when": "later", "date": when.strftime("%Y-%m-%d"), "time": when.strftime("%H:%M")},
        token_from=f"/admin/releases/{release_id}")
    assert approved.status_code == 303
    status = person.get(f"/admin/releases/{release_id}").text
    assert "Scheduled" in status and ("GMT" in status or "BST" in status)
    assert httpx.get(public).status_code == 404 and httpx.get(api).status_code == 404
    # Unschedule and reschedule for seconds from now by approving "now" after a check.
    assert person.post(f"/admin/releases/{release_id}/unschedule",
                       token_from=f"/admin/releases/{release_id}").status_code == 303
    assert httpx.get(public).status_code == 404
    assert person.post(f"/admin/releases/{release_id}/approve", {"when": "now"},
                       token_from=f"/admin/releases/{release_id}").status_code == 303
    assert httpx.get(public).status_code == 200 and httpx.get(api).status_code == 200


def test_exact_publish_time_not_a_second_early(site: tuple[LiveServer, Platform]) -> None:
    server, platform = site
    person = admin(site)
    release_id = make_release(person, "Timed statistics")
    import_upload(person, upload(person, release_id, DEMO_DATA.read_bytes(),
                                 DEMO_META.read_bytes(), "Timed"), release_id)
    [data_set_id] = data_set_ids(person, release_id)
    with platform.catalogue.connect() as conn:
        user = accounts.user_by_email(conn, "admin@example.org")
    assert user is not None
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    workflow.approve(platform.catalogue, user, release_id, when)
    url = f"{server.api}/v1/data-sets/{data_set_id}"
    while datetime.now(UTC) < when - timedelta(milliseconds=300):
        assert httpx.get(url).status_code == 404
        time.sleep(0.2)
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) + 0.2)
    assert httpx.get(url).status_code == 200
    assert release_id in [rv.release_id for rv in workflow.publish_due(platform.catalogue)]


def test_amendment_keeps_the_old_version_queryable(site: tuple[LiveServer, Platform]) -> None:
    server, _ = site
    person = admin(site)
    release_id = make_release(person, "Amended statistics")
    import_upload(person, upload(person, release_id, DEMO_DATA.read_bytes(),
                                 DEMO_META.read_bytes(), "Amended"), release_id)
    assert person.post(f"/admin/releases/{release_id}/approve", {"when": "now"},
                       token_from=f"/admin/releases/{release_id}").status_code == 303
    [data_set_id] = data_set_ids(person, release_id)
    changed = DEMO_DATA.read_bytes().replace(b"141760", b"141999")
    # A published release takes no upload; its amendment does.
    refused = upload(person, release_id, changed, DEMO_META.read_bytes(), "Amended",
                     replaces=data_set_id)
    assert refused.status_code == 409 and "Start an amendment" in refused.text
    amend(person, release_id)
    import_upload(person, upload(person, release_id, changed, DEMO_META.read_bytes(),
                                 "Amended", replaces=data_set_id), release_id)
    query = f"{server.api}/v1/data-sets/{data_set_id}/query"

    def values(**params: str) -> set[str]:
        rows = httpx.get(query, params=params).json()["results"]
        return {v for r in rows for v in r["values"].values()}

    assert "141760" in values() and "141999" not in values()  # the draft is not public yet
    without_note = approve_now(person, release_id)
    assert without_note.status_code == 400 and "release note" in without_note.text
    assert approve_now(person, release_id, "Corrected a count.").status_code == 303
    assert "141999" in values() and "141760" not in values()
    assert "141760" in values(dataSetVersion="1.0")  # the old numbers, still there
    versions = httpx.get(f"{server.api}/v1/data-sets/{data_set_id}/versions").json()
    assert [v["version"] for v in versions["results"]] == ["1.1", "1.0"]
    # "Publish now" records the release at once, each version with its own event.
    events = [e for e in httpx.get(f"{server.api}/v1/changes?pageSize=100").json()["results"]
              if e["release"]["id"] == release_id]
    assert [(e["type"], e["release"]["version"], e["dataSets"][0]["version"],
             e["release"]["notes"]) for e in events] == [
        ("release.published", 0, "1.0", ""),
        ("release.amended", 1, "1.1", "Corrected a count.")]


def test_audit_log_records_and_exports(site: tuple[LiveServer, Platform]) -> None:
    person = admin(site)
    make_release(person, "Audited statistics")
    page = person.get("/admin/audit")
    assert page.status_code == 200 and "create_release" in page.text
    exported = person.get("/admin/audit.csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["when (UTC)", "who", "action", "object type", "object id", "detail"]
    assert any(r[2] == "create_publication" and r[1] == "admin@example.org" for r in rows)


def test_csrf_and_lockout(site: tuple[LiveServer, Platform]) -> None:
    server, platform = site
    person = admin(site)
    forged = person.client.post("/admin/themes", data={"title": "No token"})
    assert forged.status_code == 400
    accounts.create_user(platform.catalogue, "careless@example.org", PASSWORD, "publisher")
    stranger = Person(server.base)
    for _ in range(sign_in.ACCOUNT_LIMIT):
        assert stranger.sign_in("careless@example.org", "wrong password!!").status_code == 400
    # Refused to the client that failed, with the same words as any failure (the rest of
    # throttling is tests/admin/test_sign_in.py).
    locked = stranger.sign_in("careless@example.org", PASSWORD)
    assert locked.status_code == 400 and "Enter a correct email address" in locked.text


def test_signed_out_people_are_sent_to_sign_in(site: tuple[LiveServer, Platform]) -> None:
    anyone = httpx.get(f"{site[0].base}/admin", follow_redirects=False)
    assert anyone.status_code == 303 and anyone.headers["location"].startswith("/admin/login")


def test_user_add_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "openstats.cli", "user", "add",
                           "new@example.org", "--role", "approver", "--data-dir",
                           str(tmp_path)], input=PASSWORD + "\n", capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    again = subprocess.run([sys.executable, "-m", "openstats.cli", "user", "add",
                            "new@example.org", "--data-dir", str(tmp_path)],
                           input=PASSWORD + "\n", capture_output=True, text=True)
    assert again.returncode == 1 and "already an account" in again.stderr


def test_user_add_with_an_unknown_publication_creates_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    def user_add(email: str, *options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "openstats.cli", "user", "add", email,
                               *options, "--data-dir", str(tmp_path)],
                              input=PASSWORD + "\n", capture_output=True, text=True)

    refused = user_add("new@example.org", "--publication", "no-such-publication")
    assert refused.returncode == 1
    assert "there is no publication 'no-such-publication'" in refused.stderr
    assert "no account was created" in refused.stderr and "Created" not in refused.stdout
    platform = open_platform(Settings(data_dir=tmp_path, database_url=""))
    try:
        with platform.catalogue.transaction() as conn:
            assert accounts.user_by_email(conn, "new@example.org") is None
            theme = publications.upsert_theme(conn, "Theme")
            publication = publications.upsert_publication(conn, theme, "Known one")
    finally:
        platform.close()
    # The same email can now be used, and a known slug assigns the account to it.
    done = user_add("new@example.org", "--publication", "known-one")
    assert done.returncode == 0, done.stderr
    platform = open_platform(Settings(data_dir=tmp_path, database_url=""))
    try:
        with platform.catalogue.connect() as conn:
            user = accounts.user_by_email(conn, "new@example.org")
        assert user is not None and allowed(user, "upload", publication)
    finally:
        platform.close()


def test_footnotes_attach_to_filters_options_and_indicators(
        site: tuple[LiveServer, Platform]) -> None:
    server, _ = site
    person = admin(site)
    release_id = make_release(person, "Footnoted statistics")
    import_upload(person, upload(person, release_id, DEMO_DATA.read_bytes(),
                                 DEMO_META.read_bytes(), "Footnoted"), release_id)
    [data_set_id] = data_set_ids(person, release_id)
    page = f"/admin/releases/{release_id}"
    for text, target in (("Whole set note.", ""), ("Percent note.", "indicator:referrals_percent"),
                         ("CINO note.", "option:level_description:3. CINO")):
        added = person.post(f"{page}/data-sets/{data_set_id}/footnotes",
                            {"text": text, "target": target}, token_from=page)
        assert added.status_code == 303
    wrong = person.post(f"{page}/data-sets/{data_set_id}/footnotes",
                        {"text": "x", "target": "indicator:nope"}, token_from=page)
    assert wrong.status_code == 400 and "no indicator" in wrong.text
    assert person.post(f"{page}/approve", {"when": "now"}, token_from=page).status_code == 303
    text = httpx.get(f"{server.base}/data-catalogue/data-set/{data_set_id}").text
    assert "Whole set note." in text and "Indicator: Percent" in text
    assert "Highest level of intervention: 3. CINO" in text
    meta = httpx.get(f"{server.api}/v1/data-sets/{data_set_id}/meta").json()
    level = next(f for f in meta["filters"] if f["column"] == "level_description")
    first = next(o["id"] for o in level["options"] if o["label"] == "1. No futher action")
    referrals = next(i["id"] for i in meta["indicators"] if i["column"] == "referrals")
    table = httpx.get(f"{server.base}/data-tables/table", params=[
        ("dataSetId", data_set_id), ("locations", meta["locations"][0]["options"][0]["id"]),
        ("start", "2017|RY"), ("end", "2017|RY"), (f"filter_{level['id']}", first),
        (f"filter_{meta['filters'][1]['id']}", meta["filters"][1]["options"][0]["id"]),
        ("indicators", referrals)]).text
    assert "Whole set note." in table  # applies to every table
    assert "Percent note." not in table and "CINO note." not in table  # not chosen


def test_data_set_page_shows_the_change_log(site: tuple[LiveServer, Platform]) -> None:
    server, _ = site
    person = admin(site)
    release_id = make_release(person, "Logged statistics")
    page = f"/admin/releases/{release_id}"
    import_upload(person, upload(person, release_id, DEMO_DATA.read_bytes(),
                                 DEMO_META.read_bytes(), "Logged"), release_id)
    assert person.post(f"{page}/approve", {"when": "now"}, token_from=page).status_code == 303
    [data_set_id] = data_set_ids(person, release_id)
    fewer = b"\n".join(line for line in DEMO_DATA.read_bytes().split(b"\n")
                       if b"5. ICPC" not in line)
    amend(person, release_id)
    import_upload(person, upload(person, release_id, fewer, DEMO_META.read_bytes(), "Logged",
                                 replaces=data_set_id), release_id)
    assert approve_now(person, release_id, "Dropped ICPC.").status_code == 303
    text = re.sub(r"<[^>]+>", " ", httpx.get(
        f"{server.base}/data-catalogue/data-set/{data_set_id}").text)
    text = re.sub(r"\s+", " ", text)
    assert "Version history" in text
    assert "2.0 (major)" in text and "Removed 1 filter option." in text
    assert "1.0" in text and "First version" in text
    old = httpx.get(f"{server.base}/data-catalogue/data-set/{data_set_id}?version=1.0").text
    assert "Not the latest data" in old


def test_pre_release_access_is_for_named_people_only(site: tuple[LiveServer, Platform]) -> None:
    server, platform = site
    person = admin(site)
    release_id = make_release(person, "Pre-released statistics")
    page = f"/admin/releases/{release_id}"
    import_upload(person, upload(person, release_id, DEMO_DATA.read_bytes(),
                                 DEMO_META.read_bytes(), "Early"), release_id)
    [data_set_id] = data_set_ids(person, release_id)
    for email in ("early@example.org", "other@example.org"):
        accounts.create_user(platform.catalogue, email, PASSWORD, "publisher")
    granted = person.post(f"{page}/pre-release", {"email": "early@example.org"}, token_from=page)
    assert granted.status_code == 303
    shown = person.follow(granted).text  # in the release page's success banner
    assert "govuk-notification-banner--success" in shown
    assert "once it is approved and scheduled" in shown
    when = (datetime.now(UTC) + timedelta(hours=2)).astimezone(ZoneInfo("Europe/London"))
    assert person.post(f"{page}/approve", {"when": "later", "date": when.strftime("%Y-%m-%d"),
                                           "time": when.strftime("%H:%M")},
                       token_from=page).status_code == 303
    url = f"/data-catalogue/data-set/{data_set_id}"
    assert httpx.get(server.base + url).status_code == 404  # the public
    early, other = Person(server.base), Person(server.base)
    early.sign_in("early@example.org")
    other.sign_in("other@example.org")
    assert early.get(url).status_code == 200 and "Early" in early.get(url).text
    assert other.get(url).status_code == 404
    # Outside the window (here: scheduled more than 24 hours ahead) nobody sees it early.
    assert person.post(f"{page}/unschedule", token_from=page).status_code == 303
    later = when + timedelta(days=3)
    person.post(f"{page}/approve", {"when": "later", "date": later.strftime("%Y-%m-%d"),
                                    "time": later.strftime("%H:%M")}, token_from=page)
    assert early.get(url).status_code == 404


def test_titles_and_summaries_can_be_edited(site: tuple[LiveServer, Platform]) -> None:
    server, _ = site
    person = admin(site)
    release_id = make_release(person, "Retitled statistics")
    page = f"/admin/releases/{release_id}"
    import_upload(person, upload(person, release_id, DEMO_DATA.read_bytes(),
                                 DEMO_META.read_bytes(), "First title"), release_id)
    [data_set_id] = data_set_ids(person, release_id)
    edited = person.post(f"{page}/data-sets/{data_set_id}/details", {
        "title": "Better title", "summary": "Better summary."}, token_from=page)
    assert edited.status_code == 303
    too_long = person.post(f"{page}/data-sets/{data_set_id}/details", {
        "title": "x" * 121}, token_from=page)
    assert too_long.status_code == 400
    preview = person.get(f"{page}/preview/{data_set_id}").text
    assert "Better title" in preview and "Better summary." in preview
