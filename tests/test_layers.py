"""The layers keep to their places: only the catalogue package writes SQL (SQLAlchemy Core),
and routes reach the catalogue through services, never through its tables.

Read from the source with `ast` (imports and calls), so a function-level import counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "openstats"
CATALOGUE = SRC / "catalogue"
ROUTES = ("api", "web", "admin")
# Modules outside catalogue/ that may import from SQLAlchemy, and exactly what. Each is a
# service that runs several catalogue functions in one transaction: it holds the
# transaction's Connection (a type, for its signatures) and hands it on; it writes no SQL.
CONNECTION_ONLY = {("sqlalchemy.engine", "Connection")}
MAY_HOLD_A_TRANSACTION = {
    "ingest/service.py", "publishing/checklist.py", "publishing/content.py",
    "publishing/manifest.py", "publishing/manifest_content.py", "publishing/uploads.py",
    "publishing/workflow.py",
}
# SQLAlchemy Connection methods that run SQL; DuckDB's connections (query/, standards/)
# have an execute() too, so this is checked only where a catalogue Connection is held.
RUNS_SQL = {"execute", "exec_driver_sql", "scalar", "scalars"}


def modules() -> list[tuple[str, ast.Module]]:
    return [(str(path.relative_to(SRC)), ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(SRC.rglob("*.py")) if not path.is_relative_to(CATALOGUE)]


def imports(tree: ast.Module) -> set[tuple[str, str]]:
    """(module, name) for each `from module import name`, (module, "") for `import module`."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {(alias.name, "") for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {(node.module, alias.name) for alias in node.names}
    return found


def test_only_the_catalogue_imports_sqlalchemy() -> None:
    wrong = {}
    for name, tree in modules():
        used = {i for i in imports(tree) if i[0].partition(".")[0] == "sqlalchemy"}
        allowed = CONNECTION_ONLY if name in MAY_HOLD_A_TRANSACTION else set()
        if used - allowed:
            wrong[name] = sorted(used - allowed)
    assert wrong == {}


def test_modules_holding_a_transaction_run_no_sql_on_it() -> None:
    held = {name: tree for name, tree in modules() if name in MAY_HOLD_A_TRANSACTION}
    assert set(held) == MAY_HOLD_A_TRANSACTION  # the list names modules that exist
    calls = {name: sorted({node.func.attr for node in ast.walk(tree)
                           if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                           and node.func.attr in RUNS_SQL})
             for name, tree in held.items()}
    assert {name: found for name, found in calls.items() if found} == {}
    # Raw SQL needs no import: SQLAlchemy's own method for it is used nowhere outside.
    assert [name for name, tree in modules() if any(
        isinstance(node, ast.Attribute) and node.attr == "exec_driver_sql"
        for node in ast.walk(tree))] == []


def test_routes_do_not_import_the_catalogue_tables() -> None:
    wrong = sorted(name for name, tree in modules() if name.startswith(ROUTES)
                   and any(module == "openstats.catalogue.schema"
                           or (module == "openstats.catalogue" and what == "schema")
                           for module, what in imports(tree)))
    assert wrong == []
