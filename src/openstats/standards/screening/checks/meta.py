"""Checks of the meta file: its columns, each row (a filter or an indicator and the fields
that go with it), the rows taken together (repeated names, labels and groupings), and its
rows against the data file's header. The meta file is small: these run in Python."""

from __future__ import annotations

from openstats.standards import geography, meta_columns, symbols
from openstats.standards.csvfile import CsvProblem, read_meta_rows
from openstats.standards.screening.checks import files, text
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.result import MetaColumn


def check_meta_file(ck: Checker) -> None:
    file = ck.meta_file
    if ck.s.meta_path.stat().st_size == 0:
        ck.r.add("file.empty", file, "The meta file is empty: it has no header row.")
        return
    try:
        parsed = read_meta_rows(ck.s.meta_path)
    except CsvProblem as p:
        if not p.whole_file:
            ck.s.meta_scan = files.check_bytes(ck, ck.s.meta_path, file)
        ck.r.add(p.rule, file, p.message, row=p.line)
        return
    ck.s.meta_scan = files.check_bytes(ck, ck.s.meta_path, file)
    header, rows = parsed.header, parsed.rows
    ck.s.meta_read = True
    for problem in parsed.problems:
        ck.r.add(problem.rule, file, problem.message, row=problem.line)
    missing = [c for c in meta_columns.REQUIRED_META_COLUMNS if c not in header]
    for column in missing:
        ck.r.add("meta.columns.missing", file, f"The meta file has no '{column}' column.",
                 row=1, column=column)
    allowed = set(meta_columns.REQUIRED_META_COLUMNS) | set(meta_columns.OPTIONAL_META_COLUMNS)
    for column in header:
        if column not in allowed:
            ck.r.add("meta.columns.unknown", file,
                     f"'{column}' is not a meta file column.", row=1, column=column)
    if "col_name" not in header or "col_type" not in header:
        return
    meta: list[MetaColumn] = []
    for line, cells in rows:
        values = {k: (v or "").strip() for k, v in cells.items()}
        if not cells:
            continue  # an empty line: the byte scan reports it (file.blank_row)
        if not any(values.values()):
            ck.r.add("meta.rows.blank", file, f"Row {line} is blank.", row=line)
            continue
        for column, raw in cells.items():
            if raw in symbols.NULL_MARKERS:
                ck.r.add("data.null_marker", file, f"'{raw}' in {column}.", row=line,
                         column=column, value=raw)
            text.check_text(ck, raw or "", file, line, column)
        dp_text = values.get("indicator_dp", "")
        dp = int(dp_text) if dp_text.isdigit() else None
        meta.append(MetaColumn(
            name=values.get("col_name", ""), col_type=values.get("col_type", ""),
            label=values.get("label", ""),
            indicator_grouping=values.get("indicator_grouping", ""),
            indicator_unit=values.get("indicator_unit", ""), indicator_dp=dp,
            filter_hint=values.get("filter_hint", ""),
            filter_grouping_column=values.get("filter_grouping_column", ""),
            parent_filter=values.get("parent_filter", ""),
            filter_default=values.get("filter_default", ""), row=line,
        ))
        check_meta_row(ck, meta[-1], cells)
    names = [m.name for m in meta]
    labels: dict[str, int] = {}
    groups: dict[str, str] = {}
    for m in meta:
        if m.name and names.count(m.name) > 1 and names.index(m.name) != meta.index(m):
            ck.r.add("meta.col_name.duplicate", file, f"'{m.name}' is described again.",
                     row=m.row, column="col_name", value=m.name)
        if m.label:
            if m.label.lower() in labels:
                ck.r.add("meta.label.duplicate", file,
                         f"The label '{m.label}' is also used on row "
                         f"{labels[m.label.lower()]}.", row=m.row, column="label",
                         value=m.label)
            labels.setdefault(m.label.lower(), m.row)
        group = m.filter_grouping_column
        if group and m.is_filter:
            if group in groups:
                ck.r.add("meta.grouping.duplicate", file,
                         f"'{group}' already groups '{groups[group]}'.", row=m.row,
                         column="filter_grouping_column", value=group)
            groups.setdefault(group, m.name)
        if m.parent_filter and m.parent_filter not in {
                x.name for x in meta if x.is_filter and x is not m}:
            ck.r.add("meta.parent_filter.invalid", file,
                     f"parent_filter '{m.parent_filter}' of '{m.name}' is not a filter "
                     "in this file.", row=m.row, column="parent_filter",
                     value=m.parent_filter)
    if not any(m.is_indicator for m in meta):
        ck.r.add("meta.no_filters_or_indicators", file,
                 "No row of the meta file is an Indicator.")
    ck.s.meta = [m for m in meta if m.name]


