"""Read an HTML table the way a reader sees it: rows of cells with their spans."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class HtmlCell:
    tag: str  # th or td
    text: str
    rowspan: int = 1
    colspan: int = 1
    scope: str = ""


@dataclass
class HtmlTable:
    head: list[list[HtmlCell]] = field(default_factory=list)
    body: list[list[HtmlCell]] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # > 0 inside the wanted table
        self.part = ""
        self.table = HtmlTable()
        self.cell: HtmlCell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            if self.depth or a.get("id") == self.table_id:
                self.depth += 1
            return
        if not self.depth:
            return
        if tag in ("thead", "tbody"):
            self.part = tag
        elif tag == "tr":
            (self.table.head if self.part == "thead" else self.table.body).append([])
        elif tag in ("th", "td"):
            self.cell = HtmlCell(tag, "", int(a.get("rowspan") or 1), int(a.get("colspan") or 1),
                                 a.get("scope") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag in ("th", "td") and self.cell is not None and self.depth:
            self.cell.text = " ".join(self.cell.text.split())
            (self.table.head if self.part == "thead" else self.table.body)[-1].append(self.cell)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.text += data


def read_table(html: str, table_id: str) -> HtmlTable:
    parser = _Parser(table_id)
    parser.feed(html)
    return parser.table
