"""Table-tool downloads: a flat CSV (or XLSX) of the selection, and the table as shown.

- CSV: one row per observation (`query.flat`), values as published, streamed: no size
  limit and one engine page in memory, as EES's table CSV.
- XLSX and ODS of the table as shown: the caption, merged headers, numbers stored as
  numbers with the indicator's decimal places as their number format (SUM works), the
  symbol key, footnotes and the source line. Both are written from one `SheetCell` grid.
- XLSX of a selection too big to show: the flat rows in a write-only workbook spooled to
  a temporary file, so memory stays bounded whatever the size.

Labels come from publishers' files, so no text may become a formula (`standards/formulas.py`): in
CSV a risky text cell gets OWASP's leading `'`; in XLSX and ODS text cells are typed as
text (XLSX also with Excel's "quote prefix" mark on risky ones), which no spreadsheet
evaluates, so those files show the text exactly as written.
"""

from __future__ import annotations

import csv
import functools
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import IO, Any

from openstats.query.pivot import Cell, Table, number_of
from openstats.standards.formulas import neutralise_row, risky

XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit: bigger flat downloads go on to a next sheet
UNIT_AFFIX = {"%": ("", "%"), "£": ("£", ""), "£m": ("£", "m"), "pp": ("", "pp")}


@dataclass(frozen=True)
class TableNotes:
    """What a spreadsheet of a table carries beside its cells."""

    source: str  # "Source: <publication>, <release>; data set ..., version 1.0"
    footnotes: list[str]
    dropped: str = ""  # why some rows or columns are not there, or ""


@dataclass
class SheetCell:
    value: str | float | None
    kind: str = "text"  # text | number | title | header
    decimals: int | None = None
    unit: str = ""
    colspan: int = 1
    rowspan: int = 1
    covered: bool = False  # inside another cell's span


