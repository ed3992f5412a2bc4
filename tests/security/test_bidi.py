"""Characters that reorder text (U+202E and friends) in labels and titles: the screener
warns, pages isolate them, downloads keep the text as it was published.

A release whose titles, labels and filter options hold every kind of direction control
(overrides, embeddings, isolates left open, a stray closing isolate, marks) is loaded and
its public pages crawled in process: no control may act outside the text it came in.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openstats.app import create_app
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from openstats.standards.bidi import CONTROLS, FSI, PDI, isolate, visible
from openstats.standards.screening.screen import screen
from tests.conftest import REFERENCE
from tests.security.test_xss import crawl
from tests.support.inprocess import InProcessClient

RLO, LRE, PDF, RLI, LRM = "\u202e", "\u202a", "\u202c", "\u2067", "\u200e"
DATA_SET_ID = "44444444-0000-4000-8000-000000000001"
THEME = f"Theme {RLI}left open"
PUBLICATION = f"Publication {PDI}{RLO} after a stray close"
RELEASE = f"Release {LRE}embedded"
TITLE = f"Pupils {RLO}2023 to 2024"
LABEL = f"Rate{RLO}%05"
OPTION = f"Second{RLO}yra"
FEATURED = f"Featured {LRM}table"
OPENS = "\u2066\u2067\u2068"


def acting_outside(html: str) -> list[str]:
    """Direction controls that are not inside an isolate: what could reorder the page
    around them. (JSON-LD is data for machines, never shown: it keeps the text.)"""
    shown = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.DOTALL)
    depth, found = 0, []
    for i, character in enumerate(shown):
        if character in OPENS:
            depth += 1
        elif character == PDI:
            if depth == 0:
                found.append(visible(shown[max(0, i - 30):i + 30]))
            depth = max(0, depth - 1)
        elif character in CONTROLS and depth == 0:
            found.append(visible(shown[max(0, i - 30):i + 30]))
    if depth:
        found.append(f"{depth} isolate(s) never closed")
    return found


def write_release(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [["time_period", "time_identifier", "geographic_level", "country_code",
             "country_name", "school_type", "pupils", "rate"]]
    for year in ("2021", "2022"):
        for n, option in enumerate((OPTION, "Primary", "Total")):
            rows.append([year, "Calendar year", "National", "E92000001", "England", option,
                         str(100 + n), f"{n}.5"])
    meta = [["col_name", "col_type", "label", "indicator_grouping", "indicator_unit",
             "indicator_dp", "filter_hint", "filter_grouping_column"],
            ["school_type", "Filter", f"School type {RLO}", "", "", "", "", ""],
            ["pupils", "Indicator", "Pupils", "", "", "0", "", ""],
            ["rate", "Indicator", LABEL, "", "%", "1", "", ""]]
    for name, table in (("bidi.csv", rows), ("bidi.meta.csv", meta)):
        with (folder / name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(table)

    def toml(text: str) -> str:
        return '"' + "".join(f"\\u{ord(c):04X}" if c in CONTROLS else c for c in text) + '"'

    (folder / "release.toml").write_text(f"""
[theme]
title = {toml(THEME)}

[publication]
title = {toml(PUBLICATION)}
slug = "bidi-publication"
summary = "Plain summary."

[publication.contact]
team_name = "Team"
team_email = "team@example.org"

[release]
title = {toml(RELEASE)}
slug = "bidi-release"
type = "Official statistics"
published = 2024-01-01T09:30:00Z

[[data_sets]]
id = "{DATA_SET_ID}"
title = {toml(TITLE)}
summary = "A summary."
data = "bidi.csv"
meta = "bidi.meta.csv"

