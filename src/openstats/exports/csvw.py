"""CSV on the Web (CSVW) metadata for a data-set version's CSV, and its code lists.

`csv-metadata.json` (W3C's "Metadata Vocabulary for Tabular Data") describes the data
file as uploaded (the `/csv` download): each column's name, title and datatype, the unit
and decimal places of each indicator, which cells are symbols rather than numbers (they
read as nulls: c, x, z, low, ...), and foreign keys from the filter and location code
columns to code lists, one small CSV per column (`codes/<column>.csv`) listing the values
that column may hold with their ids in the public API.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from openstats.standards import geography
from openstats.standards.formulas import neutralise_row
from openstats.standards.symbols import OBSOLETE_SYMBOLS, SYMBOLS

CONTEXT = "http://www.w3.org/ns/csvw"
NULLS = ["", *SYMBOLS, *OBSOLETE_SYMBOLS]


def code_lists(meta: dict[str, Any]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Column -> (header, rows) of its code list: filter columns (label, id) and each level's
    main code column (code, name, id); a code listed once."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    for f in meta["filters"]:
        out[f["column"]] = ([f["column"], "id"], _unique(
            [[o["label"], o["public_id"]] for o in f["options"]]))
    for code in meta["geographic_levels"]:
        level = geography.BY_CODE[code]
        if not level.code_columns:
            continue
        rows = [[str(loc["code"] or ""), str(loc["name"] or ""), loc["public_id"]]
                for loc in meta["locations"] if loc["level"] == code and loc["code"]]
        out[level.code_columns[0]] = ([level.code_columns[0], level.name_column, "id"],
                                      _unique(rows))
    return out


def _unique(rows: list[list[str]]) -> list[list[str]]:
    seen: dict[str, list[str]] = {}
    for row in rows:
        seen.setdefault(row[0], row)
    return list(seen.values())


def codes_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(neutralise_row(r) for r in rows)
    return buffer.getvalue().encode()


def metadata(meta: dict[str, Any], *, csv_url: str, codes_url: Callable[[str], str],
             title: str) -> dict[str, Any]:
    """The table group: the data file with its schema, then one table per code list."""
    filters = {f["column"]: f for f in meta["filters"]}
    groups = {f["group_column"] for f in meta["filters"] if f.get("group_column")}
    indicators = {i["column"]: i for i in meta["indicators"]}
    names = {lv.name_column: lv for lv in geography.LEVELS}
    codes = {c: lv for lv in geography.LEVELS for c in lv.code_columns}
    columns = []
    for name in meta["columns"]:
        column: dict[str, Any] = {"name": name, "titles": name, "datatype": "string"}
        if name == "time_period":
            column |= {"dc:description": "Time period: a year (2017) or two years run "
                                         "together (201718), as time_identifier says."}
        elif name == "time_identifier":
            column |= {"dc:description": "What kind of period time_period is."}
        elif name == "geographic_level":
            column |= {"dc:description": "The level of this row's location."}
        elif name in filters:
            f = filters[name]
            column |= {"titles": f["label"], "dc:description": f.get("hint") or f["label"]}
        elif name in indicators:
            i = indicators[name]
            places = i.get("decimal_places")
            column |= {"titles": i["label"], "datatype": "number", "null": NULLS,
                       "dc:description": f"{i['label']}" + (
                           f" ({i['unit']})" if i.get("unit") else "") + (
                           f", {places} decimal places" if places not in (None, "") else "")
                       + "; symbols such as c (suppressed) and x (not available) read as "
                         "null.",
                       "schema:unitText": i.get("unit") or ""}
        elif name in names or name in codes:
            level = names.get(name) or codes[name]
            column |= {"dc:description": f"{level.label}: "
                                         + ("name" if name in names else "code")}
        elif name in groups:
            column |= {"dc:description": "The group of a filter's options."}
        columns.append(column)
    lists = {c: v for c, v in code_lists(meta).items() if c in meta["columns"]}
    foreign_keys = [{"columnReference": name, "reference": {
        "resource": codes_url(name), "columnReference": name}} for name in lists]
    tables: list[dict[str, Any]] = [{
        "url": csv_url, "dc:title": title,
        "tableSchema": {"columns": columns, "foreignKeys": foreign_keys}}]
    for name, (header, _) in lists.items():
        tables.append({"url": codes_url(name), "dc:title": f"Codes of {name}",
                       "tableSchema": {"columns": [{"name": h, "titles": h,
                                                    "datatype": "string"} for h in header],
                                       "primaryKey": name}})
    return {"@context": CONTEXT, "dc:title": title, "tables": tables}
