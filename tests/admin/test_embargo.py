"""Nothing of a scheduled release is reachable before its time, on any route of the app.

The test walks the app's own route table, so a route added later is checked too: a
route with a path parameter this test cannot fill makes it fail until it is taught.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from openstats.app import create_app
from openstats.catalogue import content, methodologies, publications, releases
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.conftest import LiveServer, serve
from tests.conftest import REFERENCE
from tests.support.catalogue import FAR_AHEAD, reschedule

SECRET_ID = "33333333-0000-4000-8000-000000000001"
TITLE = "Embargoed referrals"
# Every kind of release content, renamed so that any leak of it can be seen.
SECRETS = {
    "Referrals after a child-in-need earlier referral": "Embargoed key statistic",
    "Re-referrals by level of intervention": "Embargoed section",
    "Referrals by highest level of intervention of the earlier referral, England, 2017":
        "Embargoed data block",
    "Children in need: re-referrals methodology": "Embargoed methodology",
    "children-in-need-re-referrals-methodology": "embargoed-methodology",
    'term = "Child in need"': 'term = "Embargoed glossary term"',
    'slug = "child-in-need"': 'slug = "embargoed-glossary-term"',
    "First published.": "Embargoed release note.",
    "Press officer, Children's Social Care": "Embargoed pre-release reader",
    "How often children come back": "Embargoed summary: how often children come back",
    "A third of the referrals in the reporting year": "Embargoed headline",
}
SECRET_WORDS = [w for w in SECRETS.values() if w.startswith(("Embargoed", "embargoed"))
                and "term =" not in w and "slug =" not in w] + ["Embargoed glossary term"]
# Every route is walked before the release's moment, however long that takes here: it is
# scheduled FAR_AHEAD, then brought forward to LEAD seconds ahead once the walk is done (as
# a publisher may, with the servers running: they must see the new moment, and keep the
# release hidden until it comes). LEAD covers one request.
LEAD = 2.0


def embargoed_manifest(folder: Path, when: datetime) -> Path:
    text = MANIFEST.read_text()
    text = text.replace("d9d4f804-df1b-48cf-a117-a8c8a4924ce0", SECRET_ID)
    text = text.replace('title = "Children in need: A focus on re-referrals"',
                        'title = "Embargoed publication"')
    text = text.replace('slug = "children-in-need-a-focus-on-re-referrals"',
                        'slug = "embargoed-publication"')
    text = text.replace("E1. Re-referrals by level of intervention by CSC, 2017-23", TITLE)
    text = text.replace("published = 2024-11-21T09:30:00Z",
                        f"published = {when.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    text = text.replace('data = "e1_re_referrals.csv"',
                        f'data = "{MANIFEST.parent}/e1_re_referrals.csv"')
    text = text.replace('meta = "e1_re_referrals.meta.csv"',
                        f'meta = "{MANIFEST.parent}/e1_re_referrals.meta.csv"')
    for old, new in SECRETS.items():
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "embargoed.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[LiveServer, dict, datetime, Settings]]:
    folder = tmp_path_factory.mktemp("embargo")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)  # something public beside it
    when = (datetime.now(UTC) + FAR_AHEAD).replace(microsecond=0)
    result = load_manifest(platform, embargoed_manifest(folder, when))
    with platform.catalogue.connect() as conn:
        rv = releases.latest_version(conn, result.release_id)
        assert rv is not None
        featured = releases.featured_tables(conn, frozenset({rv.id}))
        publication = publications.publication_by_slug(conn, "embargoed-publication")
        said = content.content_of(conn, rv.id)
        methodology_id = methodologies.find(conn, "embargoed-methodology")
    assert publication is not None and methodology_id is not None
    ids = {
        "dataSetId": SECRET_ID, "data_set_id": SECRET_ID,
        "publicationId": publication.id, "publication": "embargoed-publication",
        "publication_id": publication.id, "upload_id": SECRET_ID,
        "release": "2024", "dataSetVersion": "1.0", "table_id": featured[0].id,
        "kind": "csv", "release_id": result.release_id, "user_id": SECRET_ID,
        "block_id": said.blocks[0].id, "stat_id": said.key_statistics[0].id,
        "section_id": said.sections[0].id, "methodology_id": methodology_id,
        "slug": "embargoed-methodology",
    }
    ids |= {"level": "NAT", "identifier": "E92000001",  # England: both data sets have it
            "column": "referral_type",  # a filter column, for its code list
            "webhook_id": SECRET_ID}
    platform.close()
    for server in serve(settings):
        yield server, ids, when, settings


def bring_forward(settings: Settings, release_id: str) -> datetime:
    """Move the release's moment to LEAD seconds from now, the servers running."""
    platform = open_platform(settings)
    try:
        return reschedule(platform.catalogue, release_id, LEAD)
    finally:
        platform.close()


