"""The bad-file corpus uploaded through the publishing side, over real HTTP.

A refused upload shows the screening report (rule, file, row, column, message, all
escaped) at its own address, stores nothing of the files (every file under the data folder
and every catalogue row are the same afterwards, but for the report kept with the upload's
record and the audit log's "upload" line), and leaves the site answering. File names are
the browser's to choose, so hostile ones are tried too.
"""

from __future__ import annotations

import html
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from openstats.catalogue import accounts
from openstats.catalogue.schema import audit_log
from openstats.platform import Platform, open_platform
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person
from tests.api.conftest import LiveServer, serve
from tests.conftest import REFERENCE
from tests.reliability import differences, snapshot
from tests.standards.bad_files import CORPUS, BadFile, markup_cells
from tests.standards.pairs import base
from tests.support.publishing import make_release


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Platform]]:
    folder = tmp_path_factory.mktemp("bad-uploads")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    # As after the site's first upload: the folder uploads go to is there, empty.
    (settings.data_dir / "uploads").mkdir()
    for server in serve(settings):
        yield server, platform
    platform.close()


@pytest.fixture(scope="module")
def person(site: tuple[LiveServer, Platform]) -> Person:
    who = Person(site[0].base)
    assert who.sign_in("admin@example.org").status_code == 303
    return who


@pytest.fixture(scope="module")
def release_id(person: Person) -> str:
    return make_release(person, "Bad uploads")


def audit_count(platform: Platform) -> int:
    with platform.catalogue.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


KEPT = ("upload.json", "report.json")  # what a refused upload keeps: its report's page


def state(site: tuple[LiveServer, Platform]) -> dict[str, object]:
    """Everything stored, but the records and reports of uploads (and their folders)."""
    taken = snapshot(site[0].data_dir, skip_tables=frozenset({"audit_log"}))
    files = taken["files"]
    assert isinstance(files, dict)
    taken["files"] = {name: digest for name, digest in files.items()
                      if not (name.startswith("uploads/") and (
                          name.count("/") == 1 or name.rsplit("/", 1)[1] in KEPT))}
    return taken


