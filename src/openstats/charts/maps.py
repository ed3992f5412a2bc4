"""Choropleth maps of local authorities or regions, from ONS boundary files, as SVG.

The boundaries are data, not code: they live in the operator's reference folder
(`<reference_dir>/boundaries/`, see its README). The two files use two coordinate
systems: local authorities in longitude/latitude (EPSG:4326), drawn with an
equirectangular projection scaled for England's latitude; regions in British National
Grid metres (EPSG:27700), which is already a flat projection and is drawn as it is. The
two are never drawn together, so they need no common system.

Barnsley and Sheffield were recoded in 2025 (E08000038, E08000039); the 2024 files still
use E08000016 and E08000019 for the same (barely changed) areas, so either code finds
the shape. Shapes are simplified once per file (points closer than a pixel to the last
one kept are dropped) and written as relative path data, kept for every later map: the
SVG of 153 LAs is 84 KB, from 413 KB of GeoJSON coordinates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from openstats.charts import axes
from openstats.charts.model import ChartData
from openstats.charts.svg import SIZE, open_svg
from openstats.charts.text import escape

FILES = {"LA": ("Counties_and_Unitary_Authorities_December_2024_Boundaries_UK_BUC.geojson",
                "CTYUA24CD", "lonlat"),
         "REG": ("Regions_December_2024_Boundaries_EN_BUC.geojson", "RGN24CD", "bng")}
RECODED = {"E08000038": "E08000016", "E08000039": "E08000019"}
CLASSES = ("#d2e5f6", "#8fbde7", "#4b8fd1", "#1d5fa3", "#0b2f5c")  # light to dark
NOT_SHOWN, NO_DATA = "#f3f2f1", "#8c8c8c"
MAP_WIDTH = 480.0  # units the map is drawn in; the SVG scales to its box
LAT0 = math.radians(52.5)

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Shapes:
    paths: dict[str, str]  # code -> SVG path data, in drawing units (y down), fitted
    width: float
    height: float


def path_of(boundaries: Path, level: str) -> Path | None:
    if level not in FILES:
        return None
    path = boundaries / FILES[level][0]
    return path if path.is_file() else None


@lru_cache(maxsize=4)
def shapes(path: Path, level: str) -> Shapes:
    """The file's English shapes, projected, fitted to MAP_WIDTH and simplified."""
    _, field, system = FILES[level]
    doc = json.loads(path.read_text(encoding="utf-8"))
    raw: dict[str, list[Ring]] = {}
    for feature in doc["features"]:
        code = str(feature["properties"][field])
        if not code.startswith("E"):
            continue
        geometry = feature["geometry"]
        polygons = (geometry["coordinates"] if geometry["type"] == "MultiPolygon"
                    else [geometry["coordinates"]])
        raw[code] = [[_project(x, y, system) for x, y in ring[:]] for poly in polygons
                     for ring in poly]
    xs = [x for rings in raw.values() for ring in rings for x, _ in ring]
    ys = [y for rings in raw.values() for ring in rings for _, y in ring]
    scale = MAP_WIDTH / (max(xs) - min(xs))
    left, top = min(xs), max(ys)
    fitted = {code: [_simplify([((x - left) * scale, (top - y) * scale) for x, y in ring])
                     for ring in rings] for code, rings in raw.items()}
    return Shapes({c: _d([r for r in rings if len(r) > 2]) for c, rings in fitted.items()},
                  MAP_WIDTH, (max(ys) - min(ys)) * scale)


def _project(x: float, y: float, system: str) -> tuple[float, float]:
    if system == "bng":
        return x, y
    return math.radians(x) * math.cos(LAT0), math.radians(y)


def _simplify(ring: Ring, tolerance: float = 0.8) -> Ring:
    kept = [ring[0]]
    for x, y in ring[1:]:
        px, py = kept[-1]
        if abs(x - px) + abs(y - py) >= tolerance:
            kept.append((x, y))
    return kept


