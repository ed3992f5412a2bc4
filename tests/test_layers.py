"""The layers keep to their places: only the catalogue package writes SQL (SQLAlchemy Core),
and routes reach the catalogue through services, never through its tables.

Read from the source with `ast` (imports and calls), so a function-level import counts too.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "openstats"
CATALOGUE = SRC / "catalogue"
ROUTES = ("api/", "web/", "admin/")  # and cli.py: route_modules()
# The catalogue's read services public pages and the API may call: each takes the Catalogue
# (opening its own connection) or a published View (catalogue/published.py).
PUBLIC_READS = {"published", "finding", "listing_search", "questions", "locations", "version_specs",
                "events", "saved_tables", "values"}
# The catalogue's clock and UTC normalising (no SQL), which the publishing side's forms use.
CLOCK = {"values"}
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


@functools.cache  # parsing all of src/ takes a second or two; the checks only read the trees
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


def route_modules() -> list[tuple[str, ast.Module]]:
    return [(name, tree) for name, tree in modules()
            if name.startswith(ROUTES) or name == "cli.py"]


def catalogue_modules_named(tree: ast.Module) -> set[str]:
    """The catalogue modules a module imports from, by name ("listing", "db")."""
    found = set()
    for module, what in imports(tree):
        if module == "openstats.catalogue":
            found.add(what or "__init__")
        elif module.startswith("openstats.catalogue."):
            found.add(module.split(".")[2])
    return found


def test_routes_reach_the_catalogue_only_through_services() -> None:
    """Routes and commands use services: the publishing side (admin/, cli.py) those of
    publishing/, public pages and the API also the catalogue's read services, which take
    the Catalogue or a published View, never a Connection. None imports the tables, the
    database or any other catalogue module."""
    wrong = {}
    for name, tree in route_modules():
        allowed = CLOCK if name.startswith("admin/") or name == "cli.py" else PUBLIC_READS
        named = catalogue_modules_named(tree) - allowed
        if named:
            wrong[name] = sorted(named)
    assert wrong == {}
    assert not {name for name, _ in route_modules()} & MAY_HOLD_A_TRANSACTION


def test_routes_open_no_catalogue_connection() -> None:
    """Without a Connection no catalogue function that runs SQL on one can be called: a
    route or command that needs one calls a service that opens it."""
    opened = {}
    for name, tree in route_modules():
        calls = [node.lineno for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and node.func.attr in ("connect", "transaction")
                 and _last_name(node.func.value) == "catalogue"]
        if calls:
            opened[name] = calls
    assert opened == {}


def _last_name(node: ast.expr) -> str:
    """`catalogue` for `catalogue`, `p.catalogue` and `platform(request).catalogue`."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""
