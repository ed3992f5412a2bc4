"""A data-set query as a checked request: its criteria (facets and and/or/not nodes), sorts,
indicators and page, the problems found reading it (`Problem`, with EES's codes and
messages), and the limits a query keeps to.

The request is read from GET parameters by parse_get.py and from a POST body by
parse_post.py, each collecting every problem with its path (`criteria.and[1].filters.eq`),
so one answer lists them all; the field checks both share are in fields.py. Nothing here
touches data: ids are resolved against a version in `engine.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openstats.standards import geography

MESSAGES: dict[str, str] = {
    "InvalidValue": "Must be a valid value. Check that the type and format are correct.",
    "UnknownField": "The field was not expected in the request and should be removed.",
    "AllowedValue": "Must be one of the allowed values.",
    "NotEmpty": "Must not be empty.",
    "MaximumLength": "Must be {maxLength} characters or fewer.",
    "InclusiveBetween": "Must be between {from} and {to}.",
    "GreaterThanOrEqual": "Must be greater than or equal to {comparisonValue}.",
    "LocationFormat": "Must be a location in the correct format.",
    "LocationAllowedLevel": "Must be a location with an allowed level.",
    "LocationAllowedProperty": "Must be a location with an allowed identifying property.",
    "LocationValueNotEmpty": "Must be a location with '{property}' that is not empty.",
    "LocationValueMaxLength":
        "Must be a location with '{property}' that is {maxLength} characters or fewer.",
    "TimePeriodFormat": "Must be a time period in the correct format.",
    "TimePeriodAllowedCode": "Must be a time period with an allowed code.",
    "TimePeriodInvalidYear": "Must be a time period for a valid year.",
    "TimePeriodInvalidYearRange":
        "Must be a valid time period range where the start year is one year before the end "
        "year.",
    "SortFormat": "Must be a sort in the correct format.",
    "SortFieldNotEmpty": "Must be a sort with a field that is not empty.",
    "SortFieldMaxLength": "Must be a sort with a field that is 40 characters or fewer.",
    "SortDirection": "Must be a sort in an allowed direction.",
    "IndicatorsNotFound": "One or more indicators could not be found.",
    "SortFieldsNotFound": "One or more sort fields could not be found.",
    "FiltersNotFound": "One or more filters could not be found.",
    "GeographicLevelsNotFound": "One or more geographic levels could not be found.",
    "LocationsNotFound": "One or more locations could not be found.",
    "TimePeriodsNotFound": "One or more time periods could not be found.",
    "QueryNoResults":
        "The query did not match any results. You may need to refine your criteria.",
    "DebugEnabled":
        "Debug mode is enabled. Do not enable debug mode in a production environment.",
    "CriteriaTooComplex": "The criteria are nested too deeply or have too many clauses.",
}

LEVEL_CODES: tuple[str, ...] = tuple(sorted(level.code for level in geography.LEVELS))
# Which identifying properties a location reference may use, per level (geography owns it).
LOCATION_PROPERTIES: dict[str, tuple[str, ...]] = {
    code: geography.identifying_properties(code) for code in LEVEL_CODES}
LOCATION_MAX = geography.PROPERTY_MAX_LENGTH
FACETS = ("filters", "geographicLevels", "locations", "timePeriods")
EQUALITY = ("eq", "notEq", "in", "notIn")
RANGE = ("gt", "gte", "lt", "lte")
MAX_DEPTH = 32
MAX_NODES = 2_000
MAX_PAGE_SIZE = 10_000
# Page numbers are 32-bit in EES; beyond that is not a page (and page x size would
# overflow the query's OFFSET: a 500 the API fuzzing found).
MAX_INT32 = 2**31 - 1
DEFAULT_PAGE_SIZE = 1_000


@dataclass
class Problem:
    code: str
    path: str
    detail: dict[str, Any] | None = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message or _message(self.code, self.detail),
                               "path": self.path, "code": self.code}
        if self.detail is not None:
            out["detail"] = self.detail
        return out


def _message(code: str, detail: dict[str, Any] | None) -> str:
    text = MESSAGES.get(code, code)
    try:
        return text.format(**(detail or {}))
    except (KeyError, IndexError):
        return text


@dataclass(frozen=True)
class LocationRef:
    level: str
    prop: str
    value: str
    raw: Any  # as given: a string in GET, an object in POST (echoed in warnings)


@dataclass(frozen=True)
class PeriodRef:
    period: str  # API form: 2020 or 2020/2021
    code: str
    raw: Any


@dataclass
class Facets:
    path: str
    comparators: dict[str, dict[str, Any]] = field(default_factory=dict)  # facet -> op -> value


@dataclass
class And:
    path: str
    children: list[Any]


@dataclass
class Or:
    path: str
    children: list[Any]


@dataclass
class Not:
    path: str
    child: Any


Node = Facets | And | Or | Not


@dataclass
class Sort:
    field: str
    direction: str
    raw: Any


@dataclass
class QueryRequest:
    criteria: Node | None = None
    indicators: list[str] | None = None
    sorts: list[Sort] | None = None
    debug: bool = False
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    errors: list[Problem] = field(default_factory=list)
    # GET writes items of warnings as strings, POST as objects; paths differ too.
    from_get: bool = False

    def canonical(self) -> str:
        """A stable text of the request, for caching and ETags."""
        return repr((self.criteria, self.indicators, self.sorts, self.debug, self.page,
                     self.page_size, self.from_get))
