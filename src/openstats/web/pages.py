"""Public pages: home, data catalogue, data-set page, and the downloads of data sets and
releases (the release page itself is web/release_page.py).

Server-rendered with Jinja2 and GOV.UK Frontend; every page works without JavaScript.
Everything shown comes from `catalogue.published` (what is public at this moment, with
the words public with it) and the version's stored metadata and files; no page scans the
data.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from openstats import http_cache
from openstats.catalogue import listing_search, questions, version_specs
from openstats.catalogue.listing_search import CatalogueQuery
from openstats.catalogue.published import View
from openstats.dependencies import platform, preview_releases, public_view
from openstats.exports.guidance import GuidanceSection, guidance_text, variables
from openstats.exports.snippets import snippets
from openstats.exports.zips import stream_zip
from openstats.model import footnotes
from openstats.model.metadata import VersionMeta
from openstats.model.public import PublicDataSet
from openstats.present import ees
from openstats.present import questions as question_pages
from openstats.present.changes import version_changes
from openstats.present.pages import DataSetRow, data_set_row, pager, theme_groups
from openstats.standards import bidi, geography, gzipped
from openstats.web import markdown, what_changed

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# A title or label holding direction controls (U+202E and friends) must not reorder the
# text around it: every plain string a public page prints is isolated (standards/bidi.py).
# Sound because these pages' form values are ids and keys, never publishers' labels.
templates.env.finalize = bidi.isolate_plain_text
router = APIRouter()
PREVIEW_ROWS = 5
FULL_TABLE_LIMIT = 1_000  # "show the full table" is offered up to this many rows
PAGE_SIZE = 10
OGL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def long_date(value: datetime) -> str:
    return f"{value.day} {value:%B %Y}"


templates.env.filters["long_date"] = long_date
# Publishers' markdown: sanitised HTML where it is the content, plain words in lists.
templates.env.filters["markdown"] = markdown.render
templates.env.filters["markdown_text"] = markdown.plain


def not_found(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "not_found.html", {}, status_code=404)


def meta_of(request: Request, row: DataSetRow | PublicDataSet) -> VersionMeta:
    version_id = row.id if isinstance(row, DataSetRow) else row.version_id
    return platform(request).catalogue.metadata.get(version_id)


def slug_file(title: str) -> str:
    """A meaningful file name from a title: 'E1. Re-referrals by...' -> 'e1_re_referrals_by...'."""
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:60].rstrip("_") or "data"


def files_of(request: Request, row: DataSetRow) -> tuple[Path, Path]:
    storage = platform(request).storage
    return (storage.file(row.storage_key, row.data_file_name),
            storage.file(row.storage_key, row.meta_file_name))


# --- home ------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return http_cache.page(request, templates.TemplateResponse(
        request, "home.html", {"themes": theme_groups(public_view(request).themes())}))


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says: GOV.UK's, from our static route."""
    return RedirectResponse("/static/govuk/assets/images/favicon.ico", status_code=301)


# --- data-set page ---------------------------------------------------------------------------
def first_rows(path: Path, limit: int | None) -> tuple[list[str], list[list[str]]]:
    """The header and first rows of the stored CSV (the underlying data, as uploaded)."""
    with gzipped.open_text(path) as f:  # a .csv.gz is read unpacked
        reader = csv.reader(f)
        header = next(reader, [])
        rows = list(islice(reader, limit)) if limit is not None else list(reader)
    return header, rows


def details(row: DataSetRow, meta: VersionMeta) -> list[tuple[str, Any]]:
    """The 'Data set details' list, derived from the stored version and catalogue."""
    lists = ees.summary_lists(meta)
    times = meta.time_range_labels()
    if times is None:
        period = ""
    elif times[0] == times[1]:
        period = times[0]
    else:
        period = f"{times[0]} to {times[1]}"
    return [
        ("Theme", row.theme_title),
        ("Publication", row.publication_title),
        ("Release", row.release_title),
        ("Release type", row.release_type),
        ("Number of rows", f"{meta.row_count:,}"),
        ("Geographic levels", [geography.BY_CODE[c].label for c in meta.geographic_levels]),
        ("Indicators", lists["indicators"]),
        ("Filters", lists["filters"]),
        ("Time period", period),
    ]