def walk(routes: list, prefix: str = "") -> list[tuple[str, str]]:  # type: ignore[type-arg]
    """(method, path) of routes, descending into included routers."""
    out = []
    for route in routes:
        if isinstance(route, Mount):
            continue  # static files
        if hasattr(route, "original_router"):  # an included router (FastAPI wraps them)
            out += walk(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute) or hasattr(route, "methods"):
            out += [(m, prefix + route.path) for m in sorted(route.methods or [])
                    if m in ("GET", "POST")]
    return out


def public_routes(tmp: Path) -> list[tuple[str, str]]:
    """(method, path template) of every route of the app, static files aside."""
    app = create_app(Settings(data_dir=tmp, database_url=""))
    return walk(app.routes)


def fill(path: str, ids: dict) -> str:
    import re

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"the embargo test does not know how to fill {{{name}}} in {path}"
        return str(ids[name])

    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", value, path)


# Query strings for routes that take the data set in the query, not the path.
QUERIES = {"/data-tables": "dataSetId={dataSetId}", "/data-tables/table": "dataSetId={dataSetId}",
           "/data-tables/table.{kind}": "dataSetId={dataSetId}"}


def look(server: LiveServer, method: str, template: str, ids: dict) -> httpx.Response:
    url = server.base + fill(template, ids)
    if template in QUERIES:
        url += "?" + QUERIES[template].format(**ids)
    if method == "POST":
        return httpx.post(url, json={}, follow_redirects=False, timeout=30)
    return httpx.get(url, follow_redirects=False, timeout=30)


def test_nothing_leaks_before_the_time_and_all_appears_after(
        scheduled: tuple[LiveServer, dict, datetime, Settings], tmp_path: Path) -> None:
    server, ids, when, settings = scheduled
    routes = public_routes(tmp_path)
    assert len(routes) > 25  # the whole app, not a sample
    before = {}
    for method, template in routes:
        answer = look(server, method, template, ids)
        before[(method, template)] = answer.status_code
        text = answer.text
        assert TITLE not in text and SECRET_ID not in text.replace(
            f"dataSetId={SECRET_ID}", ""), f"{method} {template} leaks the embargoed data set"
        assert "Embargoed publication" not in text, f"{method} {template} leaks the publication"
        for secret in SECRET_WORDS:
            assert secret not in text, f"{method} {template} leaks {secret!r}"
        if template.startswith("/admin") and template not in ("/admin/login",):
            # The publishing side is closed to anonymous people: sign-in, or refusal.
            assert answer.status_code in (303, 400, 404), (template, answer.status_code)
    assert datetime.now(UTC) < when, "the checks took longer than the embargo"
    when = bring_forward(settings, ids["release_id"])
    # Brought forward, it stays hidden until the new moment.
    assert httpx.get(f"{server.base}/data-catalogue/data-set/{SECRET_ID}").status_code == 404
    assert datetime.now(UTC) < when, "the check took longer than LEAD"
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) + 0.2)
    page = httpx.get(f"{server.base}/data-catalogue/data-set/{SECRET_ID}")
    assert page.status_code == 200 and TITLE in page.text
    api = httpx.get(f"{server.api}/v1/data-sets/{SECRET_ID}/query")
    assert api.status_code == 200 and api.json()["results"]
    listed = httpx.get(f"{server.api}/v1/publications").json()
    assert "Embargoed publication" in [p["title"] for p in listed["results"]]
    became_visible = [t for (m, t), s in before.items() if s == 404 and look(
        server, m, t, ids).status_code == 200]
    assert "/api/v1/data-sets/{dataSetId}" in became_visible
    assert "/data-tables/fast-track/{table_id}" in became_visible
    assert "/find-statistics/{publication}/{release}" in became_visible
    assert "/find-statistics/{publication}/{release}/prerelease-access-list" in became_visible
    assert "/methodology/{slug}" in became_visible
    assert "/data-catalogue/data-set/{data_set_id}/quality" in became_visible
    assert "/api/v1/data-sets/{dataSetId}/versions/{dataSetVersion}/quality" in became_visible
    england = httpx.get(f"{server.base}/locations/NAT/E92000001").text
    assert f'data-data-set-id="{SECRET_ID}"' in england and TITLE in england
    # Each kind of content is there now, where readers look for it.
    release = httpx.get(f"{server.base}/find-statistics/embargoed-publication/2024").text
    for secret in ("Embargoed key statistic", "Embargoed section", "Embargoed data block",
                   "Embargoed release note.", "Embargoed summary", "Embargoed headline",
                   "Embargoed methodology"):
        assert secret in release, secret
    assert "Embargoed glossary term" in httpx.get(f"{server.base}/glossary").text
    chart = f"/find-statistics/embargoed-publication/2024/data-blocks/{ids['block_id']}/chart.svg"
    assert httpx.get(server.base + chart).status_code == 200
    found = httpx.get(f"{server.base}/find-statistics?search=embargoed").text
    assert "Embargoed publication" in found


