"""Read a data-set query from a POST body (EES's JSON: `criteria` as nested and/or/not
nodes of facets, `indicators`, `sorts`, `page`, `pageSize`, `debug`): every problem
collected with its JSON path; nesting and size are capped (MAX_DEPTH, MAX_NODES)."""

from __future__ import annotations

from typing import Any

from openstats.query.fields import check_level, check_option_id, check_page, check_period
from openstats.query.request import (
    EQUALITY,
    FACETS,
    LOCATION_MAX,
    LOCATION_PROPERTIES,
    MAX_DEPTH,
    MAX_NODES,
    RANGE,
    And,
    Facets,
    LocationRef,
    Not,
    Or,
    Problem,
    QueryRequest,
    Sort,
)

BODY_KEYS = {k.lower(): k for k in ("criteria", "indicators", "sorts", "debug", "page",
                                    "pageSize")}


def parse_post(body: Any) -> QueryRequest:
    """A POST body (already JSON-decoded) -> request; an empty body means everything."""
    req = QueryRequest()
    if body is None:
        return req
    if not isinstance(body, dict):
        req.errors.append(Problem("InvalidValue", ""))
        return req
    fields: dict[str, Any] = {}
    for key, value in body.items():
        name = BODY_KEYS.get(key.lower())
        if name is None:
            req.errors.append(Problem("UnknownField", key))
        else:
            fields[name] = value
    counter = [0]
    if fields.get("criteria") is not None:
        req.criteria = _node(req.errors, fields["criteria"], "criteria", 0, counter)
    indicators = fields.get("indicators")
    if indicators is not None:
        if not isinstance(indicators, list):
            req.errors.append(Problem("InvalidValue", "indicators"))
        else:
            for i, ind in enumerate(indicators):
                check_option_id(req.errors, ind, f"indicators[{i}]", limit=40)
            req.indicators = [i for i in indicators if isinstance(i, str)]
    sorts = fields.get("sorts")
    if sorts is not None:
        req.sorts = []
        if not isinstance(sorts, list):
            req.errors.append(Problem("InvalidValue", "sorts"))
        elif not sorts:
            req.errors.append(Problem("NotEmpty", "sorts", {"value": []}))
        else:
            for i, s in enumerate(sorts):
                sort = _post_sort(req.errors, s, f"sorts[{i}]")
                if sort:
                    req.sorts.append(sort)
    debug = fields.get("debug")
    if debug is not None:
        if isinstance(debug, bool):
            req.debug = debug
        else:
            req.errors.append(Problem("InvalidValue", "debug"))
    check_page(req, fields.get("page"), fields.get("pageSize"))
    return req


def _post_sort(errors: list[Problem], raw: Any, path: str) -> Sort | None:
    if not isinstance(raw, dict):
        errors.append(Problem("InvalidValue", path))
        return None
    values = {}
    for key, value in raw.items():
        if key.lower() not in ("field", "direction"):
            errors.append(Problem("UnknownField", f"{path}.{key}"))
        else:
            values[key.lower()] = value
    field_value, direction = values.get("field"), values.get("direction")
    ok = True
    if not isinstance(field_value, str) or not field_value.strip():
        errors.append(Problem("NotEmpty", f"{path}.field", {"value": field_value}))
        ok = False
    elif len(field_value) > 40:
        errors.append(Problem("MaximumLength", f"{path}.field", {
            "maxLength": 40, "totalLength": len(field_value), "value": field_value}))
        ok = False
    if direction not in ("Asc", "Desc"):
        errors.append(Problem("AllowedValue", f"{path}.direction",
                              {"value": direction, "allowed": ["Asc", "Desc"]}))
        ok = False
    if not ok:
        return None
    assert isinstance(field_value, str) and isinstance(direction, str)
    return Sort(field_value, direction, {"field": field_value, "direction": direction})


