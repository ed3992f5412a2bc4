"""Publishers' markdown (data guidance, summaries, footnotes) as safe GOV.UK-styled HTML.

Two layers, so that neither alone has to be right:

1. markdown-it-py's CommonMark parser with raw HTML off: any `<tag>` a publisher types
   comes out escaped, as text. Images are off too (a statistics page has no use for
   publisher-hosted pictures, and an `<img>` is a tracking and phishing vector).
2. nh3 (the Rust ammonia sanitiser) re-parses that HTML and keeps only an allowlist of
   tags, only `href` on links (http, https, mailto or a same-site reference: not
   `//host` or its look-alikes, see openstats.urls) and `start` on numbered lists, and
   adds `rel="noopener noreferrer"` to every link. It also sets the GOV.UK
   Frontend class of each tag, so classes never come from the publisher and no `style`
   attribute (which our Content-Security-Policy would block) survives.

Headings move down a level (`#` becomes `<h2>`): the page's own title is its only `<h1>`.
`plain` gives the same text with the formatting taken out, for places such as lists and
radio hints where links and paragraphs would not fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from openstats import urls

# CommonMark, raw HTML escaped, bare URLs left as text; GFM tables on (statistics
# publishers write them), images off (see the module docstring).
_PARSER = (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
           .enable("table").disable("image"))

# Markdown heading level -> tag on the page: h1 is the page title's, and GOV.UK pages
# rarely go deeper than h4.
_HEADINGS = {"h1": "h2", "h2": "h3", "h3": "h4", "h4": "h4", "h5": "h4", "h6": "h4"}

# Each allowed tag with the GOV.UK Frontend class it always gets ("" for none).
_CLASSES: dict[str, str] = {
    "p": "govuk-body",
    "br": "",
    "strong": "",
    "em": "",
    "code": "",
    "pre": "",
    "ul": "govuk-list govuk-list--bullet",
    "ol": "govuk-list govuk-list--number",
    "li": "",
    "a": "govuk-link",
    "h2": "govuk-heading-m",
    "h3": "govuk-heading-s",
    "h4": "govuk-heading-s",
    "blockquote": "govuk-inset-text",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    "table": "govuk-table",
    "thead": "govuk-table__head",
    "tbody": "govuk-table__body",
    "tr": "govuk-table__row",
    "th": "govuk-table__header",
    "td": "govuk-table__cell",
}
# "*" empty: no attribute on every tag (nh3 would otherwise keep `title` and `lang`).
_ATTRIBUTES: dict[str, set[str]] = {"*": set(), "a": {"href"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on each attribute it keeps: an href without an allowed scheme must
    stay on this site. (nh3 passes `//host` and `/\\host` as relative.)"""
    if tag == "a" and attribute == "href" and not value.lower().startswith(
            tuple(f"{scheme}:" for scheme in _SCHEMES)) and not urls.is_same_site(value):
        return None
    return value


def _shift_headings(tokens: Sequence[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _HEADINGS[token.tag]


def _unwrap_single_paragraph(tokens: Sequence[Token]) -> None:
    """Render a one-paragraph text without its <p>, the way markdown-it renders the
    paragraphs of a tight list: for text that sits inside another element's line."""
    if [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]:
        tokens[0].hidden = tokens[2].hidden = True


def render(text: str, *, paragraph_class: str = "govuk-body", inline: bool = False) -> Markup:
    """`text` (markdown) as sanitised HTML, safe to put straight into a page.

    `paragraph_class` styles the paragraphs (for example "govuk-body-l" for a lead
    paragraph); `inline` drops the <p> around text that is a single paragraph, for
    footnotes whose list item starts with other text.
    """
    tokens = _PARSER.parse(text or "")
    _shift_headings(tokens)
    if inline:
        _unwrap_single_paragraph(tokens)
    html = _PARSER.renderer.render(tokens, _PARSER.options, {})
    classes = {tag: {"class": css} for tag, css in _CLASSES.items() if css}
    classes["p"] = {"class": paragraph_class}
    clean = nh3.clean(
        html,
        tags=set(_CLASSES),
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        attribute_filter=_keep_attribute,
        link_rel="noopener noreferrer",
        set_tag_attribute_values=classes,
        strip_comments=True,
    )
    # nh3's output is the sanitiser's own serialisation: only allowlisted tags and
    # attributes remain, so marking it safe for Jinja is sound.
    return Markup(clean.strip())


def plain(text: str) -> str:
    """`text` (markdown) as plain text: the words, without formatting or link targets.

    Blocks are joined with spaces. The result is a `str`, so Jinja escapes it as usual.
    """
    words: list[str] = []
    for token in _PARSER.parse(text or ""):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    words.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    words.append(" ")
            words.append(" ")
        elif token.type in ("code_block", "fence"):
            words.append(token.content + " ")
    return " ".join("".join(words).split())
