"""Charts for the table tool and release pages: `render_svg(spec, data) -> str`, PNG too.

One typed interface for every chart: a `ChartSpec` (what the reader or publisher chose,
`model.py`), the `ChartData` it selects from a table (`data.py`), and `render_svg`, which
draws lines and bars (`svg.py`) or a choropleth map (`maps.py`). Charts are pure
functions of a version's data and a spec, so they are cached on (version, selection,
spec, width). Each chart's text alternative is a table of the same numbers, which the
page shows beside it; the SVG's description says so.

Technology, decided by measuring (`benchmarks/charts.py`, on the shared 2-core machine;
median of 5 renders after a first one, which is shown in brackets; SVG size):

| chart | vl-convert-python 1.9.0 (Vega-Lite) | hand-written SVG (this package) |
|---|---|---|
| line, 3 series x 7 periods | 61-75 ms (first 410-730 ms), 17.7 KB | 0.12 ms, 5.3 KB |
| grouped bar, 3 x 7 | 29-44 ms, 14.7 KB | 0.10 ms, 4.7 KB |
| map of 153 LAs | 50-100 ms, 185 KB | 0.4 ms (first 45 ms: reads the boundaries), 84 KB |

vl-convert also costs a 33 MB wheel and 70 MB more memory in every server process (it
embeds V8), and its SVG sets its own fonts and sizes and an ARIA label on every mark, so
the page's font, GOV.UK's text sizes and our accessible names would need a theme kept in
step by hand. Hand-written SVG is over 100 times faster and a third the size, needs no
JavaScript and no new runtime, and every attribute (roles, titles, keys that match marks)
is ours to test. So: hand-written SVG, one module per kind of chart; PNG downloads are
rasterised from the same SVG with resvg (`resvg-py`, a 1.4 MB wheel, no browser).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import resvg_py

from openstats.charts import maps, svg
from openstats.charts.model import KINDS, ChartData, ChartSpec, Series

__all__ = ["KINDS", "ChartCache", "ChartData", "ChartSpec", "Series", "render_png",
           "render_svg"]

V = TypeVar("V")
DESC = "The numbers in this chart are in the table that goes with it."
WIDE, NARROW = 720.0, 360.0  # SVG widths for desktop and phone layouts


def render_svg(spec: ChartSpec, data: ChartData, *, width: float = WIDE,
               prefix: str = "chart", boundaries: Path | None = None, desc: str = DESC
               ) -> str:
    """The chart as standalone SVG markup (safe to inline: every text is escaped).

    Maps need `boundaries` (the folder of boundary files) and `data.level`; where either
    is missing, or the data has no numbers, the answer is "" and the caller says why.
    """
    if not data.has_numbers:
        return ""
    if spec.kind == "map":
        path = maps.path_of(boundaries, data.level) if boundaries else None
        if path is None:
            return ""
        return maps.choropleth(data, maps.shapes(path, data.level), prefix, width, desc)
    kind = spec.kind if spec.kind in ("line", "bar", "barh") else "bar"
    return svg.cartesian(data, kind, prefix, width, desc)


def render_png(markup: str, zoom: float = 2.0) -> bytes:
    """The SVG rasterised (white background), for a PNG download."""
    return bytes(resvg_py.svg_to_bytes(svg_string=markup, zoom=zoom, background="#ffffff"))


class ChartCache(Generic[V]):
    """Rendered charts (or data blocks) by key (version id, selection, spec, width):
    versions never change, so a key always means the same picture. Bounded, least
    recently used out first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.items: OrderedDict[str, V] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, make: Callable[[], V]) -> V:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value
