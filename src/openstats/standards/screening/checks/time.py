"""Checks of the time columns: identifiers known, of one kind, accepted by EES's screener,
and periods of the shape their identifier needs (words from standards/time_periods.py)."""

from __future__ import annotations

from typing import Any

from openstats.standards import time_periods
from openstats.standards.screening.engine import Checker
from openstats.standards.screening.sql import TIME_CODE, blank, lookup


def check_time(ck: Checker) -> None:
    if not {"time_period", "time_identifier"} <= set(ck.s.header):
        return
    ck.add_rows("data.time.identifier_blank", blank("time_identifier"),
                "time_identifier", "time_identifier is blank.")
    ck.add_rows("data.time.identifier_unknown",
                f"NOT {blank('time_identifier')} AND {TIME_CODE} IS NULL",
                "time_identifier", "'{value}' is not a time identifier.")
    # No aliases in WHERE or GROUP BY: a data column of that name would win.
    cells, first, count = ck.cells("time_identifier")
    used = ck.sql(f"SELECT {TIME_CODE}, {first}, {count} FROM {cells} "
                  f"WHERE {TIME_CODE} IS NOT NULL GROUP BY 1 ORDER BY 2")
    first_family = None
    for code, rowid, count in used:
        row = ck.s.row_number(rowid)
        identifier = time_periods.BY_CODE[code]
        if identifier.screener_rejects:
            ck.r.add("data.time.identifier_screener_rejects", ck.data,
                     f"'{identifier.label}' ({count} rows).", row=row,
                     column="time_identifier", value=identifier.label, count=count)
        first_family = first_family or identifier.family
        if identifier.family != first_family:
            ck.r.add("data.time.identifier_mixed", ck.data,
                     f"'{identifier.label}' is mixed with identifiers of the "
                     f"'{first_family}' kind ({count} rows).", row=row,
                     column="time_identifier", value=identifier.label, count=count)
    # Periods: the SQL finds rows with a bad shape for their identifier; Python words it.
    # Rows whose identifier is blank or unknown still need a 4- or 6-digit period.
    digits = lookup("lower(trim(time_identifier))",
                   {k: str(v.digits) for k, v in time_periods.BY_LABEL.items()})
    bad = (
        "(time_period IS NULL OR NOT regexp_full_match(time_period, "
        "'[0-9]{4}([0-9]{2})?') OR (length(time_period) = 6 AND "
        "TRY_CAST(substr(time_period, 5, 2) AS INTEGER) != "
        "(TRY_CAST(substr(time_period, 3, 2) AS INTEGER) + 1) % 100) OR "
        f"({TIME_CODE} IS NOT NULL AND length(time_period) != CAST({digits} AS INTEGER)))"
    )
    def report(rows: list[tuple[Any, ...]], total: int) -> None:
        for i, (row, period, identifier) in enumerate(rows):
            ident = time_periods.BY_LABEL.get((identifier or "").strip().lower())
            problem = time_periods.period_problem(period or "", ident) or "is not valid"
            shown = f" ({identifier})" if ident else ""
            ck.r.add("data.time.period_malformed", ck.data,
                     f"'{period or ''}'{shown}: {problem}.", row=row,
                     column="time_period", value=period,
                     more=total - len(rows) if i == len(rows) - 1 else 0)

    ck.when_rows(bad, "time_period, time_identifier", report)
