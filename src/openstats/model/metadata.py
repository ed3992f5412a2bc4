"""A data-set version's metadata as typed objects: its filters, indicators, places, times.

Import writes it once (as JSON in the catalogue) and nothing changes it afterwards, so the
objects are frozen and safe to share between threads. `VersionMeta.from_json` reads both
what import writes today and what older versions stored. Labels that follow a rule (a time
period's label) are not read from storage: `standards` makes them, so every page, table
and API answer shows the same words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from openstats.standards import geography, time_periods


@dataclass(frozen=True)
class TimePeriod:
    """One time period of a version; `id` is its number in the version's Parquet file."""

    id: int
    period: str  # as in the data file: 2017 or 201718
    code: str  # the API's time identifier code: AY, CY, M3, ...

    @property
    def label(self) -> str:
        """'2017/18', '2017 March', '2017/18 Autumn term' (standards.time_periods.label)."""
        return time_periods.label(self.period, self.code)

    @property
    def identifier(self) -> str:
        """The time identifier as data files write it: 'Academic year'."""
        return time_periods.BY_CODE[self.code].label

    @property
    def api_period(self) -> str:
        """The period as the API writes it: '2017/2018' or '2017'."""
        return time_periods.api_period(self.period)

    @property
    def key(self) -> str:
        """'2017/2018|AY': how the table tool and featured tables name a period."""
        return f"{self.api_period}|{self.code}"


@dataclass(frozen=True)
class Location:
    """One place of a version, at one geographic level."""

    id: int  # number in the version's loc_<LEVEL> columns
    level: str  # level code: NAT, REG, LA, SCH, ...
    code: str  # the level's main code (E09000001, a URN, a UKPRN); '' for RSC
    name: str
    secondary_code: str = ""  # old LA code, or a school's LAESTAB
    public_id: str = ""  # assigned when the version is recorded

    def refs(self) -> list[tuple[str, str]]:
        """The (property, value) pairs an API query may name this location by."""
        return [("id", self.public_id),
                *geography.location_refs(self.level, self.code, self.secondary_code)]


@dataclass(frozen=True)
class FilterOption:
    id: int  # number in the filter's Parquet column
    label: str
    group: str | None = None  # its filter group, when the filter has a grouping column
    public_id: str = ""


@dataclass(frozen=True)
class Filter:
    column: str
    label: str
    hint: str
    options: tuple[FilterOption, ...]
    group_column: str = ""
    parent_filter: str = ""
    default: str | None = None  # label of the default option (usually Total)
    public_id: str = ""

    @cached_property
    def option_by_label(self) -> dict[str, FilterOption]:
        return {o.label: o for o in self.options}


@dataclass(frozen=True)
class Indicator:
    column: str
    label: str
    unit: str  # '', '%', '£', '£m', 'pp', 'numberstring'
    decimal_places: int | None = None
    group: str = ""
    public_id: str = ""