def _num(value: float) -> str:
    """A coordinate with one decimal and nothing spare: 0.5 -> .5, -0.5 -> -.5, 0.0 -> 0."""
    text = f"{value:.1f}".removesuffix(".0")
    if text in ("-0", ""):
        return "0"
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def _d(rings: list[Ring]) -> str:
    """Path data: each ring's first point absolute, the rest relative to the one before
    (differences of the rounded points, so no rounding error adds up); a third smaller."""
    parts = []
    for ring in rings:
        px, py = round(ring[0][0], 1), round(ring[0][1], 1)
        start = f"M{_num(px)},{_num(py)}"
        steps = []
        for x, y in ring[1:]:
            x, y = round(x, 1), round(y, 1)
            steps.append(f"{_num(x - px)},{_num(y - py)}")
            px, py = x, y
        parts.append(f"{start}l{' '.join(steps)}z")
    return "".join(parts)


def breaks(values: list[float], decimals: int | None) -> list[float]:
    """Upper bounds of up to five classes holding about equal numbers of areas."""
    ordered = sorted(values)
    n = min(len(CLASSES), len(set(ordered)))
    cuts = [ordered[min(len(ordered) - 1, math.ceil(len(ordered) * k / n) - 1)]
            for k in range(1, n + 1)]
    if decimals is not None:
        cuts = [round(c, decimals) for c in cuts]
    return sorted(set(cuts))


def choropleth(data: ChartData, geo: Shapes, prefix: str, width: float, desc: str) -> str:
    """One series over the map: each area's colour is its value's class."""
    values = dict(zip((RECODED.get(c, c) for c in data.codes), data.series[0].values,
                      strict=True))
    names = dict(zip((RECODED.get(c, c) for c in data.codes), data.categories, strict=True))
    numbers = [v for v in values.values() if v is not None]
    cuts = breaks(numbers, data.decimals) if numbers else []
    side = width >= 640  # the key beside the map on wide charts, under it on narrow ones
    map_w = min(geo.width, width - (230 if side else 0))
    scale = map_w / geo.width
    top = SIZE * 2.2
    map_h = geo.height * scale
    key_items = len(cuts) + 2
    key_h = key_items * SIZE * 1.9 + SIZE * 2
    height = top + (max(map_h, key_h) if side else map_h + key_h) + 12
    parts = open_svg(prefix, width, height, data.title, desc)
    parts.append(f'<text x="0" y="{SIZE * 1.2:.1f}" font-weight="bold">'
                 f'{escape(data.measure)}</text>')
    parts.append(f'<g transform="translate(0 {top:.1f}) scale({scale:.4f})" stroke="#ffffff" '
                 'stroke-width="0.6">')
    for code, d in geo.paths.items():
        value = values.get(code)
        if code not in values:
            fill, label = NOT_SHOWN, ""
        elif value is None:
            fill, label = NO_DATA, f"{names[code]}: no data"
        else:
            fill = CLASSES[_class_of(value, cuts)]
            label = f"{names[code]}: {axes.value_label(value, data.decimals, data.unit)}"
        title = f"<title>{escape(label)}</title>" if label else ""
        parts.append(f'<path d="{d}" fill="{fill}">{title}</path>')
    parts.append("</g>")
    kx, ky = (map_w + 24, top) if side else (0.0, top + map_h + 12)
    parts.append(f'<text x="{kx:.1f}" y="{ky + SIZE:.1f}" font-weight="bold">Key</text>')
    low = min(numbers) if numbers else 0.0
    items = []
    for n, cut in enumerate(cuts):
        start = low if n == 0 else cuts[n - 1]
        items.append((CLASSES[n + len(CLASSES) - len(cuts)],
                      f"{axes.value_label(start, data.decimals, data.unit)} to "
                      f"{axes.value_label(cut, data.decimals, data.unit)}"))
    items += [(NO_DATA, "No data"), (NOT_SHOWN, "Not in this chart")]
    for n, (colour, text) in enumerate(items):
        y = ky + SIZE * 1.6 + n * SIZE * 1.9
        parts.append(f'<rect x="{kx:.1f}" y="{y:.1f}" width="18" height="18" fill="{colour}" '
                     'stroke="#505a5f" stroke-width="1"/>')
        parts.append(f'<text x="{kx + 28:.1f}" y="{y + 14:.1f}">{escape(text)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _class_of(value: float, cuts: list[float]) -> int:
    """The colour index of a value: classes are the darkest len(cuts) of CLASSES."""
    offset = len(CLASSES) - len(cuts)
    for n, cut in enumerate(cuts):
        if value <= cut:
            return offset + n
    return len(CLASSES) - 1
