"""Line and bar charts (vertical or horizontal) as accessible SVG, written by hand.

Every chart has a title and a description naming its text alternative (a table of the
same numbers); text takes the page's font (the SVG names the same font stack for files
saved on their own); series differ by colour and, for lines, by dash and marker too, and
the legend draws each key as its mark is drawn (a line with its marker, a filled square
for a bar). The legend is left out when there is one series: it would name nothing.
"""

from __future__ import annotations

from openstats.charts import axes
from openstats.charts.model import ChartData, Series
from openstats.charts.text import escape

# GOV.UK Frontend's font stack (its CSS gives this to every text class; the page body has
# none to inherit), written into each chart so a saved file looks as the page does.
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
TEXT, GRID, AXIS = "#0b0c0c", "#d9d9d9", "#505a5f"
# Analysis Function's categorical palette (accessible on white), then two more blues.
COLOURS = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1", "#2073BC",
           "#6BACE6")
DASHES = ("", "8 4", "2 4", "12 4 3 4", "4 3", "1 5", "10 3", "6 3 1 3")
MARKERS = ("circle", "square", "triangle", "diamond", "circle", "square", "triangle",
           "diamond")
MAX_SERIES = len(COLOURS)
SIZE = 14  # font size in the SVG's own units


def open_svg(prefix: str, width: float, height: float, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" class="app-chart" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" font-family="{escape(FONT)}" '
        f'font-size="{SIZE}" fill="{TEXT}">',
        f'<title id="{prefix}-title">{escape(title)}</title>',
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]


def _marker(kind: str, x: float, y: float, colour: str, title: str = "", r: float = 4.5
            ) -> str:
    """A line's point marker; shapes differ per series, so lines differ without colour."""
    if kind == "square":
        tag, shape = "rect", (f'x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" '
                              f'height="{2 * r:.1f}"')
    elif kind == "triangle":
        tag, shape = "path", (f'd="M{x:.1f},{y - r * 1.2:.1f}L{x + r * 1.1:.1f},'
                              f'{y + r * 0.8:.1f}L{x - r * 1.1:.1f},{y + r * 0.8:.1f}Z"')
    elif kind == "diamond":
        tag, shape = "path", (f'd="M{x:.1f},{y - r * 1.3:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},'
                              f'{y + r * 1.3:.1f}L{x - r:.1f},{y:.1f}Z"')
    else:
        tag, shape = "circle", f'cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"'
    if not title:
        return f'<{tag} {shape} fill="{colour}"/>'
    return f'<{tag} {shape} fill="{colour}"><title>{escape(title)}</title></{tag}>'


def legend(series: tuple[Series, ...], kind: str, left: float, top: float, width: float
           ) -> tuple[list[str], float]:
    """Keys that match the marks, flowed into rows; returns (parts, height used)."""
    if len(series) < 2:
        return [], 0.0
    parts = ['<g class="app-chart-legend">']
    x, y, line_h = left, top, SIZE * 1.25
    row_h = SIZE * 1.9
    for n, s in enumerate(series):
        lines = axes.wrap(s.name or "Value", width - 40, SIZE, lines=2)
        item_w = 34 + max(axes.text_width(t, SIZE) for t in lines) + 20
        if x > left and x + item_w > left + width:
            x, y, row_h = left, y + row_h, SIZE * 1.9
        row_h = max(row_h, SIZE * 0.65 + line_h * len(lines))
        colour = COLOURS[n % MAX_SERIES]
        mid = y + SIZE * 0.95
        if kind == "line":
            dash = f' stroke-dasharray="{DASHES[n]}"' if DASHES[n] else ""
            parts.append(f'<line x1="{x:.1f}" x2="{x + 26:.1f}" y1="{mid:.1f}" y2="{mid:.1f}" '
                         f'stroke="{colour}" stroke-width="3"{dash}/>')
            parts.append(_marker(MARKERS[n], x + 13, mid, colour))
        else:
            parts.append(f'<rect x="{x + 6:.1f}" y="{mid - 7:.1f}" width="14" height="14" '
                         f'fill="{colour}"/>')
        spans = "".join(f'<tspan x="{x + 34:.1f}" dy="{0 if i == 0 else line_h:.1f}">'
                        f'{escape(t)}</tspan>' for i, t in enumerate(lines))
        parts.append(f'<text y="{mid + SIZE * 0.35:.1f}">{spans}</text>')
        x += item_w
    parts.append("</g>")
    return parts, y + row_h - top + 8