def json_ld(request: Request, row: DataSetRow, meta: VersionMeta, csv_url: str) -> str:
    """schema.org Dataset with a CSVW table schema, for search engines and harvesters."""
    described = dict(variables(meta))
    times = meta.time_periods
    doc = {
        "@context": ["https://schema.org", {"csvw": "http://www.w3.org/ns/csvw#"}],
        "@type": "Dataset",
        "name": row.title,
        "description": row.summary,
        "url": str(request.url_for("data_set_page", data_set_id=row.data_set_id)),
        "identifier": row.data_set_id,
        "version": row.version,
        "license": OGL,
        "isAccessibleForFree": True,
        "datePublished": row.published.date().isoformat(),
        "creator": {"@type": "Organization", "name": row.contact_team_name,
                    "email": row.contact_team_email},
        "isPartOf": {"@type": "CreativeWork", "name": row.publication_title},
        "temporalCoverage": (f"{times[0].period[:4]}/{times[-1].period[:4]}"
                             if times else None),
        "distribution": [{"@type": "DataDownload", "encodingFormat": "text/csv",
                          "contentUrl": csv_url}],
        "mainEntity": {
            "@type": "csvw:Table",
            "csvw:tableSchema": {"csvw:columns": [
                {"csvw:name": c, "csvw:titles": described.get(c, c),
                 "csvw:datatype": "string",
                 **({"csvw:description": described[c]} if c in described else {})}
                for c in meta.columns
            ]},
        },
    }
    # Inside <script> no markup may appear: `<`, `>` and `&` are written as JSON escapes,
    # so no title (`</script>`, `<!--`) can end the element early or change how it parses.
    return (json.dumps(doc, ensure_ascii=False).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))


@router.get("/data-catalogue/data-set/{data_set_id}", response_class=HTMLResponse,
            name="data_set_page")
def data_set_page(request: Request, data_set_id: str, version: str | None = None,
                  preview: str | None = None) -> Response:
    # Not immutable even with ?version=: the page also says which version is the latest.
    return http_cache.page(request, render_data_set_page(request, data_set_id, version,
                                                         preview))


def render_data_set_page(request: Request, data_set_id: str, version: str | None,
                         preview: str | None, view: View | None = None) -> HTMLResponse:
    """The data-set page; publishers' previews pass a view holding their drafts."""
    view = view or public_view(request)
    versions = view.versions_of(data_set_id.lower())
    found = version_specs.resolve(version, versions)
    if found is None:
        return not_found(request)
    row = data_set_row(found)
    meta = meta_of(request, found)
    data_path, _ = files_of(request, row)
    show_all = preview == "all" and meta.row_count <= FULL_TABLE_LIMIT
    header, rows = first_rows(data_path, None if show_all else PREVIEW_ROWS)
    base = str(request.base_url).rstrip("/")
    csv_url = f"{base}/data-catalogue/data-set/{row.data_set_id}/csv"  # as EES shows it
    return templates.TemplateResponse(request, "data_set.html", {
        "ds": row, "meta": meta, "latest": data_set_row(versions[0]),
        "is_latest": found is versions[0], "preview_banner": found.preview,
        "details": details(row, meta), "header": header, "rows": rows, "show_all": show_all,
        "can_show_all": meta.row_count <= FULL_TABLE_LIMIT, "variables": variables(meta),
        "footnotes": footnotes.shown(found.footnotes, meta),
        "csv_url": csv_url, "open_formats": open_formats(base, row),
        "snippets": snippets(csv_url, f"{base}/api", row.data_set_id),
        "zip_name": slug_file(row.title) + ".zip",
        "json_ld": json_ld(request, row, meta, csv_url),
        "release_url": row.url,
        "featured": view.featured_tables(found),
        "history": history(request, view, versions),
        "what_changed": what_changed.of_version(request, view, found),
    })


