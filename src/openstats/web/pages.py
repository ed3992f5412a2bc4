"""Public pages: home, data catalogue, data-set page, release pages, and their downloads.

Server-rendered with Jinja2 and GOV.UK Frontend; every page works without JavaScript.
Everything shown comes from `catalogue.published` (what is public) and the version's
stored metadata and files; no page scans the data.
"""

from __future__ import annotations

import csv
import json
import math
import re
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from openstats import http_cache
from openstats.api import views
from openstats.catalogue import footnotes
from openstats.catalogue.published import Published
from openstats.exports.guidance import guidance_text, variables
from openstats.exports.snippets import snippets
from openstats.exports.zips import stream_zip
from openstats.standards import geography, gzipped
from openstats.web import markdown

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
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


def platform(request: Request) -> Any:
    return request.app.state.platform


def viewer_releases(request: Request) -> frozenset[str]:
    """Releases the signed-in reader may see before their time (pre-release access)."""
    from datetime import timedelta

    from openstats import sessions
    from openstats.catalogue import accounts

    user_id = sessions.read(request).get("uid")
    if not user_id:
        return frozenset()
    p = platform(request)
    user = accounts.user_by_id(p.catalogue, user_id)
    return accounts.pre_release_ids(p.catalogue, user,
                                    timedelta(hours=p.settings.pre_release_hours))


def published(request: Request) -> Published:
    return Published.read(platform(request).catalogue, viewer_releases(request))


def meta_of(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    return platform(request).catalogue.version_metadata(row["id"])


def slug_file(title: str) -> str:
    """A meaningful file name from a title: 'E1. Re-referrals by...' -> 'e1_re_referrals_by...'."""
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:60].rstrip("_") or "data"


def files_of(request: Request, row: dict[str, Any]) -> tuple[Path, Path]:
    storage = platform(request).storage
    return (storage.file(row["storage_key"], row["data_file_name"]),
            storage.file(row["storage_key"], row["meta_file_name"]))


# --- home ------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return http_cache.page(request, templates.TemplateResponse(
        request, "home.html", {"themes": published(request).themes()}))


# --- data-set page ---------------------------------------------------------------------------
def first_rows(path: Path, limit: int | None) -> tuple[list[str], list[list[str]]]:
    """The header and first rows of the stored CSV (the underlying data, as uploaded)."""
    with gzipped.open_text(path) as f:  # a .csv.gz is read unpacked
        reader = csv.reader(f)
        header = next(reader, [])
        rows = list(islice(reader, limit)) if limit is not None else list(reader)
    return header, rows


def details(row: dict[str, Any], meta: dict[str, Any]) -> list[tuple[str, Any]]:
    """The 'Data set details' list, derived from the stored version and catalogue."""
    lists = views.summary_lists(meta)
    times = meta["time_periods"]
    if not times:
        period = ""
    elif times[0]["label"] == times[-1]["label"]:
        period = times[0]["label"]
    else:
        period = f"{times[0]['label']} to {times[-1]['label']}"
    return [
        ("Theme", row["theme_title"]),
        ("Publication", row["publication_title"]),
        ("Release", row["release_title"]),
        ("Release type", row["release_type"]),
        ("Number of rows", f"{meta['row_count']:,}"),
        ("Geographic levels", [geography.BY_CODE[c].label for c in meta["geographic_levels"]]),
        ("Indicators", lists["indicators"]),
        ("Filters", lists["filters"]),
        ("Time period", period),
    ]


