"""Checks of the filter columns: blank, padded or overlong values, how many options, the
default option, and the filter groups."""

from __future__ import annotations

from openstats.standards import meta_columns
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.sql import blank, q


def check_filters(ck: Checker) -> None:
    header = set(ck.s.header)
    for m in ck.s.filters:
        if m.name not in header:
            continue
        c = m.name
        ck.add_rows("data.filter.blank", blank(c), c,
                    "Blank cell in filter {column}: it will show as 'Not specified'.")
        ck.add_rows("data.filter.whitespace", f"{q(c)} != trim({q(c)})", c,
                    "'{value}' in {column} has spaces at the start or end.")
        ck.add_rows("data.filter.value_too_long",
                    f"length({q(c)}) > {meta_columns.MAX_FILTER_ITEM}", c,
                    "A value of {column} is longer than 120 characters.")
        distinct = ck.sql(f"SELECT count(DISTINCT {q(c)}) FROM {ck.cells(c)[0]}")[0][0]
        if distinct < 2:
            ck.r.add("data.filter.single_option", ck.meta_file,
                     f"Filter '{c}' has {distinct} option(s).", row=m.row, column=c)
        if distinct > meta_columns.MAX_FILTER_OPTIONS:
            ck.r.add("data.filter.too_many_options", ck.meta_file,
                     f"Filter '{c}' has {distinct:,} options.", row=m.row, column=c)
        default = m.filter_default or "Total"
        has_default = ck.sql(f"SELECT count(*) FROM (SELECT 1 FROM {ck.cells(c)[0]} WHERE "
                             f"trim({q(c)}) = ? LIMIT 1)", [default])[0][0]
        if not has_default:
            if m.filter_default:
                ck.r.add("meta.default.not_in_data", ck.meta_file,
                         f"filter_default '{default}' is not an option of '{c}'.",
                         row=m.row, column="filter_default", value=default)
            else:
                ck.r.add("data.filter.no_default", ck.data,
                         f"Filter '{c}' has no 'Total' option.", column=c)
        group = m.filter_grouping_column
        if group and group in header:
            ck.add_rows("data.filter.blank", blank(group), group,
                        "Blank cell in filter group {column}.")
            groups = ck.sql(f"SELECT count(DISTINCT {q(group)}) "
                            f"FROM {ck.cells(group)[0]}")[0][0]
            if groups > distinct:
                ck.r.add("data.filter.group_larger", ck.meta_file,
                         f"'{group}' has {groups} values but '{c}' has {distinct}.",
                         row=m.row, column="filter_grouping_column", value=group)
