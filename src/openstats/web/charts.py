"""Charts of a table as accessible SVG: time across, one line (or bar) per series.

The SVG has a title and a description pointing at the table, which stays the text
alternative; colours come with different dash patterns so lines differ without colour.
"""

from __future__ import annotations

from html import escape
from typing import Any

from openstats.standards.bidi import isolate

WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 20, 60
COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#f47738", "#28a197", "#6f72af",
           "#b58840"]
DASHES = ["", "8 4", "2 3", "12 4 2 4", "4 4", "1 6", "10 2", "6 3 1 3"]
MAX_SERIES = 8


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // magnitude) + 1) * magnitude)


def charts(series: dict[str, Any]) -> list[dict[str, Any]]:
    """One chart per indicator, so that counts and percentages never share an axis."""
    by_indicator: dict[str, list[dict[str, Any]]] = {}
    for s in series.get("series", []):
        by_indicator.setdefault(s["indicator"], []).append(s)
    return [{"title": name, **line_chart({"x": series["x"], "series": group}, name, n)}
            for n, (name, group) in enumerate(by_indicator.items())]


def _text(value: str) -> str:
    """Text for the SVG: escaped, and isolated if it holds direction controls (bidi.py)."""
    return escape(isolate(value))


def line_chart(series: dict[str, Any], caption: str, number: int = 0) -> dict[str, Any]:
    """{'svg': markup or '', 'note': why some series are left out or no chart is drawn}."""
    xs: list[str] = series.get("x", [])
    lines = [s for s in series.get("series", []) if any(p is not None for p in s["points"])]
    if not lines:
        return {"svg": "", "note": "There are no numbers to chart in this table."}
    note = ""
    if len(lines) > MAX_SERIES:
        note = f"The chart shows the first {MAX_SERIES} of {len(lines)} series; the table has all."
        lines = lines[:MAX_SERIES]
    values = [p for s in lines for p in s["points"] if p is not None]
    low = min(0.0, min(values))
    high = _nice_top(max(values)) if max(values) > 0 else 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(v: float) -> float:
        return TOP + plot_h - (v - low) / (high - low) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 24 * len(lines)}"'
        f' role="img" aria-labelledby="chart-title-{number} chart-desc-{number}" '
        'class="app-chart">',
        f'<title id="chart-title-{number}">Chart: {_text(caption)}</title>',
        f'<desc id="chart-desc-{number}">The same numbers are in the table above, which is '
        'the text alternative to this chart.</desc>',
    ]
    for i in range(5):  # horizontal grid lines and y labels
        value = low + (high - low) * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'font-size="12" fill="#0b0c0c">{value:,.6g}</text>')
    step = plot_w / max(1, len(xs))
    for i, label in enumerate(xs):
        x = LEFT + step * (i + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
                     f'font-size="12" fill="#0b0c0c">{_text(label)}</text>')
    if len(xs) == 1:  # one period: bars side by side
        bar = step * 0.8 / len(lines)
        for n, s in enumerate(lines):
            value = s["points"][0]
            if value is None:
                continue
            x = LEFT + step * 0.1 + bar * n
            parts.append(f'<rect x="{x:.1f}" y="{min(y(value), y(0)):.1f}" width="{bar:.1f}" '
                         f'height="{abs(y(0) - y(value)):.1f}" fill="{COLOURS[n]}">'
                         f'<title>{_text(s["name"])}: {value:,.6g}</title></rect>')
    else:
        for n, s in enumerate(lines):
            points = [(LEFT + step * (i + 0.5), y(p)) for i, p in enumerate(s["points"])
                      if p is not None]
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            dash = f' stroke-dasharray="{DASHES[n]}"' if DASHES[n] else ""
            parts.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[n]}" '
                         f'stroke-width="3"{dash}><title>{_text(s["name"])}</title></polyline>')
            for px, py in points:
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{COLOURS[n]}"/>')
    for n, s in enumerate(lines):  # legend
        ly = HEIGHT + 24 * n
        dash = f' stroke-dasharray="{DASHES[n]}"' if DASHES[n] else ""
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + 40}" y1="{ly}" y2="{ly}" '
                     f'stroke="{COLOURS[n]}" stroke-width="3"{dash}/>')
        parts.append(f'<text x="{LEFT + 50}" y="{ly + 4}" font-size="13" fill="#0b0c0c">'
                     f'{_text(s["name"])}</text>')
    parts.append("</svg>")
    return {"svg": "\n".join(parts), "note": note}
