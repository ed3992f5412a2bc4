"""The release page (EES's layout), its pre-release access list and its charts' downloads.

`/find-statistics/<publication>/<release>`: title, release type and what it means,
latest-or-not, dates, summary; headline facts and figures (key-statistic tiles and the
headline block); the content sections with their data blocks; explore data and files;
help and support; the updates; other releases. Every number on it is read from the
release's data-set versions through the query engine (present/blocks.py), and everything
shown comes from the published View, so nothing shows before its time.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from openstats import charts, http_cache
from openstats.catalogue.published import View
from openstats.dependencies import platform, public_view
from openstats.model import footnotes
from openstats.model.content import RELEASE_TYPE_GUIDANCE, DataBlock
from openstats.model.public import PublicDataSet, PublicRelease
from openstats.present import blocks, ees
from openstats.present.pages import data_set_row, release_row
from openstats.web import what_changed
from openstats.web.pages import meta_of, not_found, slug_file, templates

router = APIRouter()


@dataclass(frozen=True)
class BlockView:
    """A data block with what the page adds around it."""

    rendered: blocks.RenderedBlock
    anchor: str  # prefix of its element ids
    chart_url: str  # without the .svg / .png ending
    table_url: str  # the same table in the table tool ("" when it cannot be made)
    footnotes: list[footnotes.ShownFootnote]
    data_set_id: str
    data_set_title: str


def block_view(request: Request, release: PublicRelease, items: dict[str, PublicDataSet],
               block: DataBlock) -> BlockView:
    p = platform(request)
    chart_url = f"{release.url}/data-blocks/{block.id}/chart"
    item = items.get(block.data_set_id)
    if item is None:
        missing = blocks.RenderedBlock(block, None, None, "its data set is not in this release")
        return BlockView(missing, f"block-{block.id[:8]}", chart_url, "", [], block.data_set_id,
                         "")
    rendered = blocks.block(p, item, block)
    notes: list[footnotes.ShownFootnote] = []
    table_url = ""
    if rendered.selection is not None:
        v = blocks.version_of(p, item)
        notes = blocks.table_footnotes(item.footnotes, meta_of(request, item), v,
                                       rendered.selection)
        if not release.preview:
            table_url = "/data-tables/table?" + rendered.selection.query_string()
    return BlockView(rendered, f"block-{block.id[:8]}", chart_url, table_url, notes,
                     item.data_set_id, item.title)


def release_context(request: Request, view: View, found: PublicRelease) -> dict[str, object]:
    """Everything the release page shows (also for publishers' previews of drafts)."""
    p = platform(request)
    items = view.release_data_sets(found)
    by_id = {d.data_set_id: d for d in items}
    content = view.content(found)
    series = view.releases_of(found.publication_slug)
    latest = series[0] if series else found
    tiles = [blocks.tile(p, by_id[s.data_set_id], s) if s.data_set_id in by_id
             else blocks.Tile(s, "", "", "its data set is not in this release")
             for s in content.key_statistics]
    publication = view.publication(found.publication_slug)
    return {
        "release": release_row(found), "found": found, "content": content,
        "is_latest": latest.id == found.id, "latest": release_row(latest),
        "type_guidance": RELEASE_TYPE_GUIDANCE.get(found.version.release_type, ""),
        "tiles": tiles,
        "headline_blocks": [block_view(request, found, by_id, b)
                            for b in content.headline_blocks],
        "sections": [(s, [block_view(request, found, by_id, b) for b in s.blocks])
                     for s in content.sections],
        "data_sets": [data_set_row(d) for d in items],
        "summaries": {d.data_set_id: ees.summary_lists(meta_of(request, d)) for d in items},
        "featured": [t for d in items for t in view.featured_tables(d)],
        "zip_url": f"{found.url}/zip",
        "methodologies": view.methodologies_of(found.version.publication_id),
        "updates": view.updates(found),
        "what_changed": what_changed.of_release(request, view, found, items),
        "others": [release_row(r) for r in series if r.id != found.id],
        "successor": view.successor(publication.id) if publication else None,
        "preview_banner": found.preview,
        "alerts_available": bool(p.settings.smtp_url),  # web/alerts.py
    }


@router.get("/find-statistics/{publication}", response_class=HTMLResponse)
def latest_release(request: Request, publication: str) -> Response:
    releases = public_view(request).releases_of(publication)
    if not releases:
        return not_found(request)
    return release_page(request, publication, releases[0].slug)


@router.get("/find-statistics/{publication}/{release}", response_class=HTMLResponse)
def release_page(request: Request, publication: str, release: str) -> Response:
    view = public_view(request)
    found = view.release(publication, release)
    if found is None or not view.release_data_sets(found):
        return not_found(request)
    return http_cache.page(request, templates.TemplateResponse(
        request, "release.html", release_context(request, view, found)))


@router.get("/find-statistics/{publication}/{release}/prerelease-access-list",
            response_class=HTMLResponse)
def pre_release_access_list(request: Request, publication: str, release: str) -> Response:
    view = public_view(request)
    found = view.release(publication, release)
    if found is None or not view.content(found).pre_release_access_list.strip():
        return not_found(request)
    return http_cache.page(request, templates.TemplateResponse(
        request, "prerelease_access_list.html", {
            "release": release_row(found), "content": view.content(found),
            "preview_banner": found.preview}))


@router.get("/find-statistics/{publication}/{release}/data-blocks/{block_id}/chart.{kind}")
def block_chart(request: Request, publication: str, release: str, block_id: str,
                kind: str) -> Response:
    """A data block's chart as an SVG or PNG file (desktop width)."""
    view = public_view(request)
    found = view.release(publication, release)
    block = view.content(found).block(block_id) if found else None
    if found is None or block is None or kind not in ("svg", "png"):
        return not_found(request)
    items = {d.data_set_id: d for d in view.release_data_sets(found)}
    shown = block_view(request, found, items, block).rendered.chart
    if shown is None:
        return not_found(request)
    name = f"{slug_file(block.name)}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "Cache-Control": "no-store" if found.preview else "public, max-age=300"}
    if kind == "svg":
        return Response(shown.wide, media_type="image/svg+xml", headers=headers)
    return Response(charts.render_png(shown.wide), media_type="image/png", headers=headers)
