"""The shared samples: real publishers' files from EES's own tests, screened as they are.

- `ees-tests/`: files EES imports in its end-to-end tests. Our principle: whatever EES's
  importer accepts must screen with no errors (warnings are fine).
- `ees-small-files/`: one edge case per pair. Some are invalid on purpose (their names
  say `illegal`, `dodgy`, `iffy`, `duplicate`, `blank`, `empty`); `INVALID` below says
  what a publisher must be told about each, row by row. `ERRORS` pins the verdict on
  every other pair, with the reason where it has errors.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from openstats.standards.findings import Report
from openstats.standards.rules import RULES
from openstats.standards.screening.screen import screen

from .paths import shared_dir

EES_TESTS = shared_dir() / "samples" / "ees-tests"
SMALL = shared_dir() / "samples" / "ees-small-files"


def pairs_in(folder: Path) -> list[str]:
    return sorted(p.name[:-4] for p in folder.glob("*.csv")
                  if not p.name.endswith(".meta.csv") and
                  (folder / (p.name[:-4] + ".meta.csv")).exists())


def screen_pair(data: Path, meta: Path, reference_dir: Path) -> Report:
    with screen(data, meta, reference_dir=reference_dir) as screening:
        return screening.report


def records(path: Path) -> int:
    """Data rows by Python's csv module: rows after the header with any cell filled."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return sum(1 for row in rows[1:] if any(cell.strip() for cell in row))


def errors(report: Report) -> set[str]:
    return {r for r in report.rule_ids() if RULES[r].severity == "error"}


# --- ees-tests: all accepted by EES, so no errors ---------------------------------------

EES_TEST_PAIRS = [
    "absence_school", "absence_school_major_auto", "absence_school_minor_manual",
    "absence_school_patch_manual", "dates", "dates-replacement",
    "filter_hierarchy_student_enrolment", "grouped-filters-and-indicators",
    "grouped-filters-and-indicators-replacement", "seven_filters",
    "seven_filters_minor_update", "tiny-one-filter", "tiny-two-filters",
]


def test_every_ees_test_pair_is_listed(shared: Path) -> None:
    assert pairs_in(EES_TESTS) == sorted(EES_TEST_PAIRS)


@pytest.mark.parametrize("name", EES_TEST_PAIRS)
def test_ees_test_pairs_have_no_errors(name: str, shared: Path, reference_dir: Path) -> None:
    data = EES_TESTS / f"{name}.csv"
    report = screen_pair(data, EES_TESTS / f"{name}.meta.csv", reference_dir)
    assert [f"{f.rule} {f.location()}: {f.message}" for f in report.errors] == []
    assert report.ok
    assert report.row_count == records(data)


# --- ees-small-files: deliberately invalid pairs, finding by finding ---------------------

# name -> {error rule: [(row, column), ...] of its first findings}, and its total count.
INVALID: dict[str, dict[str, tuple[list[tuple[int | None, str | None]], int]]] = {
    # Periods 201 and 222 are 3 digits; rows 3-5 repeat row 2's time and place.
    "3digit_illegal": {
        "data.time.period_malformed": ([(r, "time_period") for r in range(2, 7)], 5),
        "data.rows.duplicate": ([(3, None)], 3),
    },
    # Calendar years need 4 digits, and 201820, 201730, 201514 are not consecutive years.
    "6digit_dodgy": {
        "data.time.period_malformed": ([(r, "time_period") for r in range(2, 7)], 5),
    },
    # Seven digits fit no time identifier.
    "7digit_iffy": {
        "data.time.period_malformed": ([(r, "time_period") for r in range(2, 7)], 5),
    },
    # Every time_period is blank, so each local authority's rows also repeat.
    "all_year_empty": {
        "data.time.period_malformed": ([(r, "time_period") for r in range(2, 22)], 20),
        "data.rows.duplicate": ([(6, None), (7, None)], 16),
    },
    # Both time columns are blank on every row.
    "all_year_identifier_blank": {
        "data.time.identifier_blank": ([(r, "time_identifier") for r in range(2, 10)], 8),
        "data.time.period_malformed": ([(r, "time_period") for r in range(2, 10)], 8),
        "data.rows.duplicate": ([(6, None)], 4),
    },
    # Two rows for each of 201718 and 201819, same place, different values.
    "combined_terms_duplicates": {
        "data.rows.duplicate": ([(3, None), (5, None)], 2),
    },
    "financial_year_duplicate_gaps": {
        "data.rows.duplicate": ([(3, None), (5, None)], 2),
    },
    # 'Up until 31st March' is not a time identifier (EES's enum has no such value).
    "up_until_31st_march_iffy": {
        "data.time.identifier_unknown": ([(r, "time_identifier") for r in range(2, 8)], 6),
    },
}

