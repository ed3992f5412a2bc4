"""Properties of the query reader (query/parse_get.py, query/parse_post.py).

- Any JSON body and any list of query parameters gives a QueryRequest whose problems are
  EES-style errors (a known code, a path, a message), never an exception.
- Every valid request we can generate is read without a problem, and the POST body and
  the GET parameters that say the same thing are read the same.
- A request written back as a POST body reads back to the same request (round trip).
- Paging is accepted exactly inside EES's bounds.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from openstats.query import parse_get, parse_post, request
from openstats.query.request import And, Facets, LocationRef, Not, Or, PeriodRef, QueryRequest
from openstats.standards import time_periods

KNOWN_CODES = set(request.MESSAGES)

# Any JSON value, with the keys the reader looks for mixed in so it goes deep.
KEYS = st.sampled_from(["criteria", "and", "or", "not", "filters", "geographicLevels",
                        "locations", "timePeriods", "eq", "notEq", "in", "notIn", "gt", "gte",
                        "lt", "lte", "period", "code", "level", "id", "urn", "ukprn",
                        "indicators", "sorts", "field", "direction", "page", "pageSize",
                        "debug", "PAGE", "Criteria"]) | st.text(max_size=8)
SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=False) | st.text(max_size=20)
           | st.sampled_from(["NAT", "LA", "2020", "2020/2021", "AY", "CY", "Asc", "Desc",
                              "abcde", "", " ", "E92000001"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(KEYS, inner, max_size=5), max_leaves=40)


def assert_ees_problems(req: QueryRequest) -> None:
    for problem in req.errors:
        assert problem.code in KNOWN_CODES, problem
        assert isinstance(problem.path, str)
        as_dict = problem.as_dict()
        assert as_dict["message"] and as_dict["code"] == problem.code
        json.dumps(as_dict)  # every answer body must be writable as JSON


@given(JSON)
def test_any_post_body_gives_a_request_or_ees_problems(body: Any) -> None:
    req = parse_post.parse_post(body)
    assert isinstance(req, QueryRequest)
    assert_ees_problems(req)


@given(st.dictionaries(KEYS, JSON, max_size=6))
def test_any_object_body_gives_a_request_or_ees_problems(body: dict[str, Any]) -> None:
    req = parse_post.parse_post({"criteria": body, **body})
    assert_ees_problems(req)


PARAM_NAMES = st.sampled_from(sorted(parse_get.GET_KEYS.values())).flatmap(
    lambda k: st.sampled_from([k, k.lower(), k + "[0]", k + "[12]", k.upper()])) | st.text(
    max_size=12)
PARAM_VALUES = st.text(max_size=30) | st.sampled_from([
    "NAT", "NAT|code|E92000001", "LA|oldCode|123", "2020|AY", "2020/2021|AY", "2020/2022|AY",
    "abc|Asc", "timePeriod|Desc", "a,b,,c", ",", "", "true", "FALSE", "10001", "-1", "0"])


@given(st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=12))
def test_any_query_string_gives_a_request_or_ees_problems(items: list[tuple[str, str]]) -> None:
    req, version = parse_get.parse_get(items)
    assert isinstance(req, QueryRequest)
    assert version is None or isinstance(version, str)
    assert_ees_problems(req)


# --- valid requests --------------------------------------------------------------------------
OPTION_ID = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_characters=",|"),
                    min_size=1, max_size=10).filter(lambda s: s.strip() == s)
LEVEL = st.sampled_from(request.LEVEL_CODES)


@st.composite
def location(draw: st.DrawFn) -> LocationRef:
    level = draw(LEVEL)
    prop = draw(st.sampled_from(request.LOCATION_PROPERTIES[level]))
    value = draw(st.text(st.characters(min_codepoint=48, max_codepoint=122,
                                       exclude_characters="|,"),
                         min_size=1, max_size=request.LOCATION_MAX[prop]))
    return LocationRef(level, prop, value, None)


@st.composite
def period(draw: st.DrawFn) -> PeriodRef:
    code = draw(st.sampled_from(time_periods.ALL_CODES))
    year = draw(st.integers(1000, 9998))
    text = f"{year}/{year + 1}" if code in time_periods.RANGE_CODES and draw(st.booleans()) \
        else str(year)
    return PeriodRef(text, code, None)


def _item(facet: str, value: Any) -> Any:
    """An item as a POST body writes it."""
    if isinstance(value, LocationRef):
        return {"level": value.level, value.prop: value.value}
    if isinstance(value, PeriodRef):
        return {"period": value.period, "code": value.code}
    return value


def _get_item(value: Any) -> str:
    """The same item as a GET parameter writes it."""
    if isinstance(value, LocationRef):
        return f"{value.level}|{value.prop}|{value.value}"
    if isinstance(value, PeriodRef):
        return f"{value.period}|{value.code}"
    return str(value)


ITEMS = {"filters": OPTION_ID, "geographicLevels": LEVEL, "locations": location(),
         "timePeriods": period()}


@st.composite
def facets(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for facet in draw(st.lists(st.sampled_from(request.FACETS), unique=True, max_size=4)):
        ops = request.EQUALITY + (request.RANGE if facet == "timePeriods" else ())
        chosen = draw(st.lists(st.sampled_from(ops), unique=True, min_size=1, max_size=3))
        out[facet] = {op: (draw(st.lists(ITEMS[facet], min_size=1, max_size=3))
                           if op in ("in", "notIn") else draw(ITEMS[facet])) for op in chosen}
    return out


def body_of(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {facet: {op: [_item(facet, v) for v in value] if isinstance(value, list)
                    else _item(facet, value) for op, value in ops.items()}
            for facet, ops in found.items()}


def plain(value: Any) -> Any:
    """Comparator values without their `raw` (GET keeps strings, POST keeps objects)."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, LocationRef):
        return (value.level, value.prop, value.value)
    if isinstance(value, PeriodRef):
        return (value.period, value.code)
    return value