def check_meta_row(ck: Checker, m: MetaColumn, cells: dict[str, str]) -> None:
    file, row = ck.meta_file, m.row
    if not m.name:
        ck.r.add("meta.col_name.blank", file, f"Row {row} has no col_name.", row=row,
                 column="col_name")
    elif (m.name in geography.GEOGRAPHY_COLUMNS or m.name in meta_columns.TIME_COLUMNS
          or m.name == "geographic_level") and m.name not in ("school_name",
                                                              "provider_name"):
        ck.r.add("meta.col_name.observational_unit", file,
                 f"'{m.name}' is a time or geography column.", row=row,
                 column="col_name", value=m.name)
    if m.col_type not in meta_columns.COL_TYPES:
        ck.r.add("meta.col_type.invalid", file,
                 f"col_type of '{m.name}' is '{m.col_type}'.", row=row,
                 column="col_type", value=m.col_type)
    if not m.label:
        ck.r.add("meta.label.blank", file, f"'{m.name}' has no label.", row=row,
                 column="label")
    elif len(m.label) > meta_columns.MAX_LABEL:
        ck.r.add("meta.label.too_long", file,
                 f"The label of '{m.name}' has {len(m.label)} characters.", row=row,
                 column="label", value=m.label)
    if m.is_indicator:
        for column in ("filter_hint", "filter_grouping_column", "parent_filter",
                       "filter_default"):
            if (cells.get(column) or "").strip():
                ck.r.add("meta.filter_field_on_indicator", file,
                         f"Indicator '{m.name}' has a {column}.", row=row, column=column,
                         value=cells[column])
        if m.indicator_unit not in meta_columns.INDICATOR_UNITS:
            ck.r.add("meta.indicator_unit.invalid", file,
                     f"Unit '{m.indicator_unit}' of '{m.name}' is not allowed.",
                     row=row, column="indicator_unit", value=m.indicator_unit)
        dp = (cells.get("indicator_dp") or "").strip()
        if not dp:
            ck.r.add("meta.indicator_dp.blank", file,
                     f"Indicator '{m.name}' has no indicator_dp.", row=row,
                     column="indicator_dp")
        elif m.indicator_dp is None:
            ck.r.add("meta.indicator_dp.invalid", file,
                     f"indicator_dp of '{m.name}' is '{dp}'.", row=row,
                     column="indicator_dp", value=dp)
        lowered = m.name.lower()
        word = next((w for w in meta_columns.SMUSHED_WORDS if w in lowered), None)
        if word:
            ck.r.add("meta.indicator.smushed", file,
                     f"Indicator '{m.name}' contains '{word}'.", row=row,
                     column="col_name", value=m.name)
    elif m.is_filter:
        for column in ("indicator_grouping", "indicator_unit", "indicator_dp"):
            if (cells.get(column) or "").strip():
                ck.r.add("meta.indicator_field_on_filter", file,
                         f"Filter '{m.name}' has an {column}.", row=row, column=column,
                         value=cells[column])
        if m.filter_default and m.parent_filter:
            ck.r.add("meta.default_with_parent", file,
                     f"Filter '{m.name}' has both filter_default and parent_filter.",
                     row=row, column="filter_default")
        if m.filter_grouping_column.startswith("characteristic"):
            ck.r.add("data.columns.characteristic", file,
                     f"'{m.filter_grouping_column}' is a characteristic column.",
                     row=row, column="filter_grouping_column")


def check_meta_against_data(ck: Checker) -> None:
    header = set(ck.s.header)
    for m in ck.s.meta:
        if m.name not in header:
            ck.r.add("meta.col_name.not_in_data", ck.meta_file,
                     f"'{m.name}' is not a column of {ck.data}.", row=m.row,
                     column="col_name", value=m.name)
        group = m.filter_grouping_column
        if m.is_filter and group and group not in header:
            ck.r.add("meta.grouping.not_in_data", ck.meta_file,
                     f"Grouping column '{group}' of '{m.name}' is not a column of "
                     f"{ck.data}.", row=m.row, column="filter_grouping_column",
                     value=group)