# --- CSV -------------------------------------------------------------------------------
def csv_stream(header: list[str], rows: Iterable[list[str]]) -> Iterator[bytes]:
    """The flat CSV, a block of rows at a time (UTF-8 with a BOM, so Excel reads it right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(neutralise_row(header))
    yield buffer.getvalue().encode("utf-8-sig")
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, start=1):
        writer.writerow(neutralise_row(row))
        if n % 2_000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- the table as shown, as a grid -----------------------------------------------------
def grid(table: Table, notes: TableNotes) -> list[list[SheetCell]]:
    """The table as rows of cells, spans marked, with its caption above and notes below."""
    lead = len(table.row_dims)
    width = lead + max(1, len(table.col_labels))
    out: list[list[SheetCell]] = [[SheetCell(table.caption, "title", colspan=width)]
                                  + [SheetCell(None, covered=True) for _ in range(width - 1)]]
    for level, headers in enumerate(table.col_headers):
        last = level == len(table.col_headers) - 1
        line = [SheetCell(d.label if last else "", "header") for d in table.row_dims]
        for h in headers:
            line.append(SheetCell(h.label, "header", colspan=h.span))
            line += [SheetCell(None, covered=True) for _ in range(h.span - 1)]
        out.append(line)
    if not table.col_headers:
        out.append([SheetCell(d.label, "header") for d in table.row_dims]
                   + [SheetCell("Value", "header")])
    body_start = len(out)
    for i, cells in enumerate(table.cells):
        out.append([SheetCell(None, covered=True) for _ in range(lead)]
                   + [_value_cell(c) for c in cells])
        for level, start in enumerate(table.row_headers[i]):
            if start is not None:
                out[body_start + i][level] = SheetCell(start.label, "header",
                                                       rowspan=start.span)
    tail = []
    if notes.dropped:
        tail.append(notes.dropped)
    tail += [f"{s} = {m}" for s, m in table.symbols_used]
    if notes.footnotes:
        tail.append("Footnotes")
        tail += [f"{n}. {text}" for n, text in enumerate(notes.footnotes, start=1)]
    tail.append(notes.source)
    out.append([])
    out += [[SheetCell(line)] for line in tail]
    return out


def _value_cell(c: Cell) -> SheetCell:
    if c.number is not None:
        return SheetCell(c.number, "number", c.decimals, c.unit)
    return SheetCell(c.raw if c.raw else "", "text")


def excel_format(decimals: int | None, unit: str) -> str:
    """An Excel number format showing the value as the table does: 1,234.5%."""
    body = "#,##0" + ("." + "0" * decimals if decimals else "") if decimals is not None \
        else "General"
    before, after = UNIT_AFFIX.get(unit, ("", ""))
    return (f'"{before}"' if before else "") + body + (f'"{after}"' if after else "")


@functools.cache
def _spreadsheet() -> SimpleNamespace:
    """openpyxl's and odfpy's parts, imported on the first XLSX or ODS written, not with
    this module: every page of the table tool imports it, and every `openstats serve`
    with the app, while only a spreadsheet download needs them (about 0.2 s of each
    server's start). The one lazy import of this module."""
    from odf.number import Number, NumberStyle
    from odf.number import Text as NumberText
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableCellProperties, TextProperties
    from odf.table import CoveredTableCell, TableCell, TableRow
    from odf.table import Table as OdsTable
    from odf.text import P
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    return SimpleNamespace(
        Workbook=Workbook, WriteOnlyCell=WriteOnlyCell, Alignment=Alignment, Font=Font,
        OpenDocumentSpreadsheet=OpenDocumentSpreadsheet, Style=Style,
        TableCellProperties=TableCellProperties, TextProperties=TextProperties,
        NumberStyle=NumberStyle, Number=Number, NumberText=NumberText, OdsTable=OdsTable,
        TableRow=TableRow, TableCell=TableCell, CoveredTableCell=CoveredTableCell, P=P)


# --- XLSX ------------------------------------------------------------------------------
def _text(sheet: Any, row: int, column: int, value: str) -> Any:
    cell = sheet.cell(row=row, column=column, value=value)
    cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
    if risky(value):
        cell.quotePrefix = True
    return cell


def to_xlsx(table: Table, notes: TableNotes) -> bytes:
    x = _spreadsheet()
    book = x.Workbook()
    sheet: Any = book.active
    sheet.title = "Table"
    bold = x.Font(bold=True)
    for r, line in enumerate(grid(table, notes), start=1):
        for c, sc in enumerate(line, start=1):
            if sc.covered:
                continue
            if sc.kind == "number" and isinstance(sc.value, float):
                cell = sheet.cell(row=r, column=c, value=sc.value)
                cell.number_format = excel_format(sc.decimals, sc.unit)
            else:
                cell = _text(sheet, r, c, str(sc.value or ""))
                if sc.kind in ("title", "header"):
                    cell.font = bold
                    cell.alignment = x.Alignment(vertical="top", wrap_text=sc.kind == "header")
            if sc.colspan > 1 or sc.rowspan > 1:
                sheet.merge_cells(start_row=r, start_column=c, end_row=r + sc.rowspan - 1,
                                  end_column=c + sc.colspan - 1)
    sheet.freeze_panes = sheet.cell(row=1 + len(table.col_headers) + 1,
                                    column=len(table.row_dims) + 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def flat_xlsx(header: list[str], rows: Iterable[list[str]],
              decimals: dict[str, tuple[int | None, str]]) -> IO[bytes]:
    """The flat rows as a workbook in a temporary file (rewound); the caller closes it.

    `decimals` maps an indicator column to its (decimal places, unit): those cells are
    numbers where the value is one, and text (symbols) where it is not.
    """
    x = _spreadsheet()
    book = x.Workbook(write_only=True)
    sheet: Any = book.create_sheet("Data")
    formats = {i: excel_format(*decimals[name]) for i, name in enumerate(header)
               if name in decimals}
    written = 0

    def text(value: str) -> Any:
        if not risky(value):
            return value
        cell = x.WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell

    sheet.append([text(h) for h in header])
    for row in rows:
        if written == XLSX_MAX_ROWS - 1:
            sheet = book.create_sheet(f"Data {len(book.worksheets) + 1}")
            sheet.append([text(h) for h in header])
            written = 0
        line: list[Any] = []
        for i, value in enumerate(row):
            number = number_of(value) if i in formats else None
            if number is None:
                line.append(text(value))
            else:
                cell = x.WriteOnlyCell(sheet, value=number)
                cell.number_format = formats[i]
                line.append(cell)
        sheet.append(line)
        written += 1
    out = tempfile.TemporaryFile()
    book.save(out)
    out.seek(0)
    return out


def file_chunks(handle: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    """Read a temporary file out in chunks, closing (and so deleting) it at the end."""
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()


# --- ODS -------------------------------------------------------------------------------
def to_ods(table: Table, notes: TableNotes) -> bytes:
    x = _spreadsheet()
    doc = x.OpenDocumentSpreadsheet()
    bold = x.Style(name="bold", family="table-cell")
    bold.addElement(x.TextProperties(fontweight="bold"))
    bold.addElement(x.TableCellProperties(verticalalign="top"))
    doc.automaticstyles.addElement(bold)
    styles: dict[tuple[int | None, str], Any] = {}

    def number_style(decimals: int | None, unit: str) -> Any:
        key = (decimals, unit)
        if key not in styles:
            n = len(styles)
            data = x.NumberStyle(name=f"num{n}")
            before, after = UNIT_AFFIX.get(unit, ("", ""))
            if before:
                data.addElement(x.NumberText(text=before))
            data.addElement(x.Number(decimalplaces=decimals if decimals is not None else 2,
                                   minintegerdigits=1, grouping="true"))
            if after:
                data.addElement(x.NumberText(text=after))
            doc.automaticstyles.addElement(data)
            styles[key] = x.Style(name=f"cell{n}", family="table-cell", datastylename=data)
            doc.automaticstyles.addElement(styles[key])
        return styles[key]

    sheet = x.OdsTable(name="Table")
    for line in grid(table, notes):
        tr = x.TableRow()
        for sc in line:
            if sc.covered:
                tr.addElement(x.CoveredTableCell())
                continue
            spans: dict[str, Any] = {}
            if sc.colspan > 1:
                spans["numbercolumnsspanned"] = sc.colspan
            if sc.rowspan > 1:
                spans["numberrowsspanned"] = sc.rowspan
            if sc.kind == "number" and isinstance(sc.value, float):
                tc = x.TableCell(valuetype="float", value=sc.value,
                               stylename=number_style(sc.decimals, sc.unit), **spans)
                tc.addElement(x.P(text=_shown(sc)))
            else:
                extra = {"stylename": bold} if sc.kind in ("title", "header") else {}
                tc = x.TableCell(valuetype="string", **spans, **extra)
                tc.addElement(x.P(text=str(sc.value or "")))
            tr.addElement(tc)
        sheet.addElement(tr)
    doc.spreadsheet.addElement(sheet)
    buffer = io.BytesIO()
    doc.write(buffer)
    return buffer.getvalue()


def _shown(sc: SheetCell) -> str:
    """The cached text of a number cell (what a reader without recalculation sees)."""
    assert isinstance(sc.value, float)
    dp = sc.decimals if sc.decimals is not None else 2
    before, after = UNIT_AFFIX.get(sc.unit, ("", ""))
    return f"{before}{sc.value:,.{dp}f}{after}"