def open_formats(base: str, row: DataSetRow) -> list[tuple[str, str]]:
    """Links to this version in the open formats (openstats extensions of the API)."""
    api = f"{base}/api/v1/data-sets/{row.data_set_id}"
    query = f"{api}/query?dataSetVersion={row.version}&format="
    return [("CSVW metadata describing the CSV (csv-metadata.json)",
             f"{api}/versions/{row.version}/csv-metadata.json"),
            ("JSON-stat 2.0", query + "json-stat"), ("SDMX-CSV 2.0", query + "sdmx-csv"),
            ("Parquet", query + "parquet")]


KIND_NAMES = {"filters": "filter", "filterOptions": "filter option", "indicators": "indicator",
              "geographicLevels": "geographic level", "locationGroups": "geographic level",
              "locationOptions": "location", "timePeriods": "time period"}


@dataclass(frozen=True)
class HistoryEntry:
    version: str
    published: datetime
    added: str  # what came or changed, in words ("2 filter options, 1 location")
    removed: str  # what went, in words
    major: bool


def history(request: Request, view: View, versions: list[PublicDataSet]) -> list[HistoryEntry]:
    """Each public version, newest first, with what changed from the one before it (as
    import recorded it: the same changes the API's /changes answers)."""
    out = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        added = removed = ""
        major = False
        if older is not None:
            change = version_changes(platform(request).catalogue, view, newer)
            gone, came = change.counts()

            def words(counts: dict[str, int]) -> str:
                return ", ".join(f"{n} {KIND_NAMES.get(kind, kind)}{'s' if n != 1 else ''}"
                                 for kind, n in counts.items())

            added, removed, major = words(came), words(gone), change.is_major
        out.append(HistoryEntry(newer.version.version, newer.published, added, removed, major))
    return out


def zip_response(request: Request, rows: list[DataSetRow],
                 entries: list[tuple[str, Path | str]], name: str, when: datetime,
                 pinned: bool) -> Response:
    """A streamed ZIP with an ETag made of what goes in it: the files' checksums, the
    generated texts and the timestamp, so the bytes need not be built to compare."""
    etag = http_cache.etag_of("zip", name, when.isoformat(),
                              *(f"{r.data_sha256}:{r.meta_sha256}" for r in rows),
                              *(f"{entry}:{content if isinstance(content, str) else ''}"
                                for entry, content in entries))
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               **http_cache.headers_for(request, etag, pinned=pinned, personal=True)}
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    return StreamingResponse(stream_zip(entries, when), media_type="application/zip",
                             headers=headers)


def bundle(request: Request, items: list[PublicDataSet]) -> list[tuple[str, Path | str]]:
    entries: list[tuple[str, Path | str]] = []
    sections = []
    for item in items:
        row = data_set_row(item)
        data, meta_file = files_of(request, row)
        entries += [(f"data/{row.data_file_name}", data),
                    (f"data/{row.meta_file_name}", meta_file)]
        meta = meta_of(request, item)
        notes = footnotes.shown(item.footnotes, meta)
        sections.append(GuidanceSection(row, meta, [
            (f"{n.applies_to}: " if n.applies_to else "") + n.text for n in notes]))
    entries.append(("data-guidance/data-guidance.txt", guidance_text(sections)))
    return entries


@router.get("/data-catalogue/data-set/{data_set_id}/csv")
def data_set_csv(request: Request, data_set_id: str, version: str | None = None) -> Response:
    """EES's "Download this data using code" URL: the API's CSV, which owns the file."""
    if version_specs.resolve(version, public_view(request).versions_of(data_set_id.lower())
                             ) is None:
        return not_found(request)
    query = f"?{urlencode({'dataSetVersion': version})}" if version else ""
    return RedirectResponse(f"/api/v1/data-sets/{data_set_id.lower()}/csv{query}",
                            status_code=302)


