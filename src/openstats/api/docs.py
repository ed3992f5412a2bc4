"""Human API docs at /api/docs: a plain page rendered from our own OpenAPI document.

Self-contained (no scripts from elsewhere), so it works offline and without JavaScript.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape())


def render(openapi: dict[str, Any]) -> str:
    operations = []
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "tag": (op.get("tags") or [""])[0],
                "extension": bool(op.get("x-openstats-extension")),
                "parameters": [
                    {"name": p["name"], "in": p["in"],
                     "description": p.get("description", ""), "required": p.get("required"),
                     "extension": bool(p.get("x-openstats-extension"))}
                    for p in op.get("parameters", [])
                ],
            })
    return _env.get_template("docs.html").render(info=openapi["info"], operations=operations)
