"""A small JSON-schema checker for EES's OpenAPI 3.0.4 document (``ees-openapi-v1.json``).

``problems(instance, "DataSetMetaViewModel")`` lists every way ``instance`` breaks the named
schema of ``components/schemas``, each with a JSON path such as ``$.results[0].timePeriod.code``;
``assert_matches`` raises ``AssertionError`` listing them. ``response_schema`` and
``request_schema`` look up the schema name the document gives an operation.

Keywords: ``$ref`` (to ``#/components/schemas/...``), ``allOf``, ``oneOf`` (exactly one branch),
``anyOf``, ``not``, ``type`` with ``nullable``, ``enum``, ``required``, ``properties``,
``additionalProperties`` (false, true, ``{}`` or a schema), ``items``, ``minItems``/``maxItems``,
``minimum``/``maximum`` (with 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum``),
``minLength``/``maxLength``, ``pattern`` and ``format`` (``uuid``, ``date-time``, and the ranges
of ``int32``/``int64`` for integers). Annotations (``description``, ``example``, ``default``,
``readOnly``, ...) are ignored. Any other keyword raises ``NotImplementedError`` rather than
being silently skipped.

Two readings of OpenAPI 3.0 that the document needs:
- ``nullable: true`` admits ``null`` whatever its siblings say (the document puts it beside
  ``allOf``/``oneOf`` with no ``type``, as in ``{"allOf": [{"$ref": ...}], "nullable": true}``).
- ``additionalProperties: false`` inside an ``allOf`` branch allows the properties declared by
  the other branches. The location option schemas are ``allOf: [LocationOptionViewModel,
  {code...}]`` with ``false`` on both sides; read strictly, no instance could ever match them.

One exception to "exactly one" for ``oneOf``: ``DataSetQueryLocationCode`` and
``DataSetQueryLocationLocalAuthorityCode`` are the same shape (``{level, code}``), so every
location named by code matches both, the document's own examples included. EES tells them apart
by ``level`` in code, not in the schema; ``ONE_OF_OVERLAPS`` lets that pair count as one match.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("OPENSTATS_SHARED_DIR", _REPO.parent / "shared"))
SPEC = SHARED / "spec" / "ees-openapi-v1.json"

ANNOTATIONS = {"description", "example", "examples", "default", "readOnly", "writeOnly",
               "title", "deprecated", "externalDocs", "xml"}
SUPPORTED = ANNOTATIONS | {
    "$ref", "allOf", "oneOf", "anyOf", "not", "type", "nullable", "enum", "required",
    "properties", "additionalProperties", "items", "minItems", "maxItems", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "format"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int,
          "number": (int, float)}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ONE_OF_OVERLAPS = {
    frozenset({"DataSetQueryLocationCode", "DataSetQueryLocationLocalAuthorityCode"}),
}


@cache
def document() -> dict[str, Any]:
    return json.loads(SPEC.read_text(encoding="utf-8"))


def schemas() -> dict[str, Any]:
    return document()["components"]["schemas"]


def _resolve(ref: str) -> dict[str, Any]:
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        raise NotImplementedError(f"unsupported $ref {ref!r}")
    return schemas()[ref[len(prefix):]]


def _declared(schema: dict[str, Any]) -> set[str]:
    """Property names a schema declares, through $ref and allOf."""
    names = set(schema.get("properties", {}))
    if "$ref" in schema:
        names |= _declared(_resolve(schema["$ref"]))
    for branch in schema.get("allOf", []):
        names |= _declared(branch)
    return names


def _type_name(value: Any) -> str:
    for name, py in (("null", type(None)), ("boolean", bool), ("integer", int), ("number", float),
                     ("string", str), ("array", list), ("object", dict)):
        if isinstance(value, py):
            return name
    return type(value).__name__


def _is_type(value: Any, expected: str) -> bool:
    if isinstance(value, bool) and expected in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[expected])


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if _NAME.match(key) else f"{path}[{json.dumps(key)}]"


def _branch_name(branch: dict[str, Any]) -> str:
    return branch["$ref"].rsplit("/", 1)[-1] if "$ref" in branch else json.dumps(branch)[:60]


def _check(value: Any, schema: dict[str, Any], path: str, siblings: frozenset[str] = frozenset()
           ) -> list[str]:
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise NotImplementedError(f"unsupported schema keyword(s) {sorted(unknown)} at {path}")
    if value is None and schema.get("nullable"):
        return []
    out: list[str] = []
    if "$ref" in schema:
        out += _check(value, _resolve(schema["$ref"]), path, siblings)
    if "allOf" in schema:
        siblings = siblings | _declared(schema)
        for branch in schema["allOf"]:
            out += _check(value, branch, path, siblings)
        out = list(dict.fromkeys(out))  # branches may each reject the same extra key
    if "anyOf" in schema and not any(not _check(value, b, path) for b in schema["anyOf"]):
        out.append(f"{path}: matches none of anyOf {[_branch_name(b) for b in schema['anyOf']]}")
    if "oneOf" in schema:
        results = [(b, _check(value, b, path)) for b in schema["oneOf"]]
        matched = [_branch_name(b) for b, found in results if not found]
        if not matched:
            best, found = min(results, key=lambda r: len(r[1]))
            out.append(f"{path}: matches none of oneOf {[_branch_name(b) for b, _ in results]}"
                       f" (closest {_branch_name(best)}: {'; '.join(found)})")
        elif len(matched) > 1 and frozenset(matched) not in ONE_OF_OVERLAPS:
            out.append(f"{path}: matches {len(matched)} branches of oneOf, not one: {matched}")
    if "not" in schema and not _check(value, schema["not"], path):
        out.append(f"{path}: must not match {_branch_name(schema['not'])}")
    expected = schema.get("type")
    if expected is not None and not _is_type(value, expected):
        return out + [f"{path}: expected {expected}, got {_type_name(value)}"]
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        shown = schema["enum"] if len(schema["enum"]) <= 12 else [*schema["enum"][:12], "..."]
        out.append(f"{path}: {json.dumps(value)} is not one of {shown}")
    if isinstance(value, str):
        out += _check_string(value, schema, path)
    if _is_type(value, "number"):
        out += _check_number(value, schema, path)
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{path}: has {len(value)} items, fewer than minItems {schema['minItems']}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{path}: has {len(value)} items, more than maxItems {schema['maxItems']}")
        if "items" in schema:
            for i, item in enumerate(value):
                out += _check(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, dict):
        out += _check_object(value, schema, path, siblings)
    return out


def _check_string(value: str, schema: dict[str, Any], path: str) -> list[str]:
    out = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        out.append(f"{path}: {json.dumps(value)} is shorter than minLength {schema['minLength']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        out.append(f"{path}: {json.dumps(value)} is longer than maxLength {schema['maxLength']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        out.append(f"{path}: {json.dumps(value)} does not match pattern {schema['pattern']!r}")
    fmt = schema.get("format")
    if fmt == "uuid" and not _UUID.match(value):
        out.append(f"{path}: {json.dumps(value)} is not a uuid")
    if fmt == "date-time":
        try:
            ok = bool(_DATE_TIME.match(value)) and bool(datetime.fromisoformat(value))
        except ValueError:
            ok = False
        if not ok:
            out.append(f"{path}: {json.dumps(value)} is not an RFC 3339 date-time")
    return out


def _check_number(value: float, schema: dict[str, Any], path: str) -> list[str]:
    out = []
    if "minimum" in schema:
        low = schema["minimum"]
        if value < low or (schema.get("exclusiveMinimum") and value == low):
            out.append(f"{path}: {value} is below the minimum {low}")
    if "maximum" in schema:
        high = schema["maximum"]
        if value > high or (schema.get("exclusiveMaximum") and value == high):
            out.append(f"{path}: {value} is above the maximum {high}")
    if isinstance(value, int) and schema.get("format") in _INT_RANGE:
        low, high = _INT_RANGE[schema["format"]]
        if not low <= value <= high:
            out.append(f"{path}: {value} does not fit {schema['format']}")
    return out


def _check_object(value: dict[str, Any], schema: dict[str, Any], path: str,
                  siblings: frozenset[str]) -> list[str]:
    out = [f"{_key(path, name)}: required property is missing"
           for name in schema.get("required", []) if name not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            out += _check(item, properties[name], _key(path, name))
        elif extra is False:
            if name not in siblings:
                out.append(f"{_key(path, name)}: property is not allowed"
                           " (additionalProperties false)")
        elif isinstance(extra, dict) and name not in siblings:
            out += _check(item, extra, _key(path, name))
    return out


def problems(instance: Any, schema_name: str) -> list[str]:
    """Every way ``instance`` breaks ``components/schemas/<schema_name>``; [] if it matches."""
    if schema_name not in schemas():
        raise KeyError(f"no schema {schema_name!r} in {SPEC.name}")
    found = _check(instance, {"$ref": f"#/components/schemas/{schema_name}"}, "$")
    return list(dict.fromkeys(found))


def check(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Problems of ``instance`` against an ad-hoc schema (which may $ref the document's)."""
    return list(dict.fromkeys(_check(instance, schema, "$")))


