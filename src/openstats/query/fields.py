"""The checks of single fields that GET and POST queries share: page and page size, option
ids, geographic levels and time periods, each adding EES's problem when the value is bad."""

from __future__ import annotations

import re
from typing import Any

from openstats.query.request import (
    LEVEL_CODES,
    MAX_INT32,
    MAX_PAGE_SIZE,
    PeriodRef,
    Problem,
    QueryRequest,
)
from openstats.standards import time_periods


def check_page(req: QueryRequest, page: Any, page_size: Any, prefix: str = "") -> None:
    if page is not None:
        if not _is_int(page) or abs(page) > MAX_INT32:
            req.errors.append(Problem("InvalidValue", prefix + "page"))
        elif page < 1:
            req.errors.append(Problem("GreaterThanOrEqual", prefix + "page",
                                      {"comparisonValue": 1, "comparisonProperty": "",
                                       "propertyValue": page}))
        else:
            req.page = page
    if page_size is not None:
        if not _is_int(page_size) or abs(page_size) > MAX_INT32:
            req.errors.append(Problem("InvalidValue", prefix + "pageSize"))
        elif not 1 <= page_size <= MAX_PAGE_SIZE:
            req.errors.append(Problem("InclusiveBetween", prefix + "pageSize",
                                      {"from": 1, "to": MAX_PAGE_SIZE, "value": page_size}))
        else:
            req.page_size = page_size


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_option_id(errors: list[Problem], value: Any, path: str, limit: int = 10) -> str | None:
    if not isinstance(value, str):
        errors.append(Problem("InvalidValue", path))
        return None
    if not value.strip():
        errors.append(Problem("NotEmpty", path, {"value": value}))
        return None
    if len(value) > limit:
        errors.append(Problem("MaximumLength", path,
                              {"maxLength": limit, "totalLength": len(value), "value": value}))
        return None
    return value


def check_level(errors: list[Problem], value: Any, path: str) -> str | None:
    if not isinstance(value, str):
        errors.append(Problem("InvalidValue", path))
        return None
    if value not in LEVEL_CODES:
        errors.append(Problem("AllowedValue", path, {"value": value, "allowed": list(LEVEL_CODES)}))
        return None
    return value


def check_period(errors: list[Problem], period: str, code: str, raw: Any,
                 period_path: str, code_path: str) -> PeriodRef | None:
    ok = True
    if code not in time_periods.ALL_CODES:
        errors.append(Problem("TimePeriodAllowedCode", code_path,
                              {"value": code, "allowedCodes": list(time_periods.ALL_CODES)}))
        ok = False
    parts = period.split("/")
    if len(parts) > 2 or not all(re.fullmatch(r"\d{4}", p) for p in parts):
        errors.append(Problem("TimePeriodInvalidYear", period_path, {"value": period}))
        return None
    if len(parts) == 2:
        if int(parts[1]) != int(parts[0]) + 1:
            errors.append(Problem("TimePeriodInvalidYearRange", period_path, {"value": period}))
            return None
        if ok and code not in time_periods.RANGE_CODES:
            errors.append(Problem("TimePeriodAllowedCode", code_path,
                                  {"value": code, "allowedCodes": list(time_periods.RANGE_CODES)}))
            return None
    return PeriodRef(period, code, raw) if ok else None
