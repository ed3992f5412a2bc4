"""What a chart is: a typed spec (what to draw) and the data it draws (what the numbers are).

`ChartSpec` is what a reader (or a publisher's data block) chooses: the kind of chart,
the indicator, the dimension along the category axis, the dimension whose values are the
series, and one value for every other dimension that varies. `ChartData` is the spec
applied to a table: labelled categories and series of numbers, ready to draw.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = {"line": "Line chart", "bar": "Vertical bar chart", "barh": "Horizontal bar chart",
         "map": "Map"}


@dataclass(frozen=True)
class ChartSpec:
    kind: str  # one of KINDS
    indicator: str  # indicator public id: one per chart, so counts and percents never mix
    x: str  # dimension key along the category axis (for a map: the locations)
    group: str = ""  # dimension key whose values are the series; "" draws one series
    fixed: tuple[tuple[str, str], ...] = ()  # (dimension key, value key) for the rest

    def key(self) -> str:
        """A stable text of the spec, for caches and ETags."""
        fixed = ",".join(f"{d}={v}" for d, v in sorted(self.fixed))
        return f"{self.kind}|{self.indicator}|{self.x}|{self.group}|{fixed}"


@dataclass(frozen=True)
class Series:
    name: str  # "" when there is a single series (the legend is then left out)
    values: tuple[float | None, ...]  # one per category; None where there is no number


@dataclass(frozen=True)
class ChartData:
    title: str  # the indicator and what was fixed: "Headcount for Primary in 2021/22"
    measure: str  # the indicator's label, for the value axis
    unit: str  # "%", "£", "" ...
    decimals: int | None
    percent: bool  # a percentage: the value axis never goes past 100
    axis_label: str  # what the categories are: "Time period", "Location", ...
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    codes: tuple[str, ...] = ()  # for maps: each category's location code
    level: str = ""  # for maps: the categories' geographic level (LA or REG)
    note: str = ""  # what the chart leaves out, in words, or ""

    @property
    def has_numbers(self) -> bool:
        return any(v is not None for s in self.series for v in s.values)
