"""Schemathesis fuzzes the public API from its own OpenAPI document, over real HTTP.

Every operation of /api/openapi.json gets generated requests, valid ("positive") and
invalid ("negative": wrong types, formats, missing or extra parts), against the live test
server with EES's samples loaded. Path ids are mostly the real ones, so queries reach the
data instead of all being 404s. Every answer must: not be a 5xx, have a status the
document lists for the operation, a content type it lists, a body matching the listed
schema; and an invalid request must be refused with a 4xx.

Examples are bounded (OPENSTATS_FUZZ_EXAMPLES per operation and mode, default 30) so the
whole file stays around a minute on a shared machine; raise it for a longer hunt.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup

from openstats.api import diffs as api_diffs
from openstats.api import extensions as api_extensions
from openstats.api import quality as api_quality
from openstats.api import routes as api_routes
from tests.api.conftest import DATA_SETS, FUTURE_ID, LiveServer

FUZZ_EXAMPLES = int(os.environ.get("OPENSTATS_FUZZ_EXAMPLES", "30"))
# The same examples on every run in CI (a failure is then every run's, not a lottery);
# OPENSTATS_FUZZ_RANDOM=1 draws new ones, for hunting.
DERANDOMIZE = not os.environ.get("OPENSTATS_FUZZ_RANDOM")
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.negative_data_rejection]
# The operations of the document, known without a server: the API routers' routes (EES's
# and our extensions').
OPERATIONS = sorted((method, "/api/v1" + route.path)
                    for router in (api_routes.router, api_diffs.router, api_quality.router,
                                   api_extensions.router)
                    for route in router.routes
                    for method in getattr(route, "methods", ()) if method != "HEAD")


@pytest.fixture(scope="module")
def api_schema(live: LiveServer) -> Any:
    return schemathesis.openapi.from_url(f"{live.api}/openapi.json")


@pytest.fixture(scope="module")
def real_ids(live: LiveServer) -> dict[str, list[str]]:
    publications = httpx.get(f"{live.api}/v1/publications?pageSize=40").json()["results"]
    return {"dataSetId": [i for i, _ in DATA_SETS.values()] + [FUTURE_ID],
            "publicationId": [p["id"] for p in publications],
            "dataSetVersion": ["1.0", "1.*", "*", "1", "2.0", "v1.0"],
            "column": ["school_type", "country_code", "time_period", "nope"]}


def test_every_route_is_in_the_document(api_schema: Any) -> None:
    documented = {(method.upper(), path) for path, item in api_schema.raw_schema["paths"].items()
                  for method in item}
    assert set(OPERATIONS) == documented


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_api_answers_as_documented(api_schema: Any, real_ids: dict[str, list[str]],
                                   live: LiveServer, method: str, path: str,
                                   mode: GenerationMode) -> None:
    operation = api_schema[path][method]
    names = [p.name for p in operation.path_parameters]
    real = st.fixed_dictionaries({n: st.sampled_from(real_ids[n]) for n in names})
    free = operation.as_strategy(mode)  # generated ids: unknown ones must be clean 404s
    # With real ids pinned, invalid data can only go in the query or the body.
    has_more = bool(list(operation.query)) or operation.body
    strategy = st.one_of(real.flatmap(
        lambda ids: operation.as_strategy(mode, path_parameters=ids)), free) \
        if names and (has_more or mode == GenerationMode.POSITIVE) else free

    statuses: Counter[int] = Counter()  # what the fuzzing got back, by status

    @given(case=strategy)
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        # A path with capitals is redirected (308) to its lower-case form: the checks
        # apply to the answer at the end of it.
        response = case.call(base_url=live.base, timeout=30, allow_redirects=True)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as found:
            # "Negative" query values can come out of query-string encoding valid after
            # all (the integer 303 is the string "303"; an object is nothing): then the
            # API was right to accept them. Judge the bytes actually sent, not the intent.
            accepted_only = all(isinstance(e, AcceptedNegativeData) for e in found.exceptions)
            if not (accepted_only and sent_query_is_valid(operation, response)):
                raise

    fuzz()
    # The fuzzing really sent requests in this mode (a strategy that generates nothing
    # would pass every check above), and no answer at all was a server error.
    print(f"\nfuzz {method} {path} {mode.value}: {dict(sorted(statuses.items()))}")  # -s
    assert sum(statuses.values()) > 0
    assert not [status for status in statuses if status >= 500], statuses


def sent_query_is_valid(operation: Any, response: Any) -> bool:
    """Whether the query string sent fits the document's parameters (as strings)."""
    request = getattr(response, "request", None)
    if request is None or getattr(request, "body", None) not in (None, b"", "", b"{}"):
        return False  # a body was sent: its invalidity is not an encoding artefact
    documented = {p["name"]: p for p in operation.definition.raw.get("parameters", [])
                  if p.get("in") == "query"}
    sent = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    return all(name in documented and _fits(value, documented[name]["schema"])
               for name, value in sent)


def _fits(value: str, schema: dict[str, Any]) -> bool:
    if schema.get("type") == "array":
        return all(_fits(item, schema.get("items", {})) for item in value.split(",")
                   if item.strip()) and (bool(value.strip()) or not schema.get("minItems"))
    if "enum" in schema:
        return value in schema["enum"]
    if schema.get("type") == "integer":
        if not re.fullmatch(r"-?\d+", value):
            return False
        number = int(value)
        return schema.get("minimum", number) <= number <= schema.get("maximum", number)
    if "pattern" in schema:
        return re.search(schema["pattern"], value) is not None
    return True


# --- what the fuzzing found, kept as plain tests ----------------------------------------------
DS = DATA_SETS["absence"][0]


@pytest.mark.parametrize("segment", ["%5C", "%3F", "A%3FB", "%5CA", "%E2%84%AA", "A%20B"])
def test_escapes_in_paths_never_loop(live: LiveServer, segment: str) -> None:
    """`%5C` was lower-cased to `%5c`, which clients send back as `%5C`: a 308 loop."""
    answer = httpx.get(f"{live.api}/v1/data-sets/{segment}/versions", follow_redirects=True,
                       timeout=30)
    assert answer.status_code == 404
    assert len(answer.history) <= 1


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/v1/publications/not-a-uuid/data-sets", None),
    ("POST", f"/v1/data-sets/{DS}/query", b"null"),
    ("GET", f"/v1/data-sets/{DS}/query?debug=", None),
    ("GET", f"/v1/data-sets/{DS}/query?page=", None),
    ("GET", f"/v1/data-sets/{DS}/query?page=11028946974858289348608", None),
    ("POST", f"/v1/data-sets/{DS}/query?page=11028946974858289348608", b"{}"),
    ("POST", f"/v1/data-sets/{DS}/query", b'{"page": 11028946974858289348608}'),
    ("GET", "/v1/publications?page=2147483648", None),
])
def test_found_by_fuzzing_are_clean_refusals(live: LiveServer, method: str, path: str,
                                             body: bytes | None) -> None:
    answer = httpx.request(method, live.api + path, content=body, timeout=30,
                           headers={"content-type": "application/json"} if body else None)
    assert answer.status_code in (400, 404), answer.text[:300]
    assert answer.headers["content-type"] == "application/problem+json"