def assert_matches(instance: Any, schema_name: str) -> None:
    found = problems(instance, schema_name)
    if found:
        listing = "\n".join(f"  - {p}" for p in found)
        raise AssertionError(f"{len(found)} problem(s) against {schema_name}:\n{listing}")


def _operation(path: str, method: str) -> dict[str, Any]:
    paths = document()["paths"]
    wanted = path.split("?", 1)[0].rstrip("/")
    if wanted.startswith("/api/"):
        wanted = wanted[len("/api"):]
    for template, operations in paths.items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if template == wanted or re.match(pattern, wanted):
            if method.lower() in operations:
                return operations[method.lower()]
            raise KeyError(f"{method.upper()} {template} is not in {SPEC.name}")
    raise KeyError(f"no path matching {path!r} in {SPEC.name}")


def _schema_name(schema: dict[str, Any], where: str) -> str:
    if "$ref" not in schema and len(schema.get("allOf", [])) == 1:
        schema = schema["allOf"][0]
    if "$ref" not in schema:
        raise LookupError(f"{where} has no named schema: {json.dumps(schema)}")
    return _branch_name(schema)


def response_schema(path: str, method: str, status: int) -> str:
    """Schema name of an operation's JSON response, e.g. ('/v1/data-sets/{dataSetId}/query',
    'get', 200) -> 'DataSetQueryPaginatedResultsViewModel'. ``path`` may be a template or a
    concrete path, with or without our ``/api`` prefix."""
    where = f"{method.upper()} {path} {status}"
    response = _operation(path, method)["responses"].get(str(status))
    if response is None:
        raise KeyError(f"{where}: the document lists no such response")
    content = response.get("content", {}).get("application/json")
    if content is None:
        raise LookupError(f"{where}: the response has no application/json content")
    return _schema_name(content["schema"], where)


def request_schema(path: str, method: str) -> str:
    """Schema name of an operation's JSON request body (e.g. 'DataSetQueryRequest')."""
    body = _operation(path, method).get("requestBody", {}).get("content", {})
    if "application/json" not in body:
        raise LookupError(f"{method.upper()} {path} takes no JSON body")
    return _schema_name(body["application/json"]["schema"], f"{method.upper()} {path} body")