[[data_sets.featured_tables]]
name = {toml(FEATURED)}
locations = ["NAT|code|E92000001"]
time_periods = ["2021|CY", "2022|CY"]
indicators = ["pupils", "rate"]
""", encoding="utf-8")
    return folder / "release.toml"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcessClient, Path]]:
    folder = tmp_path_factory.mktemp("bidi")
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        scheduler_seconds=0, rate_limit=0)
    platform = open_platform(settings)
    files = folder / "files"
    load_manifest(platform, write_release(files))
    platform.close()
    with InProcessClient(create_app(settings), follow_redirects=True) as client:
        yield client, files


def test_the_screener_warns_about_each_control(site: tuple[InProcessClient, Path],
                                               tmp_path: Path) -> None:
    _, files = site
    with screen(files / "bidi.csv", files / "bidi.meta.csv", reference_dir=REFERENCE,
                workdir=tmp_path) as s:
        report = s.report
    found = report.by_rule()["data.bidi"]
    assert report.ok  # a warning: the publisher reads it and decides
    assert {(f.file, f.column, f.row) for f in found} == {
        ("bidi.meta.csv", "label", 2), ("bidi.meta.csv", "label", 4),
        ("bidi.csv", "school_type", 2), ("bidi.csv", "school_type", 5)}
    assert report.counts["data.bidi"] == 4
    label = next(f for f in found if f.row == 4)
    assert "[U+202E RIGHT-TO-LEFT OVERRIDE]" in label.message and label.value == LABEL


def test_public_pages_keep_every_control_inside_its_text(site: tuple[InProcessClient, Path]
                                                        ) -> None:
    client, _ = site
    pages = crawl(client, ["/", "/data-catalogue", "/find-statistics/bidi-publication",
                           "/find-statistics/bidi-publication/bidi-release",
                           f"/data-catalogue/data-set/{DATA_SET_ID}",
                           "/data-tables?publication=bidi-publication"])
    assert len(pages) > 8, sorted(pages)
    assert {path: found for path, html in pages.items()
            if (found := acting_outside(html))} == {}
    # The texts are there, isolated (not removed, not altered).
    data_set = pages[f"/data-catalogue/data-set/{DATA_SET_ID}"]
    assert f'<h1 class="govuk-heading-xl">{FSI}{TITLE}{PDI}</h1>' in data_set
    assert f"<title>{FSI}{TITLE}{PDI}" in data_set
    tables = [html for path, html in pages.items() if path.startswith("/data-tables/")]
    assert any(FSI + LABEL + PDI in html for html in tables)
    assert any(FSI + FEATURED + PDI in html for html in tables)
    # In the table's caption, a sentence of labels, each label is isolated on its own:
    # the override in one cannot reverse the years after it.
    captions = [c for html in tables for c in re.findall(
        r'<h2 class="govuk-heading-s app-table-title" id="table-caption">(.*?)</h2>', html,
        re.DOTALL) if LABEL in c]
    assert captions and all(f"{FSI}{LABEL}{PDI} in England between 2021 and 2022" in c
                            for c in captions), captions
    home = pages["/"]
    assert FSI + THEME + PDI * 2 in home  # its open isolate closed, then ours
    assert FSI + PUBLICATION.replace(PDI, "") + PDI in home  # the stray close dropped


def test_downloads_keep_the_text_as_published(site: tuple[InProcessClient, Path]) -> None:
    client, files = site
    # A table from the table tool, as CSV: one row per observation, the cells holding the
    # labels exactly as published (the caption is a page's, not the data's).
    page = client.get(f"/data-catalogue/data-set/{DATA_SET_ID}").text
    fast_track = re.search(r'href="(/data-tables/fast-track/[^"]+)"', page)
    assert fast_track
    link = re.search(r'href="(/data-tables/table\.csv\?[^"]+)"',
                     client.get(fast_track.group(1)).text)
    assert link
    rows = list(csv.reader(io.StringIO(client.get(link.group(1).replace("&amp;", "&")).text)))
    assert rows[0][0].lstrip("\ufeff") == "time_period"
    assert not any(c in cell for row in rows for cell in row for c in (FSI, PDI))
    assert "Total" in {cell for row in rows[1:] for cell in row}  # filter labels, as they are
    archive = client.get(f"/data-catalogue/data-set/{DATA_SET_ID}/zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        data = next(n for n in z.namelist() if n.endswith(".csv") and "meta" not in n
                    and n.startswith("data/"))
        assert z.read(data) == (files / "bidi.csv").read_bytes()
    api = client.get(f"/api/v1/data-sets/{DATA_SET_ID}/meta").json()
    assert LABEL in {i["label"] for i in api["indicators"]}
    assert OPTION in {o["label"] for f in api["filters"] for o in f["options"]}


def test_isolate() -> None:
    assert isolate("Plain text") == "Plain text"
    assert isolate(f"a{RLO}b") == f"{FSI}a{RLO}b{PDI}"
    assert isolate(f"a{PDI}b") == f"{FSI}ab{PDI}"  # a stray close would close ours
    assert isolate(f"{RLI}a{RLI}b{PDI}") == f"{FSI}{RLI}a{RLI}b{PDI}{PDI}{PDI}"
    assert isolate(f"{LRE}a{PDF}") == f"{FSI}{LRE}a{PDF}{PDI}"
    assert acting_outside(isolate(f"x{PDI}{PDI}{RLO}{RLI}y")) == []


def test_finalize_leaves_markup_and_ids_alone(site: tuple[InProcessClient, Any]) -> None:
    from markupsafe import Markup

    from openstats.web.pages import templates

    template = templates.env.from_string("{{ a }}|{{ b }}|{{ c }}")
    assert template.render(a=f"x{RLO}", b=Markup(f"<b>{RLO}</b>"), c=7) == \
        f"{FSI}x{RLO}{PDI}|<b>{RLO}</b>|7"
