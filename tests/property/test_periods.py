"""Properties of time periods (standards/time_periods.py, their one home).

- Every valid period of every time identifier is accepted, and its forms convert back
  exactly: the file's `201718` to the API's `2017/2018` and back, the label's start year.
- Anything else is refused with a reason (never an exception), by the standards check and
  by the API's reader of `period|code` parameters.
- Sorting by EES's key puts the periods of one identifier in time order.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openstats.query import fields, parse_get, request
from openstats.standards import time_periods
from openstats.standards.time_periods import IDENTIFIERS, TimeIdentifier

IDENTIFIER = st.sampled_from(IDENTIFIERS)
YEAR = st.integers(1000, 9998)


def file_period(identifier: TimeIdentifier, year: int) -> str:
    """The period as a data file writes it: 2017, or 201718 for two-year identifiers."""
    return str(year) if identifier.digits == 4 else f"{year}{(year + 1) % 100:02d}"


@given(IDENTIFIER, YEAR)
def test_valid_periods_are_accepted_and_convert_back(identifier: TimeIdentifier,
                                                     year: int) -> None:
    text = file_period(identifier, year)
    assert time_periods.period_problem(text, identifier) is None
    assert time_periods.period_problem(text, None) is None
    api = time_periods.api_period(text)
    assert api == (str(year) if identifier.digits == 4 else f"{year}/{year + 1}")
    assert time_periods.csv_period(api, identifier.code) == text
    label = time_periods.label(text, identifier.code)
    assert label.startswith(str(year))
    if identifier.digits == 6:
        # Two-year periods read 2017/18 (academic kinds) or 2017-18 (financial kinds).
        assert label[4] in "/-" and label[5:7] == text[4:]
    assert time_periods.label(text, identifier.code).startswith(str(year))
    # The API's reader accepts the same period with its code.
    errors: list[request.Problem] = []
    ref = fields.check_period(errors, api, identifier.code, None, "p", "c")
    assert errors == [] and ref is not None and (ref.period, ref.code) == (api, identifier.code)
    # Lookups by label and by code find the same identifier.
    assert time_periods.BY_LABEL[identifier.label.lower()] is identifier
    assert time_periods.BY_CODE[identifier.code] is identifier


@given(IDENTIFIER, YEAR)
def test_wrong_length_for_the_identifier_is_refused(identifier: TimeIdentifier,
                                                    year: int) -> None:
    wrong = f"{year}{(year + 1) % 100:02d}" if identifier.digits == 4 else str(year)
    problem = time_periods.period_problem(wrong, identifier)
    assert problem is not None and identifier.label in problem


@given(YEAR, st.integers(0, 99))
def test_six_digit_periods_must_be_consecutive_years(year: int, second: int) -> None:
    text = f"{year}{second:02d}"
    problem = time_periods.period_problem(text, None)
    assert (problem is None) == (second == (int(text[2:4]) + 1) % 100)


@given(st.text(max_size=12) | st.from_regex(r"\d{3,7}", fullmatch=True), st.one_of(
    st.none(), IDENTIFIER))
def test_any_text_is_a_period_or_a_reason(text: str, identifier: TimeIdentifier | None) -> None:
    problem = time_periods.period_problem(text, identifier)
    shaped = time_periods.PERIOD_PATTERN.match(text) is not None
    if not shaped:
        assert problem is not None and "digits" in problem
    if problem is None:
        assert shaped and (identifier is None or len(text) == identifier.digits)


@given(st.text(max_size=14) | st.from_regex(r"\d{4}(/\d{4})?", fullmatch=True),
       st.text(max_size=6) | st.sampled_from(time_periods.ALL_CODES))
def test_any_api_period_is_read_or_refused_clearly(period: str, code: str) -> None:
    errors: list[request.Problem] = []
    ref = fields.check_period(errors, period, code, None, "p", "c")
    assert (ref is None) == bool(errors)
    assert {e.code for e in errors} <= {"TimePeriodAllowedCode", "TimePeriodInvalidYear",
                                        "TimePeriodInvalidYearRange"}
    if ref is not None:
        # A period the reader accepts converts to the file's form and back.
        identifier = time_periods.BY_CODE[code]
        stored = time_periods.csv_period(period, code)
        assert time_periods.period_problem(stored, None) is None
        if len(stored) == identifier.digits:
            assert time_periods.csv_period(time_periods.api_period(stored), code) == stored
    # The GET form `period|code` gives the same verdict when it can be written at all.
    if "|" not in period + code and "," not in period + code \
            and period.strip() == period and code.strip() == code and period and code:
        req, _ = parse_get.parse_get([("timePeriods.eq", f"{period}|{code}")])
        assert bool(req.errors) == bool(errors)


@given(IDENTIFIER, st.lists(YEAR, min_size=2, max_size=8, unique=True))
def test_ees_order_is_time_order_within_an_identifier(identifier: TimeIdentifier,
                                                      years: list[int]) -> None:
    texts = [file_period(identifier, y) for y in years]
    by_ees = sorted(texts, key=lambda t: time_periods.ees_sort_key(t, identifier.code))
    by_time = sorted(texts, key=lambda t: time_periods.sort_key(t, identifier))
    assert by_ees == by_time == [file_period(identifier, y) for y in sorted(years)]
