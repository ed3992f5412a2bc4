"""Chart rendering: openstats' hand-written SVG against Vega-Lite through vl-convert-python.

Three charts, the same data for both: a line chart (3 series x 7 periods), a grouped bar
chart (the same numbers) and a choropleth of England's 153 upper-tier LAs from the ONS
boundary file in ../shared/reference/boundaries/. Each is rendered once (reported as
"first", which for vl-convert includes starting its embedded V8 and, for our map, reading
the boundary file) and then 5 times (median reported), with the SVG's size in bytes.

vl-convert-python is not a dependency of openstats: `pip install vl-convert-python==1.9.0`
into the venv to run its half; without it only ours is measured. Run:

    .venv/bin/python benchmarks/charts.py [--reference ../shared/reference]
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openstats.charts import ChartData, ChartSpec, Series, maps, render_svg

YEARS = ("2015/16", "2016/17", "2017/18", "2018/19", "2019/20", "2020/21", "2021/22")
PLACES = ("Barnet", "Camden", "Dorset")


def timed(make: Callable[[], str]) -> dict[str, Any]:
    start = time.perf_counter()
    out = make()
    first = time.perf_counter() - start
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        out = make()
        runs.append(time.perf_counter() - start)
    return {"first_ms": round(first * 1000, 1),
            "median_ms": round(statistics.median(runs) * 1000, 2), "bytes": len(out)}


def ours(reference: Path) -> dict[str, dict[str, Any]]:
    series = tuple(Series(p, tuple(100.0 + i * 3 + j * 10 for i in range(len(YEARS))))
                   for j, p in enumerate(PLACES))
    data = ChartData("Headcount", "Headcount", "", 0, False, "Time period", YEARS, series)
    boundaries = reference / "boundaries"
    geo_file = boundaries / maps.FILES["LA"][0]
    codes = [f["properties"]["CTYUA24CD"] for f in json.loads(geo_file.read_text())["features"]
             if f["properties"]["CTYUA24CD"].startswith("E")]
    map_data = ChartData("Percent", "Percent", "%", 1, True, "Location", tuple(codes),
                         (Series("", tuple(float(i % 50) for i in range(len(codes)))),),
                         codes=tuple(codes), level="LA")
    maps.shapes.cache_clear()
    return {
        "line": timed(lambda: render_svg(ChartSpec("line", "i", "time"), data)),
        "bar": timed(lambda: render_svg(ChartSpec("bar", "i", "time"), data)),
        "map": timed(lambda: render_svg(ChartSpec("map", "i", "location"), map_data,
                                        boundaries=boundaries)),
    }


def vega(reference: Path) -> dict[str, dict[str, Any]]:
    vlc = importlib.import_module("vl_convert")
    values = [{"x": y, "s": p, "v": 100 + i * 3 + j * 10}
              for i, y in enumerate(YEARS) for j, p in enumerate(PLACES)]
    line = {"width": 640, "height": 320, "data": {"values": values},
            "mark": {"type": "line", "point": True},
            "encoding": {"x": {"field": "x", "type": "ordinal"},
                         "y": {"field": "v", "type": "quantitative"}, "color": {"field": "s"}}}
    bar = {**line, "mark": "bar", "encoding": {
        "x": {"field": "x", "type": "ordinal"}, "xOffset": {"field": "s"},
        "y": {"field": "v", "type": "quantitative"}, "color": {"field": "s"}}}
    geo = json.loads((reference / "boundaries" / maps.FILES["LA"][0]).read_text())
    england = [f for f in geo["features"] if f["properties"]["CTYUA24CD"].startswith("E")]
    shaded = [{"code": f["properties"]["CTYUA24CD"], "v": i % 50} for i, f in enumerate(england)]
    choropleth = {"width": 480, "height": 560, "data": {"values": england},
                  "transform": [{"lookup": "properties.CTYUA24CD", "from": {
                      "data": {"values": shaded}, "key": "code", "fields": ["v"]}}],
                  "projection": {"type": "mercator"}, "mark": "geoshape",
                  "encoding": {"color": {"field": "v", "type": "quantitative"}}}
    return {name: timed(lambda spec=spec: str(vlc.vegalite_to_svg(spec)))
            for name, spec in (("line", line), ("bar", bar), ("map", choropleth))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path,
                        default=Path(__file__).resolve().parents[1] / ".." / "shared"
                        / "reference")
    args = parser.parse_args()
    results = {"openstats": ours(args.reference)}
    try:
        results["vl-convert"] = vega(args.reference)
    except ModuleNotFoundError:
        results["vl-convert"] = {"skipped": {"why": "vl-convert-python is not installed"}}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