def _node(errors: list[Problem], raw: Any, path: str, depth: int, counter: list[int]) -> Any:
    counter[0] += 1
    if depth > MAX_DEPTH or counter[0] > MAX_NODES:
        if not any(e.code == "CriteriaTooComplex" for e in errors):
            errors.append(Problem("CriteriaTooComplex", path, {
                "maxDepth": MAX_DEPTH, "maxClauses": MAX_NODES}))
        return None
    if not isinstance(raw, dict):
        errors.append(Problem("InvalidValue", path))
        return None
    keys = {k.lower(): k for k in raw}
    for clause in ("and", "or", "not"):
        if clause in keys:
            for other in raw:
                if other.lower() != clause:
                    errors.append(Problem("UnknownField", f"{path}.{other}"))
            value = raw[keys[clause]]
            sub = f"{path}.{clause}"
            if clause == "not":
                if not isinstance(value, dict):
                    errors.append(Problem("InvalidValue", sub))
                    return None
                return Not(path, _node(errors, value, sub, depth + 1, counter))
            if not isinstance(value, list):
                errors.append(Problem("InvalidValue", sub))
                return None
            if not value:
                errors.append(Problem("NotEmpty", sub, {"value": []}))
                return None
            children = [_node(errors, v, f"{sub}[{i}]", depth + 1, counter)
                        for i, v in enumerate(value)]
            return (And if clause == "and" else Or)(path, children)
    facets = Facets(path)
    for key, value in raw.items():
        facet = next((f for f in FACETS if f.lower() == key.lower()), None)
        if facet is None:
            errors.append(Problem("UnknownField", f"{path}.{key}"))
            continue
        fpath = f"{path}.{facet}"
        if not isinstance(value, dict):
            errors.append(Problem("InvalidValue", fpath))
            continue
        ops = EQUALITY + (RANGE if facet == "timePeriods" else ())
        for op_key, op_value in value.items():
            op = next((o for o in ops if o.lower() == op_key.lower()), None)
            if op is None:
                errors.append(Problem("UnknownField", f"{fpath}.{op_key}"))
                continue
            opath = f"{fpath}.{op}"
            if op in ("in", "notIn"):
                if not isinstance(op_value, list):
                    errors.append(Problem("InvalidValue", opath))
                    continue
                if not op_value:
                    errors.append(Problem("NotEmpty", opath, {"value": []}))
                    continue
                parsed = [_post_item(errors, facet, v, f"{opath}[{i}]")
                          for i, v in enumerate(op_value)]
                if all(p is not None for p in parsed):
                    facets.comparators.setdefault(facet, {})[op] = parsed
            else:
                item = _post_item(errors, facet, op_value, opath)
                if item is not None:
                    facets.comparators.setdefault(facet, {})[op] = item
    return facets


def _post_item(errors: list[Problem], facet: str, raw: Any, path: str) -> Any:
    if facet == "filters":
        return check_option_id(errors, raw, path)
    if facet == "geographicLevels":
        return check_level(errors, raw, path)
    if not isinstance(raw, dict):
        errors.append(Problem("InvalidValue", path))
        return None
    if facet == "timePeriods":
        values = {k.lower(): v for k, v in raw.items()}
        for key in raw:
            if key.lower() not in ("period", "code"):
                errors.append(Problem("UnknownField", f"{path}.{key}"))
        period, code = values.get("period"), values.get("code")
        if not isinstance(period, str) or not isinstance(code, str):
            errors.append(Problem("InvalidValue", path))
            return None
        return check_period(errors, period, code, {"period": period, "code": code},
                            f"{path}.period", f"{path}.code")
    # locations: level plus one identifying property
    values = {k: v for k, v in raw.items()}
    level_key = next((k for k in values if k.lower() == "level"), None)
    level = check_level(errors, values.get(level_key) if level_key else None, f"{path}.level")
    props = [k for k in values if k != level_key]
    if level is None:
        return None
    allowed = LOCATION_PROPERTIES[level]
    known = [p for p in props if p in allowed]
    for p in props:
        if p not in allowed or (len(known) > 1 and p == "id"):
            errors.append(Problem("UnknownField", f"{path}.{p}"))
    if not known:
        errors.append(Problem("NotEmpty", f"{path}.{allowed[0]}", {"value": None}))
        return None
    prop = next(p for p in known if p != "id") if len(known) > 1 else known[0]
    value = values[prop]
    if not isinstance(value, str):
        errors.append(Problem("InvalidValue", f"{path}.{prop}"))
        return None
    if not value.strip():
        errors.append(Problem("NotEmpty", f"{path}.{prop}", {"value": value}))
        return None
    if len(value) > LOCATION_MAX[prop]:
        errors.append(Problem("MaximumLength", f"{path}.{prop}", {
            "maxLength": LOCATION_MAX[prop], "totalLength": len(value), "value": value}))
        return None
    return LocationRef(level, prop, value, {"level": level, prop: value})
