"""Checks of the geography columns: levels known, the code and name columns each level
needs (standards/geography.py), one name per code, no totals in location cells, and codes
against the standard lookups when a reference folder is given."""

from __future__ import annotations

from pathlib import Path

from openstats.standards import geography, meta_columns
from openstats.standards.findings import CAP_PER_RULE
from openstats.standards.reference import load_lookups
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.sql import LEVEL_CODE, blank, lit, q


def check_geography(ck: Checker) -> None:
    header = set(ck.s.header)
    if "geographic_level" not in header:
        return
    ck.add_rows("data.geography.level_blank", blank("geographic_level"),
                "geographic_level", "geographic_level is blank.")
    ck.add_rows("data.geography.level_unknown",
                f"NOT {blank('geographic_level')} AND {LEVEL_CODE} IS NULL",
                "geographic_level", "'{value}' is not a geographic level.")
    cells, first, count = ck.cells("geographic_level")
    present = ck.sql(f"SELECT {LEVEL_CODE}, {first}, {count} FROM {cells} "
                     f"WHERE {LEVEL_CODE} IS NOT NULL GROUP BY 1 ORDER BY 2")
    ck.levels_present = {code: count for code, _, count in present}
    for code, rowid, count in present:
        row = ck.s.row_number(rowid)
        level = geography.BY_CODE[code]
        if level.screener_rejects:
            ck.r.add("data.geography.level_screener_rejects", ck.data,
                     f"'{level.label}' ({count} rows).", row=row,
                     column="geographic_level", value=level.label, count=count)
        needed = [*level.code_columns[:1], level.name_column]
        missing = [c for c in needed if c not in header]
        for secondary in level.code_columns[1:]:
            if secondary not in header:
                ck.r.add("data.geography.secondary_missing", ck.data,
                         f"There are {level.label} rows but no {secondary} column.",
                         row=1, column=secondary)
        if missing:
            ck.r.add("data.geography.columns_missing", ck.data,
                     f"There are {level.label} rows (first on row {row}) but no "
                     f"{', '.join(missing)} column.", row=row, column=missing[0],
                     count=1)
            continue
        is_level = f"{LEVEL_CODE} = {lit(code)}"
        ignored = level.low_level and len(present) > 1
        if level.code_columns:
            # A legacy LA may lack a 9-character code if it has the old 3-digit one.
            codes = [c for c in level.code_columns if c in header] if code == "LA" \
                else level.code_columns[:1]
            code_blank = " AND ".join(blank(c) for c in codes)
            ck.add_rows("data.geography.low_level_incomplete" if ignored else
                        "data.geography.code_blank", f"{is_level} AND {code_blank}",
                        level.code_columns[0],
                        f"{level.label} row with no {level.code_columns[0]}.")
        ck.add_rows("data.geography.low_level_incomplete" if ignored else
                    "data.geography.name_blank",
                    f"{is_level} AND {blank(level.name_column)}", level.name_column,
                    f"{level.label} row with no {level.name_column}.")
        check_codes_unique(ck, level)
        if level.code_columns:
            main = level.code_columns[0]
            na = (f"{is_level} AND (({q(main)} = 'x') != "
                  f"(coalesce({q(level.name_column)}, '') = 'Not available'))")
            ck.add_rows("data.geography.not_available", na, main,
                        f"{level.label} row: code '{{value}}' with name not matching.")
    if {"country_code", "country_name"} <= header:
        ck.add_rows("data.geography.country_blank",
                    f"{LEVEL_CODE} != 'NAT' AND ({blank('country_code')} OR "
                    f"{blank('country_name')})", "country_code",
                    "Row has no country_code or country_name.")
    low = [c for c in ck.levels_present if geography.BY_CODE[c].low_level]
    if low and len(ck.levels_present) > 1:
        for code in low:
            level = geography.BY_CODE[code]
            ck.r.add("data.geography.low_levels_mixed", ck.data,
                     f"{ck.levels_present[code]} {level.label} rows are mixed with "
                     "other levels.", column="geographic_level", value=level.label,
                     count=ck.levels_present[code])
    totals = ", ".join(lit(w) for w in sorted(geography.TOTAL_WORDS))
    for column in sorted(geography.GEOGRAPHY_COLUMNS & header):
        if column in ("school_name", "provider_name") and len(ck.s.filters) == 1 and \
                ck.s.filters[0].name == column:
            continue
        ck.add_rows("data.geography.total_in_location", f"trim({q(column)}) IN ({totals})",
                    column, "'{value}' in {column}: these cells should be blank.")
    code_columns = sorted({c for lv in geography.LEVELS for c in lv.code_columns} & header)
    for column in code_columns:
        ck.add_rows("data.geography.code_too_long",
                    f"length({q(column)}) > {meta_columns.MAX_LOCATION_CODE}", column,
                    "'{value}' is longer than 30 characters.")
    check_lookups(ck, header)


def check_codes_unique(ck: Checker, level: geography.GeographicLevel) -> None:
    if not level.code_columns:
        return
    code = level.code_columns[0]
    cells, first, _ = ck.cells("geographic_level", code, level.name_column)
    rows = ck.sql(
        f"SELECT {q(code)}, list(DISTINCT {q(level.name_column)}), {first} "
        f"FROM {cells} WHERE {LEVEL_CODE} = ? AND NOT {blank(code)} AND {q(code)} "
        f"NOT IN ('x', 'z') GROUP BY 1 HAVING count(DISTINCT {q(level.name_column)}) > 1 "
        f"ORDER BY 3 LIMIT {CAP_PER_RULE}", [level.code])
    for value, names, rowid in rows:
        shown = ", ".join(repr(n) for n in sorted(n for n in names if n is not None))
        ck.r.add("data.geography.code_many_names", ck.data,
                 f"{level.label} code '{value}' has names {shown}.",
                 row=ck.s.row_number(rowid),
                 column=code, value=value)


def check_lookups(ck: Checker, header: set[str]) -> None:
    if ck.reference_dir is None or not Path(ck.reference_dir).is_dir():
        return
    lookups = load_lookups(Path(ck.reference_dir))
    ck.s.lookups_checked = True
    for (code_col, name_col), valid in lookups.items():
        if not {code_col, name_col} <= header:
            continue
        cells, first, count = ck.cells(code_col, name_col)
        pairs = ck.sql(
            f"SELECT {q(code_col)}, {q(name_col)}, {first}, {count} FROM {cells} "
            f"WHERE NOT {blank(code_col)} AND {q(code_col)} != 'x' GROUP BY 1, 2 ORDER BY 3")
        for code, name, rowid, rows in pairs:
            if (code.strip(), (name or "").strip()) not in valid:
                ck.r.add("data.geography.lookup_mismatch", ck.data,
                         f"{code_col} '{code}' with {name_col} '{name}' is not in the "
                         f"standard lookup ({rows} rows).",
                         row=ck.s.row_number(rowid), column=code_col,
                         value=code, count=rows)