@router.get("/data-catalogue/data-set/{data_set_id}/zip")
def data_set_zip(request: Request, data_set_id: str, version: str | None = None) -> Response:
    found = version_specs.resolve(version, public_view(request).versions_of(data_set_id.lower()))
    if found is None:
        return not_found(request)
    row = data_set_row(found)
    return zip_response(request, [row], bundle(request, [found]),
                        slug_file(row.title) + ".zip", row.published,
                        pinned=http_cache.pins_version(version))


# --- release pages ---------------------------------------------------------------------------
@router.get("/find-statistics/{publication}/{release}/zip")
def release_zip(request: Request, publication: str, release: str) -> Response:
    view = public_view(request)
    found = view.release(publication, release)
    items = view.release_data_sets(found) if found else []
    if found is None or not items:
        return not_found(request)
    rows = [data_set_row(d) for d in items]
    name = f"{slug_file(rows[0].publication_title)}_{slug_file(release)}.zip"
    # A release can be amended (new versions of its data sets): never immutable.
    return zip_response(request, rows, bundle(request, items), name, rows[0].published,
                        pinned=False)


# --- data catalogue --------------------------------------------------------------------------
def latest_releases(request: Request, rows: list[DataSetRow]) -> set[tuple[str, str]]:
    """(publication, release) of each shown publication's latest release, whose data sets
    carry the "Latest data" tag, as EES's catalogue marks them."""
    view = public_view(request)
    out = set()
    for publication in {r.publication_slug for r in rows}:
        releases = view.releases_of(publication)
        if releases:
            out.add((publication, releases[0].slug))
    return out


@router.get("/data-catalogue", response_class=HTMLResponse)
def data_catalogue(request: Request, search: str = "", theme: str = "", publication: str = "",
                   release: str = "", geographic_level: str = "", sort: str = "",
                   page: str = "1") -> Response:
    """Search, filters, sorting and paging run in the catalogue's database (listing_search.py);
    the page's ten data sets are then shown from the published view like everywhere."""
    view = public_view(request)
    q = CatalogueQuery(search=search, theme=theme, publication=publication, release=release,
                       level=geographic_level, sort=sort,
                       page=int(page) if page.isdigit() and len(page) < 9 else 1,
                       page_size=PAGE_SIZE)
    found = listing_search.search(platform(request).catalogue, q, view.at, view.moment,
                           preview_releases(request))
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    if q.page > pages:
        q = replace(q, page=pages)
        found = listing_search.search(platform(request).catalogue, q, view.at, view.moment,
                               preview_releases(request))
    rows = [data_set_row(d) for d in (view.latest(i) for i in found.data_set_ids) if d]
    # A search of several words may be a question: read it against what data sets hold.
    reading = None
    if len([w for w in questions.normalise(search).split()
            if w not in questions.STOPWORDS]) >= 2 and q.page == 1:
        read = questions.read(platform(request).catalogue, search, view.at, view.moment)
        reading = question_pages.reading_page(read, view, platform(request).catalogue.metadata)
    metas = {r.id: meta_of(request, r) for r in rows}
    options = {"themes": found.options.themes, "publications": found.options.publications,
               "releases": found.options.releases,
               "levels": sorted(((c, geography.BY_CODE[c].label) for c in found.options.levels
                                 if c in geography.BY_CODE), key=lambda t: t[1])}
    chosen_sort = sort if sort in listing_search.SORTS else ""
    state = {k: v for k, v in {"search": search, "theme": theme, "publication": publication,
                                "release": release, "geographic_level": geographic_level,
                                "sort": chosen_sort}.items() if v}

    def link(**changes: Any) -> str:
        return "/data-catalogue?" + urlencode({**state, **changes})

    return http_cache.page(request, templates.TemplateResponse(request, "catalogue.html", {
        "results": [(r, ees.summary_lists(metas[r.id]), metas[r.id]) for r in rows],
        "latest_releases": latest_releases(request, rows),
        "total": found.total, "page": q.page, "pages": pages, "state": state,
        "pager": pager(q.page, pages),
        "options": options, "search": search, "sort": q.chosen_sort, "link": link,
        "reading": reading, "kind_names": question_pages.KIND_NAMES,
    }))