# --- a scheduled release of a data set that is already public (issue 12, finding 2) --------
DEMO_ID = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
DEMO_PUBLICATION = "children-in-need-a-focus-on-re-referrals"
# Every word the new release writes, each of them new to the site.
NEW_WORDS = {
    "publication summary": "Zanzibar publication summary",
    "data-set title": "E1. Quokka re-referrals",
    "data-set summary": "Wombat data set summary",
    "footnote": "Narwhal footnote",
    "data guidance": "Axolotl data guidance",
    "featured table": "Pangolin featured table",
}
OLD_TITLE = "E1. Re-referrals by level of intervention by CSC, 2017-23"
# Checking everything twice (each data-set route at 1.0 and 1.1) takes a while on a busy
# machine: the release is scheduled FAR_AHEAD and brought forward once it is done.


def next_release_manifest(folder: Path, when: datetime) -> Path:
    """The demo publication's next release, holding E1 again with new numbers and new
    words, scheduled for `when`."""
    data = (MANIFEST.parent / "e1_re_referrals.csv").read_text()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "e1_2025.csv").write_text(data.replace("141760", "141999"))
    (folder / "e1_2025.meta.csv").write_text(
        (MANIFEST.parent / "e1_re_referrals.meta.csv").read_text())
    w = NEW_WORDS
    text = MANIFEST.read_text()
    text = text.replace(
        'summary = "Ad-hoc statistics on re-referrals to children\'s social care services in '
        'England."', f'summary = "{w["publication summary"]}."')
    text = text.replace('title = "Reporting year 2024"\nslug = "2024"',
                        'title = "Reporting year 2025"\nslug = "2025"')
    text = text.replace("published = 2024-11-21T09:30:00Z",
                        f"published = {when.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    start = text.index('data_guidance = """')
    end = text.index('"""', start + len('data_guidance = """')) + 3
    text = text[:start] + f'data_guidance = "{w["data guidance"]}."' + text[end:]
    text = text.replace(f'title = "{OLD_TITLE}"', f'title = "{w["data-set title"]}"')
    start = text.index('summary = "Number of referrals')
    end = text.index("\n", start)
    text = text[:start] + f'summary = "{w["data-set summary"]}."' + text[end:]
    text = text.replace('data = "e1_re_referrals.csv"\nmeta = "e1_re_referrals.meta.csv"',
                        f'data = "e1_2025.csv"\nmeta = "e1_2025.meta.csv"\n'
                        f'footnotes = ["{w["footnote"]}."]')
    text = text.replace('name = "Re-referrals by highest level of intervention, England"',
                        f'name = "{w["featured table"]}"')
    path = folder / "next.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def next_release(tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[tuple[LiveServer, dict, datetime, Settings]]:
    folder = tmp_path_factory.mktemp("next-release")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        rate_limit=0)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)  # 1.0, public since 2024
    when = (datetime.now(UTC) + FAR_AHEAD).replace(microsecond=0)
    result = load_manifest(platform, next_release_manifest(folder / "next", when))
    assert result.versions == {NEW_WORDS["data-set title"]: "1.1"}
    with platform.catalogue.connect() as conn:
        rv = releases.latest_version(conn, result.release_id)
        assert rv is not None
        featured = releases.featured_tables(conn, frozenset({rv.id}))
        publication = publications.publication_by_slug(conn, DEMO_PUBLICATION)
        said = content.content_of(conn, rv.id)
        methodology_id = methodologies.find(conn, "children-in-need-re-referrals-methodology")
    assert publication is not None
    ids = {
        "dataSetId": DEMO_ID, "data_set_id": DEMO_ID, "publicationId": publication.id,
        "publication": DEMO_PUBLICATION, "publication_id": publication.id,
        "upload_id": DEMO_ID, "release": "2025", "dataSetVersion": "1.1",
        "table_id": featured[0].id, "kind": "csv", "release_id": result.release_id,
        "user_id": DEMO_ID, "block_id": said.blocks[0].id,
        "stat_id": said.key_statistics[0].id, "section_id": said.sections[0].id,
        "methodology_id": methodology_id, "slug": "children-in-need-re-referrals-methodology",
    }
    ids |= {"level": "NAT", "identifier": "E92000001",  # England, the demo's place
            "column": "referral_type", "webhook_id": SECRET_ID}
    platform.close()
    for server in serve(settings):
        yield server, ids, when, settings