@dataclass(frozen=True)
class VersionMeta:
    """Everything stored about a version's contents, besides the data itself."""

    row_count: int
    data_file: str
    meta_file: str
    data_sha256: str
    meta_sha256: str
    columns: tuple[str, ...]
    geographic_levels: tuple[str, ...]
    time_periods: tuple[TimePeriod, ...]
    locations: tuple[Location, ...]
    filters: tuple[Filter, ...]
    indicators: tuple[Indicator, ...]
    # What import measured or laid out beyond the above (for the query path); kept as is.
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    # --- lookups, built once per version ---------------------------------------------------
    @cached_property
    def filter_by_public_id(self) -> dict[str, Filter]:
        return {f.public_id: f for f in self.filters}

    @cached_property
    def filter_by_column(self) -> dict[str, Filter]:
        return {f.column: f for f in self.filters}

    @cached_property
    def option_by_public_id(self) -> dict[str, tuple[Filter, FilterOption]]:
        return {o.public_id: (f, o) for f in self.filters for o in f.options}

    @cached_property
    def indicator_by_public_id(self) -> dict[str, Indicator]:
        return {i.public_id: i for i in self.indicators}

    @cached_property
    def indicator_by_column(self) -> dict[str, Indicator]:
        return {i.column: i for i in self.indicators}

    @cached_property
    def location_by_public_id(self) -> dict[str, Location]:
        return {loc.public_id: loc for loc in self.locations}

    @cached_property
    def location_by_id(self) -> dict[int, Location]:
        return {loc.id: loc for loc in self.locations}

    @cached_property
    def period_by_id(self) -> dict[int, TimePeriod]:
        return {t.id: t for t in self.time_periods}

    @cached_property
    def period_by_key(self) -> dict[str, TimePeriod]:
        """By '2017/2018|AY' (TimePeriod.key)."""
        return {t.key: t for t in self.time_periods}

    @cached_property
    def location_levels(self) -> tuple[str, ...]:
        """Levels that have locations (a row names its own place and every wider one it
        fills), in the standard order: national first."""
        present = {loc.level for loc in self.locations}
        return tuple(lv.code for lv in geography.LEVELS if lv.code in present)

    def time_range_labels(self) -> tuple[str, str] | None:
        """Labels of the first and last period, in time order; None without periods."""
        if not self.time_periods:
            return None
        return self.time_periods[0].label, self.time_periods[-1].label

    # --- public ids --------------------------------------------------------------------
    def with_public_ids(self, filters: dict[str, str], options: dict[tuple[str, str], str],
                        indicators: dict[str, str], locations: dict[int, str]) -> VersionMeta:
        """A copy with public ids: filters and indicators by column, options by (column,
        label), locations by id."""
        return replace(
            self,
            filters=tuple(replace(f, public_id=filters[f.column], options=tuple(
                replace(o, public_id=options[(f.column, o.label)]) for o in f.options))
                for f in self.filters),
            indicators=tuple(replace(i, public_id=indicators[i.column])
                             for i in self.indicators),
            locations=tuple(replace(loc, public_id=locations[loc.id])
                            for loc in self.locations))

    # --- stored form ---------------------------------------------------------------------
    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> VersionMeta:
        known = {"row_count", "data_file", "meta_file", "data_sha256", "meta_sha256",
                 "columns", "geographic_levels", "time_periods", "locations", "filters",
                 "indicators"}
        return cls(
            row_count=int(doc["row_count"]), data_file=doc["data_file"],
            meta_file=doc["meta_file"], data_sha256=doc["data_sha256"],
            meta_sha256=doc["meta_sha256"], columns=tuple(doc["columns"]),
            geographic_levels=tuple(doc["geographic_levels"]),
            time_periods=tuple(TimePeriod(int(t["id"]), t["period"], t["code"])
                               for t in doc["time_periods"]),
            locations=tuple(_location(loc) for loc in doc["locations"]),
            filters=tuple(_filter(f) for f in doc["filters"]),
            indicators=tuple(
                Indicator(i["column"], i["label"], i["unit"], i.get("decimal_places"),
                          i.get("group") or "", i.get("public_id", ""))
                for i in doc["indicators"]),
            extra={k: v for k, v in doc.items() if k not in known})

    def to_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "row_count": self.row_count, "data_file": self.data_file,
            "meta_file": self.meta_file, "data_sha256": self.data_sha256,
            "meta_sha256": self.meta_sha256, "columns": list(self.columns),
            "geographic_levels": list(self.geographic_levels),
            "time_periods": [{"id": t.id, "period": t.period, "code": t.code}
                             for t in self.time_periods],
            "locations": [_location_json(loc) for loc in self.locations],
            "filters": [{
                "column": f.column, "label": f.label, "hint": f.hint,
                "group_column": f.group_column, "parent_filter": f.parent_filter,
                "default": f.default, "public_id": f.public_id,
                "options": [{"id": o.id, "label": o.label, "public_id": o.public_id,
                             **({"group": o.group} if o.group is not None else {})}
                            for o in f.options]} for f in self.filters],
            "indicators": [{"column": i.column, "label": i.label, "unit": i.unit,
                            "decimal_places": i.decimal_places, "group": i.group,
                            "public_id": i.public_id} for i in self.indicators],
        }


def _location(doc: dict[str, Any]) -> Location:
    column = geography.secondary_code_column(doc["level"])
    return Location(int(doc["id"]), doc["level"], doc["code"], doc["name"],
                    str(doc.get(column) or "") if column else "", doc.get("public_id", ""))


def _location_json(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = {"id": loc.id, "level": loc.level, "code": loc.code,
                           "name": loc.name, "public_id": loc.public_id}
    column = geography.secondary_code_column(loc.level)
    if column:
        out[column] = loc.secondary_code
    return out


def _filter(doc: dict[str, Any]) -> Filter:
    return Filter(
        column=doc["column"], label=doc["label"], hint=doc.get("hint") or "",
        options=tuple(FilterOption(int(o["id"]), o["label"], o.get("group"),
                                   o.get("public_id", "")) for o in doc["options"]),
        group_column=doc.get("group_column") or "", parent_filter=doc.get("parent_filter") or "",
        default=doc.get("default"), public_id=doc.get("public_id", ""))
