"""A built table as CSV, XLSX (openpyxl) or ODS (odfpy): headers and formatted cells.

Labels and symbols come from publishers' files, so no text may become a formula
(`formulas.py`): in CSV a risky text cell gets OWASP's leading `'`; in XLSX and ODS every
cell is stored as a typed text cell (XLSX also with Excel's "quote prefix" mark on risky
ones), which no spreadsheet evaluates, so those files show the text exactly as written.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from odf.text import P
from openpyxl import Workbook

from openstats.formulas import neutralise_row, risky
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
    writer.writerow(neutralise_row([table.caption]))
    writer.writerows(neutralise_row(row) for row in grid(table))
    for symbol, meaning in table.symbols_used:
        writer.writerow(neutralise_row([f"{symbol} = {meaning}"]))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet: Any = book.active
    sheet.title = "Table"
    rows = [[table.caption], *grid(table), *([f"{s} = {m}"] for s, m in table.symbols_used)]
    for number, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            # openpyxl stores any text starting with "=" as a formula: force text.
            cell.data_type = "s"
            if risky(value):
                cell.quotePrefix = True
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