def cartesian(data: ChartData, kind: str, prefix: str, width: float, desc: str) -> str:
    """A line chart, or a bar chart with vertical ("bar") or horizontal ("barh") bars."""
    shown = data.series[:MAX_SERIES]
    values = [v for s in shown for v in s.values if v is not None]
    axis = axes.fit(values, data.percent)
    step = axis.ticks[1] - axis.ticks[0] if len(axis.ticks) > 1 else 1.0
    labels = [axes.tick_label(t, data.unit, step) for t in axis.ticks]
    title_h = SIZE * 2
    if kind == "barh":
        return _horizontal(data, shown, axis, labels, prefix, width, desc)
    left = 12 + max(axes.text_width(t, SIZE) for t in labels)
    right, top = 16.0, title_h + 6
    plot_w = width - left - right
    band = plot_w / max(1, len(data.categories))
    wrapped = [axes.wrap(c, band - 6, SIZE) for c in data.categories]
    x_label_h = SIZE * 1.25 * max(len(w) for w in wrapped) + 8
    plot_h = min(360.0, max(220.0, width * 0.45))
    bottom_axis = top + plot_h
    legend_parts, legend_h = legend(shown, kind, left, bottom_axis + x_label_h + 26, plot_w)
    height = bottom_axis + x_label_h + 26 + legend_h + 8
    parts = open_svg(prefix, width, height, data.title, desc)
    parts.append(f'<text x="{left:.1f}" y="{SIZE * 1.2:.1f}" font-weight="bold">'
                 f'{escape(data.measure)}</text>')

    def y_of(v: float) -> float:
        return axis.at(v, bottom_axis, top)

    for t, text in zip(axis.ticks, labels, strict=True):
        parts.append(f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{y_of(t):.1f}" '
                     f'y2="{y_of(t):.1f}" stroke="{GRID if t else AXIS}" stroke-width="1"/>')
        parts.append(f'<text x="{left - 8:.1f}" y="{y_of(t) + SIZE * 0.35:.1f}" '
                     f'text-anchor="end">{escape(text)}</text>')
    for i, lines in enumerate(wrapped):
        cx = left + band * (i + 0.5)
        spans = "".join(f'<tspan x="{cx:.1f}" dy="{0 if n == 0 else SIZE * 1.25:.1f}">'
                        f'{escape(line)}</tspan>' for n, line in enumerate(lines))
        parts.append(f'<text y="{bottom_axis + SIZE + 8:.1f}" text-anchor="middle">{spans}'
                     f'<title>{escape(data.categories[i])}</title></text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{bottom_axis + x_label_h + 18:.1f}" '
                 f'text-anchor="middle" font-weight="bold">{escape(data.axis_label)}</text>')
    zero = y_of(max(axis.low, 0.0))
    if kind == "bar":
        inner = band * 0.8 / len(shown)
        for n, s in enumerate(shown):
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                x = left + band * (i + 0.1) + inner * n
                parts.append(f'<rect x="{x:.1f}" y="{min(y_of(v), zero):.1f}" '
                             f'width="{max(1.0, inner - 2):.1f}" '
                             f'height="{abs(zero - y_of(v)):.1f}" fill="{COLOURS[n]}">'
                             f'<title>{escape(_point(s, data, i, v))}</title></rect>')
    else:
        for n, s in enumerate(shown):
            points = [(left + band * (i + 0.5), y_of(v), i, v) for i, v in enumerate(s.values)
                      if v is not None]
            dash = f' stroke-dasharray="{DASHES[n]}"' if DASHES[n] else ""
            for run in _runs(s.values, points):
                parts.append('<polyline points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _
                                                              in run)
                             + f'" fill="none" stroke="{COLOURS[n]}" stroke-width="3"{dash}/>')
            for x, y, i, v in points:
                parts.append(_marker(MARKERS[n], x, y, COLOURS[n], _point(s, data, i, v)))
    parts += legend_parts
    parts.append("</svg>")
    return "\n".join(parts)