@given(facets())
def test_valid_facets_read_the_same_by_get_and_post(found: dict[str, dict[str, Any]]) -> None:
    post = parse_post.parse_post({"criteria": body_of(found)})
    assert post.errors == []
    params = [(f"{facet}.{op}", ",".join(_get_item(v) for v in value)
               if isinstance(value, list) else _get_item(value))
              for facet, ops in found.items() for op, value in ops.items()]
    get, _ = parse_get.parse_get(params)
    assert get.errors == []
    assert isinstance(post.criteria, Facets) and isinstance(get.criteria, Facets)
    as_post = {f: {op: plain(v) for op, v in ops.items()}
               for f, ops in post.criteria.comparators.items()}
    as_get = {f: {op: plain(v) for op, v in ops.items()}
              for f, ops in get.criteria.comparators.items()}
    assert as_post == as_get == {f: {op: plain(v) for op, v in ops.items()}
                                 for f, ops in found.items()}


TREE = st.recursive(facets().map(body_of), lambda inner: (
    st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"and": xs})
    | st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"or": xs})
    | inner.map(lambda x: {"not": x})), max_leaves=8)


def write_back(node: Any) -> Any:
    """A parsed criteria tree written as a POST body again."""
    if isinstance(node, And):
        return {"and": [write_back(c) for c in node.children]}
    if isinstance(node, Or):
        return {"or": [write_back(c) for c in node.children]}
    if isinstance(node, Not):
        return {"not": write_back(node.child)}
    return {facet: {op: [_item(facet, v) for v in value] if isinstance(value, list)
                    else _item(facet, value) for op, value in ops.items()}
            for facet, ops in node.comparators.items()}


@given(TREE, st.integers(1, 50), st.integers(1, request.MAX_PAGE_SIZE), st.booleans(),
       st.lists(st.sampled_from(["timePeriod", "geographicLevel", "abcde"]), max_size=3),
       st.lists(OPTION_ID, min_size=1, max_size=3))
def test_valid_bodies_round_trip(tree: dict[str, Any], page: int, size: int, debug: bool,
                                 sort_fields: list[str], indicators: list[str]) -> None:
    body = {"criteria": tree, "page": page, "pageSize": size, "debug": debug,
            "indicators": indicators,
            "sorts": [{"field": f, "direction": "Asc"} for f in sort_fields] or None}
    first = parse_post.parse_post(body)
    assert first.errors == []
    again = parse_post.parse_post({**body, "criteria": write_back(first.criteria)})
    assert again.errors == []
    assert again.canonical() == first.canonical()
    assert (first.page, first.page_size, first.debug) == (page, size, debug)


NUMBERS = st.integers(-10**6, 10**6) | st.integers(-2**70, 2**70) | st.sampled_from(
    [request.MAX_INT32, request.MAX_INT32 + 1, -request.MAX_INT32 - 1])


@given(NUMBERS, NUMBERS)
@example(2**73, 1)  # page x pageSize once overflowed the query's OFFSET (a 500)
def test_paging_bounds(page: int, size: int) -> None:
    req = parse_post.parse_post({"page": page, "pageSize": size})
    codes = {e.path: e.code for e in req.errors}
    assert ("page" in codes) == (not 1 <= page <= request.MAX_INT32)
    assert ("pageSize" in codes) == (not 1 <= size <= request.MAX_PAGE_SIZE)
    get, _ = parse_get.parse_get([("page", str(page)), ("pageSize", str(size))])
    assert {e.path: e.code for e in get.errors} == codes


@given(st.integers(0, 3 * request.MAX_DEPTH))
def test_nesting_past_the_limit_is_a_clear_error(depth: int) -> None:
    tree: dict[str, Any] = {"geographicLevels": {"eq": "NAT"}}
    for _ in range(depth):
        tree = {"not": tree}
    req = parse_post.parse_post({"criteria": tree})
    too_deep = [e for e in req.errors if e.code == "CriteriaTooComplex"]
    assert bool(too_deep) == (depth > request.MAX_DEPTH)
    if not too_deep:
        assert req.errors == []