# Decision: `4digit_duplicate` gets no error. Its "duplicate" is the period 2018 on two
# rows, but those rows are at different places (E92000001 and E92000002 are two country
# codes), so they are not the same observation. What is wrong is that E92000002 and
# E92000003 are not codes of England: lookup warnings on rows 3 and 4.
FOUR_DIGIT_DUPLICATE_WARNINGS = [(3, "country_code"), (4, "country_code")]


def test_deliberately_invalid_pairs_are_all_covered(shared: Path) -> None:
    words = ("illegal", "dodgy", "iffy", "duplicate", "blank", "empty")
    named = {n for n in pairs_in(SMALL) if any(w in n for w in words)}
    assert named == set(INVALID) | {"4digit_duplicate"}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_deliberately_invalid_pairs(name: str, shared: Path, reference_dir: Path) -> None:
    report = screen_pair(SMALL / f"{name}.csv", SMALL / f"{name}.meta.csv", reference_dir)
    expected = INVALID[name]
    assert errors(report) == set(expected)
    for rule, (where, count) in expected.items():
        found = [(f.row, f.column) for f in report.by_rule()[rule]]
        assert found[: len(where)] == where, rule
        assert report.counts[rule] == count, rule
        assert all(f.file == f"{name}.csv" for f in report.by_rule()[rule])
    assert not report.ok


def test_four_digit_duplicate_is_distinct_places(shared: Path, reference_dir: Path) -> None:
    report = screen_pair(SMALL / "4digit_duplicate.csv", SMALL / "4digit_duplicate.meta.csv",
                         reference_dir)
    assert report.ok
    found = [(f.row, f.column) for f in report.by_rule()["data.geography.lookup_mismatch"]]
    assert found == FOUR_DIGIT_DUPLICATE_WARNINGS


# --- ees-small-files: the verdict on every pair ------------------------------------------

DUPLICATES = {"data.rows.duplicate"}
NOT_UTF8_META = {"file.encoding"}  # a cp1252 '…' (byte 0x85) in a filter hint
ERRORS: dict[str, set[str]] = {
    **{name: set(rules) for name, rules in INVALID.items()},
    "4digit_duplicate": set(),
    # Cumulative quarters ("Academic year Q1-2") left EES's time identifiers long ago.
    "6digit_simple": {"data.time.identifier_unknown"},
    "financial_year_simple": {"data.time.identifier_unknown"},
    "tax_year_simple": {"data.time.identifier_unknown"},
    # Rows 2 and 4 (and others) are the same LA, year and region.
    "LA_with_SOME_regional_columns": DUPLICATES,
    # 'Academic year' and 'Tax year' rows with 4-digit periods.
    "different_time_years": {"data.time.period_malformed"},
    # Opportunity area rows, but the file has output_area_* columns instead.
    "location_name_ambiguity": {"data.geography.columns_missing"},
    "mixed_digits": {"data.time.period_malformed"},
    # Each filter's hint sits one comma early, in indicator_dp.
    "no_table_tool_results": {"meta.indicator_field_on_filter"},
    # Terms and academic years need 6-digit periods.
    "overlapping_terms": {"data.time.period_malformed"},
    "reporting_year_simple": DUPLICATES,
    "some_identifier_missing": {"data.time.identifier_blank"},
    "some_year_missing": {"data.time.period_malformed", "data.rows.duplicate"},
    # The meta file's only row is one cell short; periods 'year', 'next', 'last'.
    "string_digits": {"file.ragged_row", "meta.no_filters_or_indicators",
                      "data.time.period_malformed"},
    # The meta header reads 'indicator_dpfilter_hint' (a comma lost), so its row is ragged.
    "up_until_31st_march": {"file.ragged_row", "meta.columns.missing", "meta.columns.unknown",
                            "meta.no_filters_or_indicators", "data.time.identifier_unknown"},
    "year_identifier_missing_columns": {"data.columns.mandatory_missing"},
    "replace-data/one_with_nat": DUPLICATES,
    "replace-data/one_with_nat_updated": DUPLICATES,
    # The filter column was removed but the rows it told apart were kept.
    "replace-data/remove_filter_after": DUPLICATES,
    "replace-data/remove_filter_before": NOT_UTF8_META,
    "replace-data/remove_filter_item_after_visual_impair": NOT_UTF8_META,
    "replace-data/remove_filter_item_before": NOT_UTF8_META,
    "replace-data/two_filters_national_after": NOT_UTF8_META,
    "replace-data/two_filters_national_before": NOT_UTF8_META,
    "replace-data/three_replacement": {"data.time.period_malformed"},  # 202325
    # 'Long-Haired' under both cats and dogs, with the animal type left at Total.
    "filter-hierarchies/three_tiers": DUPLICATES,
}


