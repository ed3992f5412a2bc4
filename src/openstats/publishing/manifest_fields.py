"""The field check every table of a release manifest gets: known keys, required keys, types.

Messages name the field as the manifest writes it (`release.key_statistics[0].title:
required`), so a publisher can find it; used by publishing/manifest.py and
publishing/manifest_content.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

# field -> (type, required)
FieldSpec = dict[str, tuple[type | tuple[type, ...], bool]]


def check_fields(errors: list[str], where: str, table: Any, spec: FieldSpec) -> dict[str, Any]:
    """`table` if it is a table (its problems added to `errors`), else {}."""
    if not isinstance(table, dict):
        errors.append(f"{where}: must be a table")
        return {}
    for key in table:
        if key not in spec:
            errors.append(f"{where}.{key}: unknown field (allowed: {', '.join(spec)})")
    for key, (kind, required) in spec.items():
        if key not in table:
            if required:
                errors.append(f"{where}.{key}: required")
            continue
        value = table[key]
        if not isinstance(value, kind):
            errors.append(f"{where}.{key}: must be {kind_name(kind)}")
        elif isinstance(value, str) and required and not value.strip():
            errors.append(f"{where}.{key}: must not be blank")
    return table


def kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", dict: "a table", list: "a list", datetime: "a date-time",
             date: "a date"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def tables_of(errors: list[str], where: str, value: Any) -> list[Any]:
    """The entries of an array of tables ([[...]]), or [] (with an error) if it is not one."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{where}: must be a list of tables ([[{where.rsplit('.', 1)[-1]}]])")
        return []
    return value
