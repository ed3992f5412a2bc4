"""Text inside a chart's SVG: escaped for XML, and isolated if it holds direction controls
(standards/bidi.py), so a label cannot reorder the axis or legend around it."""

from __future__ import annotations

import html

from openstats.standards import bidi


def escape(value: str) -> str:
    return html.escape(bidi.isolate(value))
