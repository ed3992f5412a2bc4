"""A release whose every piece of text a publisher types is an attack: script tags,
attribute break-outs, `javascript:` links and spreadsheet formulas.

The payloads go into the theme, publication, release (title, guidance, next update,
contact), data set titles and summaries, footnotes, featured tables, and inside the data
files: filter labels, hints, filter options and indicator labels. The fields that are
markdown (guidance, summaries, footnotes) also get markdown and raw-HTML attacks, beside
some honest formatting (`FORMATTED`) that must come out as GOV.UK-styled HTML.
`write_release` writes the files and a manifest; `hostile_settings` loads it into a fresh
data folder. Tests then read every page and check that all of it came out as text.
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path

from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.conftest import REFERENCE

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
JS_LINK = "javascript:alert(1)"
SVG = "<svg onload=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example/","click")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
PAYLOADS = (SCRIPT, BREAKOUT, JS_LINK, SVG, FORMULA, DDE)
# Markdown that tries to make a script link, an image or a frame, or to smuggle raw HTML.
MARKDOWN_ATTACKS = (
    "[x](javascript:alert(1))", "[x](JAVASCRIPT:alert(1))", "[x]( javascript:alert(1))",
    "[x](&#106;avascript:alert(1))", "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:text/html,<script>alert(1)</script>)", "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">raw link</a>', "<iframe src=javascript:alert(1)></iframe>",
    '<p style="color:red">styled</p>', "[x](https://example.org/ \"title\")")
# Honest markdown (shown once each in guidance, summaries and a footnote).
FORMATTED = ("# Heading one\n\n**Bold words** and [a safe link](https://example.org/safe)."
             "\n\n- first item\n- second item")
FOOTNOTE = "**Bold footnote** with [a footnote link](mailto:team@example.org)"
# Strings that must never appear in a page as markup (escaped they read differently).
RAW_MARKUP = ("<script>alert", "<img src=x", "<svg onload", "onerror=alert(1)>")
DATA_SET_ID = "33333333-0000-4000-8000-000000000001"
PUBLICATION_SLUG = "hostile-publication"
RELEASE_SLUG = "hostile-release"


def _toml(text: str) -> str:
    """A TOML basic string holding `text` exactly."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def write_release(folder: Path) -> Path:
    """The data file, meta file and manifest of the hostile release; the manifest's path."""
    folder.mkdir(parents=True, exist_ok=True)
    options = [SCRIPT, BREAKOUT, JS_LINK, FORMULA, DDE, "Total"]
    rows = [["time_period", "time_identifier", "geographic_level", "country_code",
             "country_name", "attack", "pupils", "rate"]]
    for year in ("2021", "2022"):
        for n, option in enumerate(options):
            rows.append([year, "Calendar year", "National", "E92000001", "England", option,
                         str(100 + n), f"-{n}.5"])
    (folder / "hostile.csv").write_text(_csv(rows), encoding="utf-8")
    meta = [["col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
             "indicator_dp", "filter_hint", "filter_grouping_column"],
            ["attack", "Filter", f"Attack {SCRIPT}", "", "", "", BREAKOUT, ""],
            ["pupils", "Indicator", f"Pupils {BREAKOUT}", "", "", "0", "", ""],
            ["rate", "Indicator", f"{FORMULA}", "", "%", "1", "", ""]]
    (folder / "hostile.meta.csv").write_text(_csv(meta), encoding="utf-8")
    # Markdown fields: the old one-line attacks, then honest formatting, then markdown attacks.
    attacks = "\n\n".join(MARKDOWN_ATTACKS)
    publication_summary = "\n\n".join(["Summary " + SVG + " " + JS_LINK, FORMATTED, attacks])
    guidance = "\n\n".join(["Guidance " + SCRIPT + " [link](" + JS_LINK + ") " + BREAKOUT,
                             FORMATTED, attacks])
    data_set_summary = "\n\n".join(["Data set summary " + BREAKOUT + " " + FORMULA,
                                     FORMATTED, attacks])
    manifest = f"""
[theme]
title = {_toml("Theme " + SCRIPT)}

[publication]
title = {_toml("Publication " + BREAKOUT)}
slug = "{PUBLICATION_SLUG}"
summary = {_toml(publication_summary)}

[publication.contact]
team_name = {_toml("Team " + SCRIPT)}
team_email = "team@example.org"
contact_name = {_toml(BREAKOUT)}

[release]
title = {_toml("Release " + SCRIPT)}
slug = "{RELEASE_SLUG}"
type = "Official statistics"
published = 2024-01-01T09:30:00Z
next_update = {_toml(BREAKOUT)}
data_guidance = {_toml(guidance)}

[[data_sets]]
id = "{DATA_SET_ID}"
title = {_toml("Data set " + SCRIPT)}
summary = {_toml(data_set_summary)}
data = "hostile.csv"
meta = "hostile.meta.csv"
footnotes = [{_toml("Footnote " + SCRIPT)}, {_toml("[click](" + JS_LINK + ") " + SVG)},
             {_toml(FOOTNOTE)}, {_toml(attacks)}]

[[data_sets.featured_tables]]
name = {_toml("Featured " + SCRIPT)}
description = {_toml("Described " + BREAKOUT)}
locations = ["NAT|code|E92000001"]
time_periods = ["2021|CY", "2022|CY"]
indicators = ["pupils", "rate"]

[data_sets.featured_tables.filters]
attack = {_toml_list(options)}
"""
    path = folder / "release.toml"
    path.write_text(manifest, encoding="utf-8")
    return path


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml(v) for v in values) + "]"


def hostile_settings(folder: Path, admin: str | None = None) -> Settings:
    """A data folder in `folder` holding the hostile release (and an admin account, when
    `admin` names one); the settings to serve it with `tests.api.conftest.serve`."""
    from openstats.catalogue import accounts
    from tests.admin.helpers import PASSWORD

    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    load_manifest(platform, write_release(folder / "files"))
    if admin:
        accounts.create_user(platform.catalogue, admin, PASSWORD, "admin")
    platform.close()
    return settings


class Markup(HTMLParser):
    """Everything in a page that could run script: tags, event attributes, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = found
        if tag in ("img", "iframe", "object", "embed", "base"):
            self.problems.append(f"<{tag}> element: {found}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event attribute {name}={value!r} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}> (blocked by our CSP)")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value and \
                    value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"{name}={value!r} on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        script = self._in_script
        if script is not None and data.strip():
            if script.get("type") != "application/ld+json":
                self.problems.append(f"inline script: {data[:80]!r}")
            elif "<" in data:
                self.problems.append(f"markup inside JSON-LD: {data[:80]!r}")


def markup_problems(html: str) -> list[str]:
    """Why `html` could run someone's script (empty when it cannot)."""
    parser = Markup()
    parser.feed(html)
    parser.close()
    problems = list(parser.problems)
    problems += [f"raw markup {raw!r} in the page" for raw in RAW_MARKUP if raw in html]
    return problems
