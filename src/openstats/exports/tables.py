"""A built table as CSV, XLSX (openpyxl) or ODS (odfpy): headers and formatted cells."""

from __future__ import annotations

import csv
import io
from typing import Any

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from odf.text import P
from openpyxl import Workbook

from openstats.query.tables import Table


def grid(table: Table) -> list[list[str]]:
    """The table as a plain grid: header rows (column labels repeated), then data rows."""
    out: list[list[str]] = []
    lead = len(table.row_dims)
    for level, headers in enumerate(table.col_headers):
        row = [table.dim_labels[d] if level == len(table.col_headers) - 1 else ""
               for d in table.row_dims]
        for h in headers:
            row += [h.label] * h.span
        out.append(row)
    if not table.col_headers:
        out.append([table.dim_labels[d] for d in table.row_dims] + ["Value"])
    for labels, cells in zip(table.row_labels, table.cells, strict=True):
        out.append(labels[:lead] + cells)
    return out


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([table.caption])
    writer.writerows(grid(table))
    for symbol, meaning in table.symbols_used:
        writer.writerow([f"{symbol} = {meaning}"])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet: Any = book.active
    sheet.title = "Table"
    sheet.append([table.caption])
    for row in grid(table):
        sheet.append(row)
    for symbol, meaning in table.symbols_used:
        sheet.append([f"{symbol} = {meaning}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_ods(table: Table) -> bytes:
    doc = OpenDocumentSpreadsheet()
    sheet = OdsTable(name="Table")
    rows = [[table.caption], *grid(table),
            *([f"{s} = {m}"] for s, m in table.symbols_used)]
    for values in rows:
        tr = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            tr.addElement(cell)
        sheet.addElement(tr)
    doc.spreadsheet.addElement(sheet)
    buffer = io.BytesIO()
    doc.write(buffer)
    return buffer.getvalue()