def send(person: Person, release_id: str, data: tuple[bytes, bytes], meta: tuple[bytes, bytes],
         title: str = "Bad upload") -> httpx.Response:
    """POST the upload form with the file names as raw bytes, exactly as given (httpx
    would percent-encode a NUL): (file name, content) for each file."""
    boundary = uuid.uuid4().hex
    parts = [
        (b'name="csrf_token"', person.token(f"/admin/releases/{release_id}").encode()),
        (b'name="title"', title.encode()), (b'name="summary"', b"A summary."),
        (b'name="data_set_id"', b""),
        (b'name="data_file"; filename="' + data[0] + b'"\r\nContent-Type: text/csv', data[1]),
        (b'name="meta_file"; filename="' + meta[0] + b'"\r\nContent-Type: text/csv', meta[1]),
    ]
    body = b"".join(b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; " + head
                    + b"\r\n\r\n" + content + b"\r\n" for head, content in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return person.follow(person.client.post(
        f"/admin/releases/{release_id}/upload", content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"}))


def upload_pair(person: Person, release_id: str, case: BadFile) -> httpx.Response:
    pair = case.build()
    return send(person, release_id, (pair.data_name.encode(), pair.data_text()),
                (pair.meta_name.encode(), pair.meta_text()), title=case.id)


def shows(page: str, text: str) -> bool:
    """`text` is on the page as text: escaped the way Jinja escapes it."""
    return html.escape(text) in page or text in page and html.escape(text) == text


@pytest.mark.parametrize("case", CORPUS, ids=str)
def test_bad_upload_is_refused_and_stores_nothing(
        site: tuple[LiveServer, Platform], person: Person, release_id: str,
        case: BadFile) -> None:
    server, platform = site
    before, audited = state(site), audit_count(platform)
    answer = upload_pair(person, release_id, case)
    assert answer.status_code == 200, answer.text[:3000]
    assert str(answer.url.path).startswith("/admin/uploads/")  # the report's own address
    page = answer.text
    for expect in case.expect:
        assert expect.rule in page, (case.id, expect.rule)
        assert shows(page, expect.text), (case.id, expect.text)
    # Cells and labels from the file are text on the page, never markup.
    assert "<script>alert" not in page and "<img src=x" not in page
    assert audit_count(platform) == audited + 1  # the attempt is on record
    uploads = server.data_dir / "uploads"
    if case.passes:
        assert "Import this data set" in page
        [pending] = [p for p in uploads.iterdir() if p.name in page]
        assert sorted(p.relative_to(pending).parts[0] for p in pending.rglob("*.csv")) == [
            "data", "meta"]
        return
    assert "Import this data set" not in page and "cannot be imported" in page
    assert differences(before, state(site)) == []
    kept = uploads / str(answer.url.path).rsplit("/", 1)[1]
    assert sorted(p.name for p in kept.iterdir()) == sorted(KEPT)  # no file of it is kept
    assert person.get(str(answer.url.path)).text.count("cannot be imported") == 1  # again
    assert person.client.get("/healthz").status_code == 200  # one client: see conftest


# --- file names ---------------------------------------------------------------------------

GOOD = base()


@pytest.mark.parametrize(("data_name", "meta_name", "status", "stored_as"), [
    (b"../../etc/passwd.csv", b"../../etc/passwd.meta.csv", 200, "passwd.csv"),
    (b"C:\\fakepath\\pupils.csv", b"C:\\fakepath\\pupils.meta.csv", 200, "pupils.csv"),
    (b"/etc/cron.d/pupils.csv", b"/etc/cron.d/pupils.meta.csv", 200, "pupils.csv"),
    (b"CON.csv", b"CON.meta.csv", 200, "CON.csv"),
    (b"pupils.csv", b"pupils.csv", 422, None),  # the same name twice
    (b"upload.json", b"pupils.meta.csv", 422, None),  # the upload's own record's name
], ids=["dot-dot-slash", "windows-path", "absolute-path", "windows-device", "same-name-twice",
        "record-name"])
def test_path_like_names_stay_inside_the_upload(
        site: tuple[LiveServer, Platform], person: Person, release_id: str, data_name: bytes,
        meta_name: bytes, status: int, stored_as: str | None) -> None:
    server, _ = site
    before = state(site)
    answer = send(person, release_id, (data_name, GOOD.data_text()),
                  (meta_name, GOOD.meta_text()))
    assert answer.status_code == 200, answer.text[:3000]
    assert ("Import this data set" in answer.text) == (status == 200)
    root = server.data_dir.parent
    # Nothing was written outside the data folder's uploads/<id>/ folder.
    assert not (root / "etc").exists() and not (server.data_dir / "etc").exists()
    assert not Path("/etc/cron.d/pupils.csv").exists()
    if stored_as is None:
        assert differences(before, state(site)) == []
        # The data file was screened as data, not overwritten by the meta file.
        assert "Line 2 has" not in answer.text and "meta.columns.missing" not in answer.text
        return
    [pending] = [p for p in (server.data_dir / "uploads").iterdir() if p.name in answer.text]
    assert (pending / "data" / stored_as).read_bytes() == GOOD.data_text()
    assert [p.name for p in (pending / "meta").iterdir()] == [
        stored_as.removesuffix(".csv") + ".meta.csv"]


@pytest.mark.parametrize(("data_name", "why"), [
    (b"pup\x00ils.csv", "control characters"),
    (b"pupils\x07.csv", "control characters"),
    (b"p" * 300 + b".csv", "304 characters long"),
    (b"..", "has no name"),
    (b"", "has no name"),
], ids=["nul", "bell", "very-long", "dot-dot", "empty"])
def test_impossible_names_are_refused(site: tuple[LiveServer, Platform], person: Person,
                                      release_id: str, data_name: bytes, why: str) -> None:
    before = state(site)
    answer = send(person, release_id, (data_name, GOOD.data_text()),
                  (b"pupils.meta.csv", GOOD.meta_text()))
    assert answer.status_code == 400, answer.text[:2000]
    assert why in answer.text
    assert differences(before, state(site)) == []


def test_a_zip_upload_is_refused(site: tuple[LiveServer, Platform], person: Person,
                                 release_id: str) -> None:
    from tests.standards.bad_files import _zip_bomb

    before = state(site)
    answer = send(person, release_id, (b"pupils.zip", _zip_bomb()),
                  (b"pupils.meta.csv", GOOD.meta_text()))
    assert answer.status_code == 200 and "cannot be imported" in answer.text
    assert "file.name.extension" in answer.text and "ZIP archive" in answer.text
    assert differences(before, state(site)) == []


def test_an_upload_cut_off_mid_file_stores_nothing(
        site: tuple[LiveServer, Platform], person: Person, release_id: str) -> None:
    """The browser's connection drops half-way through the data file."""
    server, _ = site
    before = state(site)
    boundary = "cutoff" + uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{person.token(f'/admin/releases/{release_id}')}\r\n--{boundary}\r\n"
            "Content-Disposition: form-data; name=\"data_file\"; filename=\"pupils.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode() + GOOD.data_text()[:200]
    url = urlsplit(server.base)
    cookies = "; ".join(f"{c.name}={c.value}" for c in person.client.cookies.jar)
    request = (f"POST /admin/releases/{release_id}/upload HTTP/1.1\r\nHost: {url.netloc}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {len(head) + 100_000}\r\nCookie: {cookies}\r\n\r\n"
               ).encode() + head
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(request)  # and then the connection closes, 100 kB short
    assert httpx.get(server.base + "/healthz").status_code == 200
    assert differences(before, state(site)) == []
    # The same person can upload straight afterwards.
    again = send(person, release_id, (b"pupils.csv", GOOD.data_text()),
                 (b"pupils.meta.csv", GOOD.meta_text()))
    assert again.status_code == 200


# --- markup, once published ----------------------------------------------------------------

def test_markup_is_shown_as_text_once_published(
        site: tuple[LiveServer, Platform], person: Person) -> None:
    server, _ = site
    release = make_release(person, "Markup statistics")
    pair = markup_cells()
    report = send(person, release, (b"pupils.csv", pair.data_text()),
                  (b"pupils.meta.csv", pair.meta_text()),
                  title="<script>alert('title')</script>")
    assert report.status_code == 200 and "data.markup" in report.text
    assert "Import this data set" in report.text
    action = re.search(r'action="(/admin/uploads/[^"]+/import)"', report.text)
    assert action
    assert person.post(action.group(1), {"acknowledge": "yes"},
                       token_from=f"/admin/releases/{release}").status_code == 303
    page = person.get(f"/admin/releases/{release}").text
    [data_set_id] = set(re.findall(rf"/admin/releases/{release}/preview/([0-9a-f-]+)", page))
    note = person.post(f"/admin/releases/{release}/data-sets/{data_set_id}/footnotes",
                       {"text": "<script>alert('footnote')</script>", "target": ""},
                       token_from=f"/admin/releases/{release}")
    assert note.status_code == 303
    assert person.post(f"/admin/releases/{release}/approve", {"when": "now"},
                       token_from=f"/admin/releases/{release}").status_code == 303
    public = httpx.get(f"{server.base}/data-catalogue/data-set/{data_set_id}")
    assert public.status_code == 200
    # The schema.org description is JSON inside a script element, where tags are inert;
    # only '</' (which could end the element early) must not appear in it.
    ld = r'<script type="application/ld\+json">(.*?)</script>'
    [json_ld] = re.findall(ld, public.text, re.DOTALL)
    assert "</" not in json_ld
    body = re.sub(ld, "", public.text, flags=re.DOTALL)
    for text in ("<script>alert('x')</script>", "Sex <img src=x onerror=alert(1)>",
                 "<script>alert('footnote')</script>", "<script>alert('title')</script>"):
        assert text not in body, text
    # Footnotes are markdown, escaped by the sanitiser, which leaves quotes in text as they are.
    assert "&lt;script&gt;alert('footnote')&lt;/script&gt;" in body
    release_page = httpx.get(f"{server.base}/find-statistics/markup-statistics/"
                             "2025").text
    assert "<script>alert" not in release_page and "<img src=x" not in release_page
    # The API hands the labels back exactly as written: JSON, not HTML.
    meta = httpx.get(f"{server.api}/v1/data-sets/{data_set_id}/meta").json()
    assert "<script>alert('x')</script>" in str(meta)
