"""Which tests are the system tier: they start servers, processes or browsers.

`make check` runs the rest (`pytest -m "not system"`): the app in-process, fast. A test is
system tier when
- it lives in a folder that is all system tests (browsers, faults, load, operations),
- it runs on PostgreSQL (the `database_url` fixture's second case, `postgres_url`), or
- its own code, a fixture it uses (at any depth), or a helper either of them calls starts a
  process or a server: `subprocess`, `uvicorn.Server` and the like, found by following the
  calls through the test code (tests/...) from the function objects themselves, so a new
  test that uses the live-server fixtures or helpers is marked without being listed.

`guard` then keeps the fast tier honest: a test not marked system that starts a process or
a server anyway fails at once and says where it belongs, instead of quietly slowing
`make check` down.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import multiprocessing
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

TESTS = Path(__file__).resolve().parents[1]
# Folders whose every test drives a browser, breaks the machine or runs the real service.
SYSTEM_FOLDERS = frozenset({"browser", "faults", "load", "ops"})
# What starting a process or a server comes down to.
STARTERS: tuple[object, ...] = (
    subprocess.Popen, subprocess.run, subprocess.call, subprocess.check_call,
    subprocess.check_output, uvicorn.Server, uvicorn.run, multiprocessing.Process,
    asyncio.create_subprocess_exec, asyncio.create_subprocess_shell)


def is_system(item: pytest.Item) -> bool:
    path = Path(str(item.path)).resolve()
    if path.is_relative_to(TESTS) and path.relative_to(TESTS).parts[0] in SYSTEM_FOLDERS:
        return True
    # The fast tier's catalogue is SQLite in a temporary folder; PostgreSQL is a server in
    # another process (the same tests run on it in the system tier).
    callspec = getattr(item, "callspec", None)
    if "postgres_url" in item.fixturenames or (
            callspec is not None and "postgresql" in callspec.params.values()):
        return True
    functions = [getattr(item, "function", None)]
    # The fixtures the test uses, with those they use in turn (pytest's closure). There is no
    # public way to get a fixture's definition from an item; this attribute is pytest's own.
    info = getattr(item, "_fixtureinfo", None)
    for definitions in (info.name2fixturedefs.values() if info else ()):
        functions += [definition.func for definition in definitions]
    return any(starts_something(f) for f in functions if f is not None)


_FOUND: dict[object, bool] = {}


def starts_something(function: object) -> bool:
    """Whether `function` (test code) starts a process or server, itself or by calling."""
    if function not in _FOUND:
        _FOUND[function] = False  # while it is being looked at: a call cycle adds nothing
        _FOUND[function] = any(
            any(c is s for s in STARTERS) or (is_test_code(c) and starts_something(c))
            for c in called(function))
    return _FOUND[function]


def is_test_code(thing: object) -> bool:
    return (inspect.isfunction(thing) or inspect.isclass(thing)) and getattr(
        thing, "__module__", "").startswith("tests.")


def called(function: object) -> Iterator[object]:
    """What `function`'s calls name, resolved in its module: `f(...)`, `mod.f(...)`, test
    helpers handed to a call (`Thread(target=f)`), and the classes it makes (a class stands
    for all its methods)."""
    if inspect.isclass(function):
        for member in vars(function).values():
            if inspect.isfunction(member):
                yield from called(member)
        return
    if not inspect.isfunction(function):
        return
    function = inspect.unwrap(function)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        names: dict[str, Any] = {**function.__globals__,
                                 **inspect.getclosurevars(function).nonlocals}
    except (OSError, TypeError, ValueError, SyntaxError):
        return
    names.update(imported_inside(tree))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        handed = [*node.args, *(k.value for k in node.keywords)]
        yield from (names.get(a.id) for a in handed if isinstance(a, ast.Name))
        if isinstance(node.func, ast.Name):
            yield names.get(node.func.id)
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner = names.get(node.func.value.id)
            if isinstance(owner, ModuleType) or inspect.isclass(owner):
                yield getattr(owner, node.func.attr, None)


def imported_inside(tree: ast.AST) -> dict[str, Any]:
    """The names a function imports in its own body (`import subprocess` inside a test)."""
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.partition(".")[0]
                names[alias.asname or top] = importlib.import_module(
                    alias.name if alias.asname else top)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            module = importlib.import_module(node.module)
            for alias in node.names:
                names[alias.asname or alias.name] = getattr(module, alias.name, None)
    return names


# --- the guard -----------------------------------------------------------------------------
def _refuse(what: str) -> Callable[..., Any]:
    def refuse(*args: object, **kwargs: object) -> Any:
        pytest.fail(f"this test starts {what} but is not in the system tier: use a live-server "
                    "fixture or helper, or mark it @pytest.mark.system (tests/support/tiers.py)",
                    pytrace=True)
    return refuse


@contextmanager
def guard() -> Iterator[None]:
    """While it runs, starting a process or a uvicorn server fails the test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess.Popen, "__init__", _refuse("a process"))
        patch.setattr(uvicorn.Server, "__init__", _refuse("a uvicorn server"))
        yield