def everything_shown(server: LiveServer, routes: list[tuple[str, str]], ids: dict) -> str:
    """What the public can get: every route of the app (and each data-set route at
    version 1.0 and latest), searches for each new word, the ZIPs unpacked."""
    import io
    import zipfile
    from urllib.parse import quote

    texts = []
    for version in ("1.1", "1.0"):
        for method, template in routes:
            texts.append(look(server, method, template, {**ids, "dataSetVersion": version})
                         .text)
    for word in NEW_WORDS.values():
        for url in (f"/data-catalogue?search={quote(word)}", f"/?q={quote(word)}",
                    f"/data-tables?q={quote(word)}",
                    f"/api/v1/publications?search={quote(word)}"):
            # A search page says what was searched for: that echo is not a leak.
            texts.append(httpx.get(server.base + url, timeout=30).text.replace(word, ""))
    for url in (f"/data-catalogue/data-set/{DEMO_ID}/zip",
                f"/find-statistics/{DEMO_PUBLICATION}/2024/zip",
                f"/find-statistics/{DEMO_PUBLICATION}/2025/zip"):
        answer = httpx.get(server.base + url, timeout=30)
        if answer.status_code == 200:
            with zipfile.ZipFile(io.BytesIO(answer.content)) as z:
                texts += [z.read(name).decode("utf-8", "replace") for name in z.namelist()]
    return "\n".join(texts)


def test_a_scheduled_release_keeps_its_words_until_its_moment(
        next_release: tuple[LiveServer, dict, datetime, Settings], tmp_path: Path) -> None:
    server, ids, when, settings = next_release
    routes = public_routes(tmp_path)
    shown = everything_shown(server, routes, ids)
    assert datetime.now(UTC) < when, "the checks took longer than the embargo"
    leaks = [name for name, word in NEW_WORDS.items() if word in shown]
    assert leaks == [], f"shown before the release's moment: {leaks}"
    # Nor its numbers (as a number of its own: /metrics holds timings like 0.0264151419996).
    assert not re.search(r"(?<![\d.])141,?999(?!\d)", shown)
    page = httpx.get(f"{server.base}/data-catalogue/data-set/{DEMO_ID}").text
    assert OLD_TITLE in page
    assert datetime.now(UTC) < when, "the checks took longer than the embargo"
    when = bring_forward(settings, ids["release_id"])
    # Brought forward, it stays hidden until the new moment.
    page = httpx.get(f"{server.base}/data-catalogue/data-set/{DEMO_ID}").text
    assert OLD_TITLE in page and NEW_WORDS["data-set title"] not in page
    assert datetime.now(UTC) < when, "the check took longer than LEAD"
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) + 0.2)
    # Now every new word is public, where it belongs ...
    latest = httpx.get(f"{server.base}/data-catalogue/data-set/{DEMO_ID}").text
    for name in ("data-set title", "data-set summary", "footnote", "featured table"):
        assert NEW_WORDS[name] in latest, name
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', latest, re.S)
    assert ld and NEW_WORDS["data-set title"] in ld.group(1)
    release = httpx.get(f"{server.base}/find-statistics/{DEMO_PUBLICATION}/2025").text
    assert NEW_WORDS["data guidance"] in release
    # The release page shows the release's own summary; find statistics the publication's.
    assert NEW_WORDS["publication summary"] in httpx.get(
        f"{server.base}/find-statistics").text
    listed = httpx.get(f"{server.api}/v1/publications").json()["results"]
    assert [p["summary"] for p in listed] == [f"{NEW_WORDS['publication summary']}."]
    assert NEW_WORDS["data-set title"] in httpx.get(
        f"{server.base}/data-catalogue?search=Quokka").text
    zipped = everything_shown(server, [], ids)
    assert NEW_WORDS["data guidance"] in zipped and NEW_WORDS["footnote"] in zipped
    # ... and version 1.0 keeps the words it was published with.
    old = httpx.get(f"{server.base}/data-catalogue/data-set/{DEMO_ID}?version=1.0").text
    heading = re.search(r'<h1 class="govuk-heading-xl">(.*?)</h1>', old, re.S)
    assert heading and heading.group(1).strip() == OLD_TITLE
    # (It links to the latest by its title; its own words are 1.0's.)
    assert NEW_WORDS["data-set summary"] not in old and NEW_WORDS["footnote"] not in old
    old_release = httpx.get(f"{server.base}/find-statistics/{DEMO_PUBLICATION}/2024").text
    assert NEW_WORDS["data guidance"] not in old_release