def _runs(values: tuple[float | None, ...], points: list[tuple[float, float, int, float]]
          ) -> list[list[tuple[float, float, int, float]]]:
    """Points split where a value is missing, so a line never bridges a gap."""
    runs: list[list[tuple[float, float, int, float]]] = []
    last = -2
    for p in points:
        if p[2] != last + 1 or not runs:
            runs.append([])
        runs[-1].append(p)
        last = p[2]
    return [r for r in runs if len(r) > 1]


def _point(s: Series, data: ChartData, i: int, v: float) -> str:
    name = f"{s.name}, " if s.name else ""
    return f"{name}{data.categories[i]}: {axes.value_label(v, data.decimals, data.unit)}"


def _horizontal(data: ChartData, shown: tuple[Series, ...], axis: axes.Axis,
                labels: list[str], prefix: str, width: float, desc: str) -> str:
    label_w = min(width * 0.32, max(axes.text_width(c, SIZE) for c in data.categories) + 12)
    left, right, top = label_w + 8, 24.0, SIZE * 2 + 6
    plot_w = width - left - right
    bar_h = 18.0
    band = bar_h * len(shown) + 12
    plot_h = band * len(data.categories)
    bottom_axis = top + plot_h
    legend_parts, legend_h = legend(shown, "bar", left, bottom_axis + SIZE * 3.4, plot_w)
    height = bottom_axis + SIZE * 3.4 + legend_h + 8
    parts = open_svg(prefix, width, height, data.title, desc)
    parts.append(f'<text x="{left:.1f}" y="{SIZE * 1.2:.1f}" font-weight="bold">'
                 f'{escape(data.measure)}</text>')

    def x_of(v: float) -> float:
        return axis.at(v, left, left + plot_w)

    for t, text in zip(axis.ticks, labels, strict=True):
        parts.append(f'<line x1="{x_of(t):.1f}" x2="{x_of(t):.1f}" y1="{top:.1f}" '
                     f'y2="{bottom_axis:.1f}" stroke="{GRID if t else AXIS}" stroke-width="1"/>')
        parts.append(f'<text x="{x_of(t):.1f}" y="{bottom_axis + SIZE + 6:.1f}" '
                     f'text-anchor="middle">{escape(text)}</text>')
    for i, category in enumerate(data.categories):
        lines = axes.wrap(category, label_w - 8, SIZE, lines=2)
        cy = top + band * i + band / 2 - (len(lines) - 1) * SIZE * 0.6
        spans = "".join(f'<tspan x="{left - 8:.1f}" dy="{0 if n == 0 else SIZE * 1.2:.1f}">'
                        f'{escape(line)}</tspan>' for n, line in enumerate(lines))
        parts.append(f'<text y="{cy + SIZE * 0.35:.1f}" text-anchor="end">{spans}'
                     f'<title>{escape(category)}</title></text>')
        for n, s in enumerate(shown):
            v = s.values[i]
            if v is None:
                continue
            y = top + band * i + 6 + bar_h * n
            zero = x_of(max(axis.low, 0.0))
            parts.append(f'<rect x="{min(zero, x_of(v)):.1f}" y="{y:.1f}" '
                         f'width="{abs(x_of(v) - zero):.1f}" height="{bar_h - 2:.1f}" '
                         f'fill="{COLOURS[n]}"><title>{escape(_point(s, data, i, v))}</title>'
                         '</rect>')
    parts += legend_parts
    parts.append("</svg>")
    return "\n".join(parts)
