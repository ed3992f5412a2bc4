"""Value axes that fit the data, tick labels, and how wide a text will be drawn.

An axis starts at 0 (bars must, and lines read honestly from it) unless the data goes
below 0, and ends at the first "nice" tick (1, 2, 2.5 or 5 times a power of ten) at or
above the largest value; a percentage axis never goes past 100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from openstats.query.pivot import with_unit

CHAR_WIDTH = 0.56  # average advance of the page's sans-serif, in ems: for layout only


@dataclass(frozen=True)
class Axis:
    low: float
    high: float
    ticks: tuple[float, ...]

    def at(self, value: float, start: float, end: float) -> float:
        """Where a value falls between two pixel positions."""
        return start + (value - self.low) / (self.high - self.low) * (end - start)


def nice_step(span: float, count: int = 5) -> float:
    raw = span / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def fit(values: list[float], percent: bool) -> Axis:
    low = min(0.0, min(values))
    high = max(0.0, max(values))
    if high == low:
        high = low + 1
    step = nice_step(high - low)
    top = math.ceil(high / step - 1e-9) * step
    bottom = math.floor(low / step + 1e-9) * step
    if percent and max(values) <= 100:
        top = min(top, 100.0)
    n = round((top - bottom) / step)
    ticks = tuple(round(bottom + i * step, 10) for i in range(n + 1))
    if ticks[-1] < top:
        ticks = (*ticks, top)
    return Axis(bottom, top, ticks)


def tick_label(value: float, unit: str, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    if step < 1 and round(step * 10 ** decimals) % 1:
        decimals += 1
    return with_unit(f"{value:,.{decimals}f}", unit)


def value_label(value: float, decimals: int | None, unit: str) -> str:
    """A value as the table shows it (its decimal places and unit)."""
    text = f"{value:,.{decimals}f}" if decimals is not None else f"{value:,g}"
    return with_unit(text, unit)


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


def wrap(text: str, width: float, size: float, lines: int = 3) -> list[str]:
    """Words broken into lines no wider than `width`; the last line cut with an ellipsis."""
    out: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and text_width(trial, size) > width:
            out.append(line)
            line = word
        else:
            line = trial
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1].rstrip(".,") + "…"
    return out or [""]