def small_pairs() -> list[str]:
    names: list[str] = []
    for sub in ("", "replace-data", "replace-data/mapping", "filter-hierarchies"):
        names += [f"{sub}/{n}" if sub else n for n in pairs_in(SMALL / sub)]
    return names


def test_small_file_verdicts_cover_real_pairs(shared: Path) -> None:
    names = small_pairs()
    assert len(names) > 80
    assert set(ERRORS) <= set(names)


@pytest.mark.parametrize("name", small_pairs())
def test_small_file_verdicts(name: str, reference_dir: Path) -> None:
    data = SMALL / f"{name}.csv"
    report = screen_pair(data, SMALL / f"{name}.meta.csv", reference_dir)
    assert errors(report) == ERRORS.get(name, set()), [
        f"{f.rule} {f.location()}: {f.message}" for f in report.errors]
    unreadable_rows = any(f.rule.startswith("file.") and f.file == data.name
                          for f in report.errors)
    if not unreadable_rows:
        assert report.row_count == records(data)


def test_meta_file_named_differently(shared: Path, reference_dir: Path) -> None:
    # The only pair whose meta file does not share its data file's name.
    report = screen_pair(SMALL / "unmatched-filter-and-filter-group.csv",
                         SMALL / "unmatched-filter-and-filter-groups.meta.csv", reference_dir)
    assert errors(report) == {"file.names_match"}
    [finding] = report.by_rule()["file.names_match"]
    assert finding.file == "unmatched-filter-and-filter-groups.meta.csv"


# --- zips/: the pairs inside EES's upload ZIPs ------------------------------------------

ZIPS = SMALL / "zips"
# zip -> (data file, meta file, error rules). Which files pair up in a ZIP is the upload
# layer's business (invalid_no_meta and invalid_two_metas have no pair to screen).
ZIP_PAIRS = {
    "valid": ("one.csv", "one.meta.csv", set()),
    "valid_uppercase": ("ONE.csv", "ONE.meta.csv", set()),
    # EES matches names case-insensitively.
    "valid_uppercase2": ("ONE.CSV", "ONE.META.CSV", set()),
    # The "data" file is a copy of the meta file.
    "invalid_main_csv": ("metareal.csv", "metareal.meta.csv",
                         {"data.columns.mandatory_missing", "meta.col_name.not_in_data"}),
    # Data and meta swapped, and their names do not match.
    "invalid_csv_switch": ("metareal.csv", "notmeta.meta.csv",
                           {"file.names_match", "data.columns.mandatory_missing",
                            "meta.columns.missing", "meta.columns.unknown"}),
    "invalid_meta_filename": ("one.csv", "meta_one.csv",
                              {"file.name.extension", "file.names_match"}),
}


@pytest.mark.parametrize("name", sorted(ZIP_PAIRS))
def test_zip_pairs(name: str, tmp_path: Path, reference_dir: Path) -> None:
    with zipfile.ZipFile(ZIPS / f"{name}.zip") as archive:
        archive.extractall(tmp_path)
    data, meta, expected = ZIP_PAIRS[name]
    report = screen_pair(tmp_path / data, tmp_path / meta, reference_dir)
    assert errors(report) == expected
