"""Every page shows publishers' and readers' text as text, never as markup or script.

The hostile release (hostile.py) puts script tags, attribute break-outs, `javascript:`
links and SVG handlers into every field a publisher fills in and into the data files'
labels; readers' own input (search terms, query strings, paths) gets the same. Each page
is crawled over real HTTP and parsed: no inline script, no event-handler attribute, no
script URL, no raw payload. (The browser test test_csp.py checks the same pages in
chromium, where a dialog would show if anything ran.)
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlparse

import httpx

from tests.admin.helpers import Person
from tests.api.conftest import LiveServer
from tests.security.hostile import (
    BREAKOUT,
    DATA_SET_ID,
    PAYLOADS,
    PUBLICATION_SLUG,
    RELEASE_SLUG,
    SCRIPT,
    markup_problems,
)

MAX_PAGES = 120
SKIP = (".csv", ".xlsx", ".ods", "/zip", "/api/v1/", "/static/", "mailto:", "/admin/logout")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def crawl(client: httpx.Client, starts: list[str]) -> dict[str, str]:
    """HTML pages reachable from `starts` on the same site (at most MAX_PAGES): path -> html."""
    seen: dict[str, str] = {}
    queue = list(starts)
    base = str(client.base_url)
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        answer = client.get(path)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        seen[path] = answer.text
        parser = Links()
        parser.feed(answer.text)
        for href in parser.hrefs:
            target = urlparse(urljoin(base + path, href))
            if target.netloc != urlparse(base).netloc or any(s in href for s in SKIP):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


def table_path(site: LiveServer) -> str:
    """The table tool's table of every hostile option, both years and both indicators."""
    meta = httpx.get(f"{site.api}/v1/data-sets/{DATA_SET_ID}/meta").json()
    attack = meta["filters"][0]
    params = [("dataSetId", DATA_SET_ID), ("locations", meta["locations"][0]["options"][0]["id"]),
              ("start", "2021|CY"), ("end", "2022|CY"),
              *((f"filter_{attack['id']}", o["id"]) for o in attack["options"]),
              *(("indicators", i["id"]) for i in meta["indicators"])]
    return "/data-tables/table?" + "&".join(f"{k}={quote(v)}" for k, v in params)


def assert_safe(pages: dict[str, str]) -> None:
    found = {path: problems for path, html in pages.items() if (problems := markup_problems(html))}
    assert found == {}, found


def test_public_pages_show_hostile_text_as_text(hostile: LiveServer) -> None:
    with httpx.Client(base_url=hostile.base, timeout=60, follow_redirects=True) as client:
        pages = crawl(client, [
            "/", "/data-catalogue", f"/find-statistics/{PUBLICATION_SLUG}/{RELEASE_SLUG}",
            f"/data-catalogue/data-set/{DATA_SET_ID}",
            f"/data-catalogue/data-set/{DATA_SET_ID}?preview=all",
            f"/data-tables?publication={PUBLICATION_SLUG}", table_path(hostile), "/api/docs"])
        # The crawl reached the pages that show the most hostile text.
        kinds = {urlparse(p).path.rsplit("/", 1)[0] for p in pages}
        assert {"/data-catalogue/data-set", "/find-statistics/" + PUBLICATION_SLUG,
                "/data-tables/fast-track", "/data-tables"} <= kinds, sorted(kinds)
        # The text is there, escaped: the payloads reached the pages.
        release = pages[f"/find-statistics/{PUBLICATION_SLUG}/{RELEASE_SLUG}"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in release
        table = pages[table_path(hostile)]
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in table \
            or "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in table
        assert "<svg" in table  # the chart was drawn, with the labels inside it escaped
        permalink = client.post("/data-tables/permalink",
                                content=table_path(hostile).split("?", 1)[1],
                                headers={"content-type": "application/x-www-form-urlencoded"})
        assert permalink.status_code == 200 and "/data-tables/permalink/" in str(permalink.url)
        pages[str(permalink.url)] = permalink.text
    assert len(pages) >= 10
    assert_safe(pages)


def test_readers_input_is_escaped_where_it_is_shown(hostile: LiveServer) -> None:
    """Search terms, table-tool parameters and unknown paths come back as text."""
    pages = {}
    with httpx.Client(base_url=hostile.base, timeout=60, follow_redirects=True) as client:
        for payload in PAYLOADS:
            for path in (f"/data-catalogue?search={quote(payload)}",
                         f"/data-catalogue?search={quote(payload)}&sort={quote(payload)}"
                         f"&page={quote(payload)}",
                         f"/data-tables?publication={quote(payload)}",
                         f"/data-tables?dataSetId={DATA_SET_ID}&locations={quote(payload)}"
                         f"&start={quote(payload)}&indicators={quote(payload)}",
                         f"/find-statistics/{quote(payload, safe='')}",
                         f"/admin/login?next={quote(payload)}"):
                answer = client.get(path)
                assert answer.status_code < 500, path
                pages[path] = answer.text
        shown = pages[f"/data-catalogue?search={quote(SCRIPT)}"]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert_safe(pages)


def test_publishing_pages_show_hostile_text_as_text(hostile: LiveServer, admin: Person) -> None:
    client = admin.client
    client.follow_redirects = True
    # Publishers' own edits are hostile too: a data set title and a footnote.
    release = crawl(client, ["/admin"])
    release_paths = [p for p in release if p.startswith("/admin/releases/")]
    assert release_paths, sorted(release)
    token_page = release_paths[0]
    # The release is published: publishers write in an amendment.
    admin.post(f"{token_page}/amend", token_from=token_page)
    answer = admin.post(f"{token_page}/data-sets/{DATA_SET_ID}/footnotes", {
        "text": f"Added {SCRIPT} {BREAKOUT}", "target": ""}, token_from=token_page)
    assert answer.status_code < 400, answer.text[:500]
    pages = crawl(client, ["/admin", "/admin/audit", *release_paths])
    assert any("/preview/" in p for p in pages), sorted(pages)
    assert_safe(pages)
