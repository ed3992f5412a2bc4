"""SQL text shared by the screener, the import build and the query engine: the one home of
identifier quoting and string literals, and of the expressions that map a row's cells to
codes (its geographic level, its time identifier).

Names of columns come from publishers' files, so they are always quoted with `q`; `lit`
is for our own constants only, never for user input (that is always a `?` parameter).
"""

from __future__ import annotations

from openstats.standards import geography, time_periods

DATA = "data"  # the DuckDB table holding the data file's cells


def q(name: str) -> str:
    """Quote a column name for SQL: names come from files, never pasted raw."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A SQL string literal for one of our own constants (never for user input)."""
    return "'" + value.replace("'", "''") + "'"


def blank(column: str) -> str:
    return f"({q(column)} IS NULL OR trim({q(column)}) = '')"


def lookup(expression: str, mapping: dict[str, str]) -> str:
    """SQL giving the value `mapping` has for `expression`'s value (NULL: none, or NULL).

    Written as a lookup in two list constants rather than a CASE: DuckDB plans a CASE of
    n branches as n comparisons, each with its own copy of `expression`, and the checks
    use the time identifiers' (91 branches) several times a screening. Planning those
    CASEs cost more than the rest of a small file's screening queries together; finding
    the position in a list is one function call. Keys are distinct (a dict's), so the
    first position is the only one, as the CASE's first matching branch was.
    """
    keys = ", ".join(lit(k) for k in mapping)
    values = ", ".join(lit(v) for v in mapping.values())
    return f"([{values}][list_position([{keys}], {expression})])"


# SQL expressions mapping a row's level / time identifier to the API code (NULL: unknown).
LEVEL_CODE = lookup("lower(trim(geographic_level))",
                   {k: v.code for k, v in geography.BY_LABEL.items()})
TIME_CODE = lookup("lower(trim(time_identifier))",
                  {k: v.code for k, v in time_periods.BY_LABEL.items()})
