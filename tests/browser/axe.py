"""Run axe-core (the npm package in node_modules) on a page and sort its findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe's violations for the page as it is now (all impacts)."""
    assert AXE.is_file(), f"{AXE} is missing: run `npm ci`"
    # Evaluated, not added as a <script>: our Content-Security-Policy refuses inline
    # scripts, and a test tool should not need the page to be less strict.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate("async () => await axe.run()")
    return list(result["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """One readable line per violation, with the elements it was found on."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements) "
                     f"{v['helpUrl']}")
        summary = " ".join(str(v["nodes"][0].get("failureSummary", "")).split())
        lines.append(f"    why: {summary}")
        for node in v["nodes"][:3]:
            html = " ".join(node["html"].split())
            lines.append(f"    {' '.join(map(str, node['target']))}: "
                         f"{html[:160]}{'...' if len(html) > 160 else ''}")
    return "\n".join(lines) or "(none)"
