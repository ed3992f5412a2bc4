"""Prepare GOV.UK Frontend's compiled assets for openstats (run by the set-up command).

GOV.UK Frontend's font, GDS Transport, may only be used on GOV.UK services, so the
stylesheet's @font-face rules are removed and its font stack falls back to the system
sans-serif, as the Frontend's own guidance says for services outside GOV.UK. Paths to
images are pointed at our own static route.

Usage: python -m openstats.web.assets NODE_MODULES_GOVUK_DIST TARGET_DIR
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

FONT_STACK = 'system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif'


def prepare_css(css: str) -> str:
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    css = css.replace("GDS Transport,arial,sans-serif", FONT_STACK)
    css = css.replace("font-family:GDS Transport", f"font-family:{FONT_STACK}")
    return css.replace("url(/assets/", "url(/static/govuk/assets/")


def main(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    css = (source / "govuk-frontend.min.css").read_text(encoding="utf-8")
    (target / "govuk-frontend.min.css").write_text(prepare_css(css), encoding="utf-8")
    shutil.copyfile(source / "govuk-frontend.min.js", target / "govuk-frontend.min.js")
    shutil.copytree(source / "assets" / "images", target / "assets" / "images")
    shutil.copyfile(source / "assets" / "manifest.json", target / "assets" / "manifest.json")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