def json_ld(request: Request, row: dict[str, Any], meta: dict[str, Any],
            csv_url: str) -> str:
    """schema.org Dataset with a CSVW table schema, for search engines and harvesters."""
    described = dict(variables(meta))
    times = meta["time_periods"]
    doc = {
        "@context": ["https://schema.org", {"csvw": "http://www.w3.org/ns/csvw#"}],
        "@type": "Dataset",
        "name": row["title"],
        "description": row["summary"],
        "url": str(request.url_for("data_set_page", data_set_id=row["data_set_id"])),
        "identifier": row["data_set_id"],
        "version": row["version"],
        "license": OGL,
        "isAccessibleForFree": True,
        "datePublished": row["published"].date().isoformat(),
        "creator": {"@type": "Organization", "name": row["contact_team_name"],
                    "email": row["contact_team_email"]},
        "isPartOf": {"@type": "CreativeWork", "name": row["publication_title"]},
        "temporalCoverage": (f"{times[0]['period'][:4]}/{times[-1]['period'][:4]}"
                             if times else None),
        "distribution": [{"@type": "DataDownload", "encodingFormat": "text/csv",
                          "contentUrl": csv_url}],
        "mainEntity": {
            "@type": "csvw:Table",
            "csvw:tableSchema": {"csvw:columns": [
                {"csvw:name": c, "csvw:titles": described.get(c, c),
                 "csvw:datatype": "string",
                 **({"csvw:description": described[c]} if c in described else {})}
                for c in meta["columns"]
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
                         preview: str | None, preview_releases: frozenset[str] = frozenset(),
                         include_drafts: bool = False) -> HTMLResponse:
    """The data-set page; publishers' previews pass their release and see its drafts."""
    # Only this data set's versions: the page costs the same in a catalogue of thousands.
    versions = platform(request).catalogue.public_versions(
        data_set_id=data_set_id.lower(),
        preview_releases=preview_releases or viewer_releases(request),
        include_drafts=include_drafts)
    if not versions:
        return not_found(request)
    row = next((v for v in versions if v["version"] == version), None) if version else versions[0]
    if row is None:
        return not_found(request)
    meta = meta_of(request, row)
    data_path, _ = files_of(request, row)
    show_all = preview == "all" and meta["row_count"] <= FULL_TABLE_LIMIT
    header, rows = first_rows(data_path, None if show_all else PREVIEW_ROWS)
    base = str(request.base_url).rstrip("/")
    csv_url = f"{base}/api/v1/data-sets/{row['data_set_id']}/csv"
    return templates.TemplateResponse(request, "data_set.html", {
        "ds": row, "meta": meta, "latest": versions[0], "is_latest": row is versions[0],
        "details": details(row, meta), "header": header, "rows": rows, "show_all": show_all,
        "can_show_all": meta["row_count"] <= FULL_TABLE_LIMIT, "variables": variables(meta),
        "footnotes": footnotes.for_page(json.loads(row["footnotes"]), meta),
        "csv_url": csv_url,
        "snippets": snippets(csv_url, f"{base}/api", row["data_set_id"]),
        "zip_name": slug_file(row["title"]) + ".zip",
        "json_ld": json_ld(request, row, meta, csv_url),
        "release_url": f"/find-statistics/{row['publication_slug']}/{row['release_slug']}",
        "featured": platform(request).catalogue.featured_tables([row["data_set_id"]]),
        "history": history(request, versions),
    })


KIND_NAMES = {"filters": "filter", "filter_options": "filter option", "indicators": "indicator",
              "geographic_levels": "geographic level", "locations": "location",
              "time_periods": "time period"}


def history(request: Request, versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each public version, newest first, with what changed from the one before it."""
    from openstats.ingest.changes import compare

    out = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        entry = {"version": newer["version"], "published": newer["version_published"]
                 or newer["published"], "added": "", "removed": "", "major": False}
        if older is not None:
            change = compare(meta_of(request, older), meta_of(request, newer))

            def words(part: dict[str, list[Any]]) -> str:
                return ", ".join(f"{len(items)} {KIND_NAMES[kind]}{'s' if len(items) != 1 else ''}"
                                 for kind, items in part.items())

            entry |= {"added": words(change["added"]), "removed": words(change["removed"]),
                      "major": change["major"]}
        out.append(entry)
    return out


def zip_response(request: Request, rows: list[dict[str, Any]],
                 entries: list[tuple[str, Path | str]], name: str, when: datetime,
                 pinned: bool) -> Response:
    """A streamed ZIP with an ETag made of what goes in it: the files' checksums, the
    generated texts and the timestamp, so the bytes need not be built to compare."""
    etag = http_cache.etag_of("zip", name, when.isoformat(),
                              *(f"{r['data_sha256']}:{r['meta_sha256']}" for r in rows),
                              *(f"{entry}:{content if isinstance(content, str) else ''}"
                                for entry, content in entries))
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               **http_cache.headers_for(request, etag, pinned=pinned, personal=True)}
    if http_cache.matches(request, etag):
        return http_cache.not_modified(headers)
    return StreamingResponse(stream_zip(entries, when), media_type="application/zip",
                             headers=headers)


def bundle(request: Request, rows: list[dict[str, Any]]) -> list[tuple[str, Path | str]]:
    entries: list[tuple[str, Path | str]] = []
    sections = []
    for row in rows:
        data, meta_file = files_of(request, row)
        entries += [(f"data/{row['data_file_name']}", data),
                    (f"data/{row['meta_file_name']}", meta_file)]
        meta = meta_of(request, row)
        notes = footnotes.for_page(json.loads(row["footnotes"]), meta)
        sections.append((row, meta, [(f"{n['applies_to']}: " if n["applies_to"] else "")
                                     + n["text"] for n in notes]))
    entries.append(("data-guidance/data-guidance.txt", guidance_text(sections)))
    return entries


@router.get("/data-catalogue/data-set/{data_set_id}/zip")
def data_set_zip(request: Request, data_set_id: str, version: str | None = None) -> Response:
    versions = published(request).versions_of(data_set_id.lower())
    row = next((v for v in versions if v["version"] == version), None) if version else (
        versions[0] if versions else None)
    if row is None:
        return not_found(request)
    return zip_response(request, [row], bundle(request, [row]),
                        slug_file(row["title"]) + ".zip", row["published"],
                        pinned=http_cache.pins_version(version))


# --- release pages ---------------------------------------------------------------------------
@router.get("/find-statistics/{publication}", response_class=HTMLResponse)
def latest_release(request: Request, publication: str) -> Response:
    releases = published(request).releases(publication)
    if not releases:
        return not_found(request)
    return release_page(request, publication, releases[0]["release_slug"])


@router.get("/find-statistics/{publication}/{release}", response_class=HTMLResponse)
def release_page(request: Request, publication: str, release: str) -> Response:
    p = published(request)
    rows = p.release_data_sets(publication, release)
    if not rows:
        return not_found(request)
    others = [r for r in p.releases(publication) if r["release_slug"] != release]
    return http_cache.page(request, templates.TemplateResponse(request, "release.html", {
        "release": rows[0], "data_sets": rows, "others": others,
        "zip_url": f"/find-statistics/{publication}/{release}/zip",
        "summaries": {r["data_set_id"]: views.summary_lists(meta_of(request, r)) for r in rows},
        "featured": platform(request).catalogue.featured_tables([r["data_set_id"] for r in rows]),
    }))


@router.get("/find-statistics/{publication}/{release}/zip")
def release_zip(request: Request, publication: str, release: str) -> Response:
    rows = published(request).release_data_sets(publication, release)
    if not rows:
        return not_found(request)
    name = f"{slug_file(rows[0]['publication_title'])}_{slug_file(release)}.zip"
    # A release can be amended (new versions of its data sets): never immutable.
    return zip_response(request, rows, bundle(request, rows), name, rows[0]["published"],
                        pinned=False)


# --- data catalogue --------------------------------------------------------------------------
def search_text(row: dict[str, Any], meta: dict[str, Any]) -> str:
    """What catalogue search looks through: title, summary, variables, filter options."""
    parts = [row["title"], row["title"], row["summary"]]
    parts += [f"{c} {d}" for c, d in variables(meta)]
    parts += [o["label"] for f in meta["filters"] for o in f["options"]]
    return " ".join(parts).lower()


@router.get("/data-catalogue", response_class=HTMLResponse)
def data_catalogue(request: Request, search: str = "", theme: str = "", publication: str = "",
                   release: str = "", geographic_level: str = "", sort: str = "",
                   page: str = "1") -> Response:
    p = published(request)
    rows = p.latest()
    metas = {r["id"]: meta_of(request, r) for r in rows}
    options = {
        "themes": sorted({(r["theme_slug"], r["theme_title"]) for r in rows}, key=lambda t: t[1]),
        "publications": sorted({(r["publication_slug"], r["publication_title"]) for r in rows
                                if not theme or r["theme_slug"] == theme}, key=lambda t: t[1]),
        "releases": sorted({(r["release_slug"], r["release_title"]) for r in rows
                            if r["publication_slug"] == publication}, key=lambda t: t[1]),
        "levels": sorted({(c, geography.BY_CODE[c].label) for m in metas.values()
                          for c in m["geographic_levels"]}, key=lambda t: t[1]),
    }
    if theme:
        rows = [r for r in rows if r["theme_slug"] == theme]
    if publication:
        rows = [r for r in rows if r["publication_slug"] == publication]
    if release:
        rows = [r for r in rows if r["release_slug"] == release]
    if geographic_level:
        rows = [r for r in rows if geographic_level in metas[r["id"]]["geographic_levels"]]
    terms = search.lower().split()
    scores: dict[str, int] = {}
    if terms:
        for r in rows:
            text = search_text(r, metas[r["id"]])
            if all(t in text for t in terms):
                scores[r["id"]] = sum(text.count(t) for t in terms)
        rows = [r for r in rows if r["id"] in scores]
    chosen_sort = sort if sort in ("newest", "title", "relevance") else ""
    sort = chosen_sort or ("relevance" if terms else "newest")
    if sort == "title":
        rows.sort(key=lambda r: r["title"].lower())
    elif sort == "relevance" and terms:
        rows.sort(key=lambda r: (-scores[r["id"]], r["title"].lower()))
    else:
        rows.sort(key=lambda r: (r["published"], r["title"]), reverse=True)
    total = len(rows)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page_no = min(max(int(page) if page.isdigit() else 1, 1), pages)
    state = {k: v for k, v in {"search": search, "theme": theme, "publication": publication,
                                "release": release, "geographic_level": geographic_level,
                                "sort": chosen_sort}.items() if v}

    def link(**changes: Any) -> str:
        return "/data-catalogue?" + urlencode({**state, **changes})

    shown = rows[(page_no - 1) * PAGE_SIZE: page_no * PAGE_SIZE]
    return http_cache.page(request, templates.TemplateResponse(request, "catalogue.html", {
        "results": [(r, views.summary_lists(metas[r["id"]])) for r in shown],
        "total": total, "page": page_no, "pages": pages, "state": state, "options": options,
        "search": search, "sort": sort, "link": link,
    }))

