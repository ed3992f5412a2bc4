"""Publishers' markdown becomes formatted HTML that cannot run script or break our CSP.

Unit tests of `openstats.web.markdown` with hostile and honest markdown, then the hostile
release (hostile.py) over HTTP: its guidance, summaries and footnotes show their honest
formatting as GOV.UK-styled HTML on the real pages, and none of the attacks survive.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from markupsafe import Markup

from openstats.web.markdown import plain, render
from tests.api.conftest import LiveServer
from tests.security.hostile import (
    DATA_SET_ID,
    MARKDOWN_ATTACKS,
    PUBLICATION_SLUG,
    RELEASE_SLUG,
    markup_problems,
)
from tests.security.test_xss import table_path

SAFE_LINK = ('<a href="https://example.org/safe" class="govuk-link" '
             'rel="noopener noreferrer">a safe link</a>')


class Tags(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def hrefs(html: str) -> list[str | None]:
    return [attrs.get("href") for tag, attrs in tags(html) if tag == "a"]


@pytest.mark.parametrize("text", MARKDOWN_ATTACKS + (
    "<script>alert(1)</script>", "[x](JaVaScRiPt:alert(1))", "[x](\tjavascript:alert(1))",
    "[x](java\nscript:alert(1))", "[x](<javascript:alert(1)>)", "[x]: javascript:alert(1)\n\n[x]",
    "<svg onload=alert(1)>", '<div onclick="alert(1)">d</div>', "<!-- <script>alert(1) -->",
    "[x](ftp://example.org/)", "[x](file:///etc/passwd)", "![x](https://example.org/x.png)"))
def test_hostile_markdown_renders_harmless(text: str) -> None:
    html = render(text)
    assert isinstance(html, Markup)
    assert markup_problems(html) == [], html
    for tag, attrs in tags(html):
        # Only the allowlist's tags, with only our classes, an http(s)/mailto href on links.
        assert tag in ("p", "a", "br", "strong", "em", "code"), html
        assert set(attrs) <= {"class", "href", "rel"}, html
        if tag == "a" and "href" in attrs:
            assert (attrs["href"] or "").startswith(("https:", "http:", "mailto:")), html
    assert not re.search(r"<(script|img|iframe|svg|div|style)\b", html, re.IGNORECASE), html


def test_script_links_lose_their_target_but_keep_their_words() -> None:
    for text in ("[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))",
                 "[x]( javascript:alert(1))", "[x](&#106;avascript:alert(1))",
                 "[x](vbscript:msgbox(1))", "[x](data:text/html,<b>hi</b>)"):
        html = render(text)
        assert hrefs(html) in ([], [None]), html
        assert "x" in html


@pytest.mark.parametrize("text", (
    "[a](//evil.example)", "[a](//evil.example/path?q=1)", r"[a](\\\\evil.example)",
    r"[a](/\\evil.example)", r"[a](\\/evil.example)", r"[a](/\/evil.example)",
    "[a](<//evil.example>)", "[a]( //evil.example)", "[a](<\t//evil.example>)",
    "[a](%2F%2Fevil.example)", "[a](/%5Cevil.example)", "[a]: //evil.example\n\n[a]",
    "[a](///evil.example)"))
def test_scheme_relative_links_lose_their_target(text: str) -> None:
    # A browser reads each of these as a link to evil.example (backslashes count as
    # slashes, tabs vanish), so none may keep its href; the words stay.
    html = render(text)
    assert hrefs(html) in ([], [None]), html
    assert "evil.example" not in html.split(">", 1)[0] and ">a</a>" in html, html


def test_same_site_links_keep_their_target() -> None:
    for target in ("/find-statistics", "/data-catalogue?search=pupils", "#contents",
                   "data-guidance", "../methodology", "?page=2"):
        assert hrefs(render(f"[a]({target})")) == [target], target


def test_raw_html_is_shown_as_text() -> None:
    assert render("<script>alert(1)</script>") == \
        '<p class="govuk-body">&lt;script&gt;alert(1)&lt;/script&gt;</p>'
    assert render('<a href="https://example.org/">raw</a>') == \
        '<p class="govuk-body">&lt;a href="https://example.org/"&gt;raw&lt;/a&gt;</p>'
    assert render("<iframe src=x></iframe>") == \
        '<p class="govuk-body">&lt;iframe src=x&gt;&lt;/iframe&gt;</p>'
    assert render("<img src=x onerror=alert(1)>") == \
        '<p class="govuk-body">&lt;img src=x onerror=alert(1)&gt;</p>'


def test_images_are_not_shown() -> None:
    html = render("![x](data:text/html,<script>alert(1)</script>) ![chart](https://e.org/c.png)")
    assert "<img" not in html and "&lt;script&gt;" in html
    assert all(tag != "img" for tag, _ in tags(html))


def test_links_get_govuk_class_and_rel() -> None:
    assert render("[a safe link](https://example.org/safe)") == \
        f'<p class="govuk-body">{SAFE_LINK}</p>'
    assert render("[mail](mailto:team@example.org)") == (
        '<p class="govuk-body"><a href="mailto:team@example.org" class="govuk-link" '
        'rel="noopener noreferrer">mail</a></p>')
    # Links to our own pages stay relative.
    assert hrefs(render("[releases](/find-statistics)")) == ["/find-statistics"]
    # A title is dropped: only href (and our class and rel) are kept.
    assert 'title=' not in render('[x](https://example.org/ "t")')


def test_headings_move_down_a_level() -> None:
    html = render("# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six")
    assert [tag for tag, _ in tags(html)] == ["h2", "h3", "h4", "h4", "h4"]
    assert '<h2 class="govuk-heading-m">One</h2>' in html
    assert '<h3 class="govuk-heading-s">Two</h3>' in html
    assert "<h1" not in html


def test_lists_tables_and_quotes_get_govuk_classes() -> None:
    html = render("- a\n- b\n\n1. c\n2. d\n\n> quoted\n\n| x | y |\n|--:|---|\n| 1 | 2 |")
    assert '<ul class="govuk-list govuk-list--bullet">\n<li>a</li>' in html
    assert '<ol class="govuk-list govuk-list--number">\n<li>c</li>' in html
    assert '<blockquote class="govuk-inset-text">' in html
    assert '<table class="govuk-table">' in html and '<td class="govuk-table__cell">1</td>' in html
    # The table's alignment would be a style attribute, which our CSP refuses.
    assert "style=" not in html
    assert 'start="3"' in render("3. third\n4. fourth")


def test_emphasis_and_code() -> None:
    assert render("**bold** _em_ `x<y`") == \
        '<p class="govuk-body"><strong>bold</strong> <em>em</em> <code>x&lt;y</code></p>'


def test_plain_text_renders_as_paragraphs() -> None:
    assert render("Just words, it's 5 > 3 & \"fine\".") == \
        '<p class="govuk-body">Just words, it\'s 5 &gt; 3 &amp; "fine".</p>'
    assert render("First paragraph\nwrapped.\n\nSecond.") == \
        '<p class="govuk-body">First paragraph\nwrapped.</p>\n<p class="govuk-body">Second.</p>'
    assert render("") == "" and render("   ") == ""
    assert render("Lead.", paragraph_class="govuk-body-l") == '<p class="govuk-body-l">Lead.</p>'


def test_a_footnote_is_inline_when_it_is_one_paragraph() -> None:
    assert render("**Note:** see [x](https://example.org/)", inline=True) == (
        '<strong>Note:</strong> see <a href="https://example.org/" class="govuk-link" '
        'rel="noopener noreferrer">x</a>')
    # Longer footnotes keep their blocks.
    assert render("One.\n\n- a", inline=True).startswith('<p class="govuk-body">One.</p>')
    assert render("<script>alert(1)</script>", inline=True) == \
        "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_plain_keeps_the_words_only() -> None:
    assert plain("# Title\n\nSome **bold** [link](https://x.org/) `code`\n\n- a\n- b") == \
        "Title Some bold link code a b"
    # Plain text is a str, escaped by Jinja like any other.
    assert plain("<script>alert(1)</script>") == "<script>alert(1)</script>"
    assert not isinstance(plain("x"), Markup)


def test_pages_show_publishers_markdown_formatted_and_safe(hostile: LiveServer) -> None:
    with httpx.Client(base_url=hostile.base, timeout=60) as client:
        release = client.get(f"/find-statistics/{PUBLICATION_SLUG}/{RELEASE_SLUG}").text
        data_set = client.get(f"/data-catalogue/data-set/{DATA_SET_ID}").text
        table = client.get(table_path(hostile)).text
        home = client.get("/").text
    for name, html in (("release", release), ("data set", data_set), ("table", table),
                       ("home", home)):
        assert markup_problems(html) == [], name
        assert html.count("<h1") == 1, name  # a publisher's "#" is an h2 here
        # (markup_problems also refuses style attributes, which our CSP would block.)
        assert not [h for h in hrefs(html) if h and h.strip().lower().startswith(
            ("javascript:", "data:", "vbscript:"))], name
    # Release page: guidance, publication summary (lead) and data set summary are formatted.
    assert '<h2 class="govuk-heading-m">Heading one</h2>' in release
    assert "<strong>Bold words</strong>" in release and SAFE_LINK in release
    assert '<ul class="govuk-list govuk-list--bullet">\n<li>first item</li>' in release
    assert '<p class="govuk-body-l">Summary &lt;svg onload=alert(1)&gt;' in release
    assert release.count(SAFE_LINK) == 3  # guidance, publication and data set summaries
    # The attacks are there as text.
    assert "&lt;iframe src=javascript:alert(1)&gt;" in release
    assert '&lt;a href="javascript:alert(1)"&gt;raw link&lt;/a&gt;' in release
    # Data set page: summary as the lead paragraph, footnotes formatted.
    assert '<p class="govuk-body-l">Data set summary' in data_set and SAFE_LINK in data_set
    footnote = ('<li><strong>Bold footnote</strong> with <a href="mailto:team@example.org" '
                'class="govuk-link" rel="noopener noreferrer">a footnote link</a></li>')
    assert footnote in data_set
    assert "<li>Footnote &lt;script&gt;alert(1)&lt;/script&gt;</li>" in data_set
    # Table tool: the same footnotes.
    assert footnote in table
    # Lists of publications show the summary's words, without formatting.
    assert "Summary &lt;svg onload=alert(1)&gt; javascript:alert(1) Heading one Bold words" \
        in home
    assert "**Bold words**" not in home
