"""Key-statistic tiles and data blocks as a release page shows them, with their numbers read
from the stored data-set version through the query engine the API uses.

A tile or a block names what it shows as people write it (a `TableSpec`: codes, period
keys, option labels, indicator columns); `query.tables.spec_to_selection` turns that into
the table tool's `Selection` for the data-set version the release holds, and
`query.pivot.build` runs it through `QueryEngine` exactly as the table tool and the API
do. Charts are the table tool's (`openstats.charts`): the chart spec comes from the
table and the block's chart type through `charts.data.spec_from`.

A rendered tile or block is a pure function of (data-set version, spec, chart), so it is
cached on those: a release page reads each number once per process, never per request.
Footnotes are words of the release version, so they are chosen per request (cheaply).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from openstats import charts
from openstats.charts import data as chart_data
from openstats.model import footnotes
from openstats.model.catalogue import TableSpec
from openstats.model.content import DataBlock, KeyStatistic
from openstats.model.metadata import VersionMeta
from openstats.model.public import PublicDataSet
from openstats.platform import Platform
from openstats.query import locations, pivot, tables
from openstats.query.engine import Version


@dataclass(frozen=True)
class Tile:
    stat: KeyStatistic
    value: str  # as shown: rounded to the indicator's decimal places, with its unit
    raw: str  # as published ("" when it could not be read)
    problem: str  # why there is no number, or ""


@dataclass(frozen=True)
class RenderedChart:
    spec: charts.ChartSpec
    data: charts.ChartData
    wide: str  # SVG at desktop width
    narrow: str  # SVG at phone width
    credit: bool  # a map: the boundaries' licence line goes under it


@dataclass(frozen=True)
class RenderedBlock:
    block: DataBlock
    table: pivot.Table | None
    chart: RenderedChart | None
    problem: str  # why there is no table, or ""
    selection: tables.Selection | None = None


TILES: charts.ChartCache[Tile] = charts.ChartCache(1024)
BLOCKS: charts.ChartCache[RenderedBlock] = charts.ChartCache(256)


def version_of(p: Platform, item: PublicDataSet) -> Version:
    """The query engine's index of a data-set version (cached by the engine)."""
    meta = p.catalogue.metadata.get_json(item.version_id)
    return p.engine.version(item.version_id,
                            p.storage.file(item.version.storage_key, "data.parquet"), meta)


def boundaries(p: Platform) -> Path | None:
    reference = p.settings.reference_dir
    return reference / "boundaries" if reference else None


def _spec_text(spec: TableSpec) -> str:
    return json.dumps(spec.as_json(), sort_keys=True, ensure_ascii=False)


def selection_for(v: Version, data_set_id: str, spec: TableSpec, limit: int
                  ) -> tuple[tables.Selection | None, str]:
    """The table tool's selection for a spec, or why the spec cannot be shown."""
    _, unmatched = tables.match_spec(v.meta, spec.as_json())
    if unmatched:
        return None, "; ".join(unmatched)
    sel = tables.spec_to_selection(v, data_set_id, spec.as_json())
    why = tables.problems(v, sel, limit)
    if why:
        return None, "; ".join(why.values())
    return sel, ""


# --- key statistics ---------------------------------------------------------------------
def tile(p: Platform, item: PublicDataSet, stat: KeyStatistic) -> Tile:
    key = f"{item.version_id}|{_spec_text(stat.spec())}"
    found = TILES.get(key, lambda: _read_tile(p, item, stat))
    return found if found.stat == stat else dataclasses.replace(found, stat=stat)


def _read_tile(p: Platform, item: PublicDataSet, stat: KeyStatistic) -> Tile:
    v = version_of(p, item)
    sel, why = selection_for(v, item.data_set_id, stat.spec(), 1)
    if sel is None:
        return Tile(stat, "", "", why)
    table = pivot.build(p.engine, v, sel, locations.tree(p.engine, v).labels)
    cells = [c for row in table.cells for c in row]
    if len(cells) != 1:
        return Tile(stat, "", "", f"this selects {len(cells)} numbers, not one")
    return Tile(stat, cells[0].text, cells[0].raw, "")


# --- data blocks ------------------------------------------------------------------------
def block(p: Platform, item: PublicDataSet, data_block: DataBlock) -> RenderedBlock:
    """The block's table and chart (cached on version, spec and chart)."""
    key = (f"{item.version_id}|{data_block.id}|{_spec_text(data_block.spec)}|"
           f"{data_block.chart}|{data_block.chart_indicator}")
    found = BLOCKS.get(key, lambda: _render_block(p, item, data_block))
    return found if found.block == data_block else dataclasses.replace(found,
                                                                       block=data_block)


def _render_block(p: Platform, item: PublicDataSet, data_block: DataBlock) -> RenderedBlock:
    v = version_of(p, item)
    sel, why = selection_for(v, item.data_set_id, data_block.spec,
                             int(p.settings.table_cell_limit))
    if sel is None:
        return RenderedBlock(data_block, None, None, why)
    table = pivot.build(p.engine, v, sel, locations.tree(p.engine, v).labels)
    return RenderedBlock(data_block, table, render_chart(p, v, sel, table, data_block),
                         "", sel)


def render_chart(p: Platform, v: Version, sel: tables.Selection, table: pivot.Table,
                 data_block: DataBlock) -> RenderedChart | None:
    """The block's chart, or None for a table-only block (or nothing to chart)."""
    kind = data_block.chart_kind
    if not kind:
        return None
    levels = {v.locations[x]["level"] for x in sel.locations if x in v.locations}
    level = chart_data.map_level(levels, boundaries(p))
    indicator = next((i["public_id"] for i in v.meta["indicators"]
                      if i["column"] == data_block.chart_indicator), "")
    spec = chart_data.spec_from(table, {"chart_type": kind, "chart_indicator": indicator},
                                level)
    codes = {x: v.locations[x]["code"] or "" for x in sel.locations if x in v.locations}
    data = chart_data.chart_data(table, spec, codes)
    if spec.kind == "map":
        data = dataclasses.replace(data, level=level)
    prefix = f"block-{data_block.id[:8]}"
    wide = charts.render_svg(spec, data, width=charts.WIDE, prefix=f"{prefix}-wide",
                             boundaries=boundaries(p))
    if not wide:
        return None
    narrow = charts.render_svg(spec, data, width=charts.NARROW, prefix=f"{prefix}-narrow",
                               boundaries=boundaries(p))
    return RenderedChart(spec, data, wide, narrow, spec.kind == "map")


def table_footnotes(notes: tuple[footnotes.Footnote, ...], meta: VersionMeta, v: Version,
                    sel: tables.Selection) -> list[footnotes.ShownFootnote]:
    """The footnotes that apply to a table of this selection."""
    chosen = {f["column"]: {o["label"] for o in f["options"]
                            if o["public_id"] in set(sel.filters.get(f["public_id"], []))}
              for f in v.meta["filters"]}
    return footnotes.for_table(
        notes, meta, chosen,
        {i["column"] for i in v.meta["indicators"] if i["public_id"] in sel.indicators})
