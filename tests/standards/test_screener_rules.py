"""Every rule of the screener, broken on purpose: one or more bad pairs per rule id.

Each case takes the valid base pair (`pairs.py`), breaks one thing, screens it, and
checks that the rule is reported with the table's severity, against the right file, row
and column, and that nothing else is reported except the listed side effects (`also`).
A rule id in `RULES` without a case fails `test_every_rule_has_a_case`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from openstats.standards.findings import Report
from openstats.standards.rules import RULES

from .pairs import LAST_ROW, META_ROW, Pair, base, to_csv

LATIN1_E = "é".encode("latin-1")  # one byte, 0xe9: never valid UTF-8 on its own
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    build: Callable[[], Pair]
    file: Literal["data", "meta"]
    row: int | None
    column: str | None
    also: frozenset[str] = frozenset()  # other rules the mutation rightly triggers
    count: int | None = None  # the rule's total count, when it matters

    def __str__(self) -> str:
        return self.id


def case(id: str, rule: str, build: Callable[[], Pair], file: Literal["data", "meta"],
         row: int | None, column: str | None, *also: str, count: int | None = None) -> Case:
    return Case(id, rule, build, file, row, column, frozenset(also), count)


def replace_names(pair: Pair, data_name: str) -> Pair:
    pair.data_name = data_name  # the bytes stay those of a plain CSV
    return pair


def raw_data(text: bytes) -> Callable[[], Pair]:
    def build() -> Pair:
        pair = base()
        pair.data_bytes = text
        return pair
    return build


def raw_meta(text: bytes) -> Callable[[], Pair]:
    def build() -> Pair:
        pair = base()
        pair.meta_bytes = text
        return pair
    return build


def data_lines(edit: Callable[[list[bytes]], list[bytes]], eol: bytes = b"\n"
               ) -> Callable[[], Pair]:
    """Edit the base data file as a list of lines (without their endings)."""
    def build() -> Pair:
        pair = base()
        lines = pair.data_text().split(b"\n")[:-1]
        pair.data_bytes = eol.join(edit(lines)) + eol
        return pair
    return build


def meta_lines(edit: Callable[[list[bytes]], list[bytes]]) -> Callable[[], Pair]:
    def build() -> Pair:
        pair = base()
        lines = pair.meta_text().split(b"\n")[:-1]
        pair.meta_bytes = b"\n".join(edit(lines)) + b"\n"
        return pair
    return build


def at(lines: list[bytes], index: int, new: bytes | list[bytes]) -> list[bytes]:
    """Replace line `index` (0 = header) with one line or several."""
    return lines[:index] + (new if isinstance(new, list) else [new]) + lines[index + 1:]


def zipped(content: bytes) -> bytes:
    """A ZIP archive holding `content`: what a renamed .zip or .xlsx upload looks like."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("pupils.csv", content)
    return buffer.getvalue()


def names(data: str, meta: str) -> Callable[[], Pair]:
    def build() -> Pair:
        return Pair(data_name=data, meta_name=meta)
    return build


def with_region() -> Pair:
    """The base pair with (blank) region columns, so Regional rows can be added."""
    return base().add_column("region_code", "", 5).add_column("region_name", "", 6)


def regional_row(pair: Pair, **cells: str) -> Pair:
    defaults = {"geographic_level": "Regional", "region_code": "E12000001",
                "region_name": "North East", "enrolments": "55", "attendance_rate": "94.0"}
    return pair.add_row(**{**defaults, **cells})


def with_school_columns() -> Pair:
    pair = base()
    for i, name in enumerate(("school_urn", "school_laestab", "school_name")):
        pair.add_column(name, "", 5 + i)
    return pair


def school_row(pair: Pair, **cells: str) -> Pair:
    defaults = {"geographic_level": "School", "school_urn": "100000",
                "school_laestab": "2013614", "school_name": "Sir John Cass School",
                "enrolments": "300", "attendance_rate": "96.2"}
    return pair.add_row(**{**defaults, **cells})


def group_column(values: list[str]) -> Callable[[], Pair]:
    def build() -> Pair:
        return base().add_column("sex_group", values).meta("sex", "filter_grouping_column",
                                                           "sex_group")
    return build


def many_options() -> Pair:
    pair = base()
    template = pair.rows[1]
    at_sex = pair.header.index("sex")
    for i in range(25_000):
        row = list(template)
        row[at_sex] = f"Option {i}"
        pair.rows.append(row)
    return pair


LONG = "x" * 121

CASES: list[Case] = [
    # --- file names -------------------------------------------------------------------------
    case("extension-data", "file.name.extension", names("pupils.txt", "pupils.meta.csv"),
         "data", None, None),
    case("extension-meta", "file.name.extension", names("pupils.csv", "pupils_meta.csv"),
         "meta", None, None, "file.names_match"),
    case("spaces", "file.name.spaces", names("pupil numbers.csv", "pupil numbers.meta.csv"),
         "data", None, None),
    case("special", "file.name.special", names("pupils&more.csv", "pupils&more.meta.csv"),
         "data", None, None),
    case("length", "file.name.length", names("p" * 151 + ".csv", "p" * 151 + ".meta.csv"),
         "data", None, None),
    case("names-match", "file.names_match", names("pupils.csv", "pupils_2019.meta.csv"),
         "meta", None, None),
    case("windows-device-name", "file.name.reserved", names("CON.csv", "CON.meta.csv"),
         "data", None, None),
    case("windows-device-name-lower-case", "file.name.reserved",
         names("lpt1.csv", "lpt1.meta.csv"), "meta", None, None),
    # --- empty files ------------------------------------------------------------------------
    case("empty-data", "file.empty", raw_data(b""), "data", None, None),
    case("empty-meta", "file.empty", raw_meta(b""), "meta", None, None),
    case("newlines-only-data", "file.empty", raw_data(b"\n\r\n\n"), "data", None, None),
    case("header-only-data", "file.empty", raw_data(to_csv(base().header, [])), "data", None,
         None),
    # --- bytes ------------------------------------------------------------------------------
    case("latin1-data-cell", "file.encoding",
         data_lines(lambda ls: at(ls, 3, ls[3].replace(b"Girls", b"Girls " + LATIN1_E))),
         "data", 4, "sex"),
    case("latin1-data-header", "file.encoding",
         data_lines(lambda ls: at(ls, 0, ls[0].replace(b"sex", b"s" + LATIN1_E + b"x"))),
         "data", 1, None),
    case("latin1-meta", "file.encoding",
         meta_lines(lambda ls: at(ls, 2, ls[2].replace(b"Sex", b"S" + LATIN1_E + b"x"))),
         "meta", 3, None),
    case("latin1-cr-only-file", "file.encoding",
         data_lines(lambda ls: at(ls, 3, ls[3].replace(b"Girls", b"Girls " + LATIN1_E)),
                    eol=b"\r"), "data", 4, "sex"),
    case("bom-data", "file.bom", data_lines(lambda ls: at(ls, 0, BOM + ls[0])), "data", 1,
         None),
    case("bom-meta", "file.bom", meta_lines(lambda ls: at(ls, 0, BOM + ls[0])), "meta", 1,
         None),
    case("mixed-line-endings", "file.line_endings",
         data_lines(lambda ls: [line + b"\r" if i % 2 else line for i, line in enumerate(ls)]),
         "data", None, None),
    case("crlf-then-final-lf", "file.line_endings",
         data_lines(lambda ls: [line + b"\r" for line in ls[:-1]] + ls[-1:]),
         "data", None, None),
    case("lf-then-crlf", "file.line_endings",
         data_lines(lambda ls: ls[:1] + [line + b"\r" for line in ls[1:]]),
         "data", None, None),
    case("lone-carriage-return", "file.unreadable",
         data_lines(lambda ls: at(ls, 3, ls[3].replace(b"Girls", b"Gi\rrls"))), "data", None,
         None),
    case("binary-file", "file.unreadable", raw_data(bytes(range(256)) * 4), "data", None,
         None, "file.header.name_invalid", "file.header.space",
         "data.columns.mandatory_missing", "data.columns.country_missing"),
    case("gzip-name-not-gzip-bytes", "file.compressed",
         lambda: replace_names(base(), data_name="pupils.csv.gz"), "data", None, None),
    case("utf16-file", "file.encoding",
         raw_data(base().data_text().decode().encode("utf-16")), "data", 1, None),
    case("utf16-meta", "file.encoding",
         raw_meta(base().meta_text().decode().encode("utf-16")), "meta", 1, None),
    case("utf16-without-bom", "file.encoding",
         raw_data(base().data_text().decode().encode("utf-16-le")), "data", 1, None),
    case("zip-as-data", "file.unreadable", raw_data(zipped(base().data_text())), "data", 1,
         None),
    case("zip-as-meta", "file.unreadable", raw_meta(zipped(base().meta_text())), "meta", 1,
         None),
    case("meta-too-large", "file.too_large",
         raw_meta(base().meta_text() + b"\n" * (4 * 1024 * 1024)), "meta", None, None),
    case("too-many-columns", "file.too_many_columns",
         lambda: base().add_column_block(2_001 - len(base().header)), "data", 1, None),
    case("line-too-long-data", "file.line_too_long",
         lambda: base().cell(3, "school_type", "A" * 10_000_001), "data", 3, None),
    case("cell-too-long-meta", "file.line_too_long",
         lambda: base().meta("sex", "filter_hint", "B" * 200_000), "meta", META_ROW["sex"],
         None),
    case("header-line-too-long", "file.line_too_long",
         data_lines(lambda ls: at(ls, 0, ls[0] + b"," + b"c" * 1024 * 1024)), "data", 1,
         None),
    case("ragged-extra-cell", "file.ragged_row",
         data_lines(lambda ls: at(ls, 2, ls[2] + b",99")), "data", 3, None),
    case("ragged-missing-cell", "file.ragged_row",
         data_lines(lambda ls: at(ls, 2, ls[2].rsplit(b",", 1)[0])), "data", 3,
         "attendance_rate", count=1),
    case("ragged-one-cell", "file.ragged_row",
         data_lines(lambda ls: at(ls, 2, b"201819")), "data", 3, "time_identifier", count=1),
    case("ragged-meta", "file.ragged_row",
         meta_lines(lambda ls: at(ls, 2, ls[2] + b",extra")), "meta", 3, None,
         # The row is skipped, so its column is not described.
         "data.columns.undescribed"),
    case("unclosed-quote-data", "file.unclosed_quote",
         data_lines(lambda ls: at(ls, 3, ls[3].replace(b",Total,", b',"Total,'))),
         "data", 4, "school_type",
         # The open quote swallows the rest of the file, leaving two rows.
         "data.filter.single_option", "data.filter.no_default"),
    case("unclosed-quote-last-row", "file.unclosed_quote",
         data_lines(lambda ls: at(ls, len(ls) - 1, ls[-1].replace(b"Secondary", b'"Second'))),
         "data", LAST_ROW, "school_type"),
    case("unclosed-quote-header", "file.unclosed_quote",
         data_lines(lambda ls: at(ls, 0, b'"' + ls[0])), "data", 1, None),
    case("unclosed-quote-meta", "file.unclosed_quote",
         meta_lines(lambda ls: at(ls, 2, ls[2].replace(b"Sex", b'"Sex'))), "meta", 3, None),
    case("blank-line-data", "file.blank_row",
         data_lines(lambda ls: at(ls, 3, [b"", ls[3]])), "data", 4, None),
    case("blank-line-crlf-data", "file.blank_row",
         data_lines(lambda ls: at(ls, 3, [b"", ls[3]]), eol=b"\r\n"), "data", 4, None),
    case("commas-only-row", "file.blank_row",
         data_lines(lambda ls: at(ls, 3, [b",,,,,,,,", ls[3]])), "data", 4, None),
    case("blank-line-meta", "file.blank_row",
         meta_lines(lambda ls: at(ls, 2, [b"", ls[2]])), "meta", 3, None),
    # --- header -----------------------------------------------------------------------------
    case("header-blank", "file.header.blank", lambda: base().add_column("", "1"), "data", 1,
         None),
    case("header-line-blank", "file.header.blank",
         data_lines(lambda ls: [b"", *ls]), "data", 1, None),
    case("header-trailing-comma", "file.header.blank",
         data_lines(lambda ls: [line + b"," for line in ls]), "data", 1, None),
    case("header-duplicate", "file.header.duplicate", lambda: base().add_column("sex", "Boys"),
         "data", 1, "sex"),
    case("header-duplicate-ignoring-case", "file.header.duplicate",
         lambda: base().add_column("SEX", "Boys"), "data", 1, "SEX",
         "file.header.name_invalid"),
    case("header-reserved", "file.header.reserved",
         lambda: base().add_column("rowid", [str(i) for i in range(10)]), "data", 1, "rowid"),
    case("header-not-snake-case", "file.header.name_invalid",
         lambda: base().rename("sex", "Sex"), "data", 1, "Sex"),
    case("header-with-space", "file.header.space",
         lambda: base().rename("enrolments", "pupil enrolments"), "data", 1, "pupil enrolments",
         "file.header.name_invalid"),
    case("header-starts-with-digit", "file.header.name_invalid",
         lambda: base().rename("enrolments", "2019_enrolments"), "data", 1, "2019_enrolments"),
    case("header-too-long", "file.header.too_long",
         lambda: base().rename("enrolments", "enrolments_" + "n" * 40), "data", 1,
         "enrolments_" + "n" * 40),
    # --- data columns -----------------------------------------------------------------------
    case("mandatory-missing", "data.columns.mandatory_missing",
         lambda: base().drop_column("time_identifier"), "data", 1, "time_identifier"),
    case("country-missing", "data.columns.country_missing",
         lambda: base().drop_column("country_code").drop_column("country_name"), "data", 1,
         None, "data.geography.columns_missing"),
    case("column-blank", "data.columns.blank", lambda: base().add_column("notes", ""), "data",
         None, "notes"),
    case("column-undescribed", "data.columns.undescribed",
         lambda: base().add_column("notes", [f"note {i}" for i in range(10)]), "data", 1,
         "notes"),
    case("characteristic", "data.columns.characteristic",
         lambda: base().rename("sex", "characteristic"), "data", 1, "characteristic"),
    # --- time -------------------------------------------------------------------------------
    case("time-identifier-blank", "data.time.identifier_blank",
         lambda: base().cell(3, "time_identifier", ""), "data", 3, "time_identifier"),
    case("time-identifier-unknown", "data.time.identifier_unknown",
         lambda: base().cell(3, "time_identifier", "Academic yr"), "data", 3,
         "time_identifier"),
    case("time-identifier-screener-rejects", "data.time.identifier_screener_rejects",
         lambda: base().column("time_identifier", "Academic year Q1"), "data", 2,
         "time_identifier"),
    case("time-identifier-mixed", "data.time.identifier_mixed",
         lambda: base().cell(4, "time_identifier", "Financial year"), "data", 4,
         "time_identifier"),
    case("period-slash", "data.time.period_malformed",
         lambda: base().cell(3, "time_period", "2018/19"), "data", 3, "time_period"),
    case("period-not-consecutive", "data.time.period_malformed",
         lambda: base().cell(3, "time_period", "201820"), "data", 3, "time_period"),
    case("period-four-digits-for-academic-year", "data.time.period_malformed",
         lambda: base().cell(3, "time_period", "2018"), "data", 3, "time_period"),
    case("period-blank", "data.time.period_malformed",
         lambda: base().cell(3, "time_period", ""), "data", 3, "time_period"),
    case("period-text-with-unknown-identifier", "data.time.period_malformed",
         lambda: base().cell(3, "time_period", "last year").cell(3, "time_identifier", "Year"),
         "data", 3, "time_period", "data.time.identifier_unknown"),
    case("period-blank-with-blank-identifier", "data.time.period_malformed",
         lambda: base().cell(3, "time_period", "").cell(3, "time_identifier", ""),
         "data", 3, "time_period", "data.time.identifier_blank"),
    # --- geography --------------------------------------------------------------------------
    case("level-blank", "data.geography.level_blank",
         lambda: base().cell(3, "geographic_level", ""), "data", 3, "geographic_level"),
    case("level-unknown", "data.geography.level_unknown",
         lambda: base().cell(3, "geographic_level", "Country"), "data", 3, "geographic_level"),
    case("level-screener-rejects", "data.geography.level_screener_rejects",
         lambda: base().add_column("mayoral_combined_authority_code", "")
         .add_column("mayoral_combined_authority_name", "")
         .add_row(geographic_level="Mayoral combined authority",
                  mayoral_combined_authority_code="E47000001",
                  mayoral_combined_authority_name="Greater Manchester"),
         "data", LAST_ROW + 1, "geographic_level"),
    case("level-columns-missing", "data.geography.columns_missing",
         lambda: base().cell(3, "geographic_level", "Regional"), "data", 3, "region_code"),
    case("secondary-code-missing", "data.geography.secondary_missing",
         lambda: base().add_column("new_la_code", "").add_column("la_name", "")
         .add_row(geographic_level="Local authority", new_la_code="E08000025",
                  la_name="Birmingham"),
         "data", 1, "old_la_code"),
    case("code-blank", "data.geography.code_blank",
         lambda: base().cell(3, "country_code", ""), "data", 3, "country_code"),
    case("name-blank", "data.geography.name_blank",
         lambda: base().cell(3, "country_name", ""), "data", 3, "country_name",
         "data.geography.lookup_mismatch"),
    case("school-row-incomplete", "data.geography.low_level_incomplete",
         lambda: school_row(with_school_columns(), school_urn=""), "data", LAST_ROW + 1,
         "school_urn", "data.geography.low_levels_mixed", "data.columns.blank"),
    case("country-blank", "data.geography.country_blank",
         lambda: regional_row(with_region(), country_code="", country_name=""), "data",
         LAST_ROW + 1, "country_code"),
    case("low-levels-mixed", "data.geography.low_levels_mixed",
         lambda: school_row(with_school_columns()), "data", None, "geographic_level"),
    case("lookup-mismatch", "data.geography.lookup_mismatch",
         lambda: base().cell(3, "country_code", "E92000009"), "data", 3, "country_code"),
    case("lookup-mismatch-region", "data.geography.lookup_mismatch",
         lambda: regional_row(with_region(), region_name="North West"), "data", LAST_ROW + 1,
         "region_code"),
    case("code-many-names", "data.geography.code_many_names",
         lambda: base().cell(5, "country_name", "ENGLAND"), "data", 2, "country_code",
         "data.geography.lookup_mismatch"),
    case("total-in-location", "data.geography.total_in_location",
         lambda: with_region().cell(4, "region_name", "Total"), "data", 4, "region_name",
         "data.columns.blank"),
    case("not-available", "data.geography.not_available",
         lambda: base().cell(3, "country_code", "x"), "data", 3, "country_code"),
    case("code-too-long", "data.geography.code_too_long",
         lambda: base().cell(3, "country_code", "E" * 31), "data", 3, "country_code",
         "data.geography.lookup_mismatch"),
    # --- filters ----------------------------------------------------------------------------
    case("filter-blank", "data.filter.blank", lambda: base().cell(3, "sex", ""), "data", 3,
         "sex"),
    case("filter-whitespace", "data.filter.whitespace",
         lambda: base().cell(3, "sex", " Boys"), "data", 3, "sex"),
    case("filter-single-option", "data.filter.single_option",
         lambda: base().add_column("phase", "Total")
         .add_meta_row(col_name="phase", col_type="Filter", label="Phase"),
         "meta", 6, "phase"),
    case("filter-no-total", "data.filter.no_default",
         lambda: base().replace("sex", "Total", "All pupils"), "data", None, "sex"),
    case("filter-too-many-options", "data.filter.too_many_options", many_options, "meta",
         META_ROW["sex"], "sex"),
    case("filter-group-larger", "data.filter.group_larger",
         group_column([f"Group {i % 4}" for i in range(10)]), "meta", META_ROW["sex"],
         "filter_grouping_column"),
    case("filter-value-too-long", "data.filter.value_too_long",
         lambda: base().cell(3, "sex", LONG), "data", 3, "sex"),
    # --- indicators and cells ---------------------------------------------------------------
    case("indicator-blank", "data.indicator.blank",
         lambda: base().cell(3, "enrolments", ""), "data", 3, "enrolments"),
    case("indicator-obsolete-colon", "data.indicator.obsolete_symbol",
         lambda: base().cell(3, "enrolments", ":"), "data", 3, "enrolments"),
    case("indicator-obsolete-tilde", "data.indicator.obsolete_symbol",
         lambda: base().cell(6, "attendance_rate", "~"), "data", 6, "attendance_rate"),
    case("indicator-text", "data.indicator.not_numeric",
         lambda: base().cell(3, "enrolments", "about 500"), "data", 3, "enrolments"),
    case("indicator-thousands-separator", "data.indicator.not_numeric",
         lambda: base().cell(3, "enrolments", "1,510"), "data", 3, "enrolments"),
    case("indicator-percent-sign", "data.indicator.not_numeric",
         lambda: base().cell(3, "attendance_rate", "94.8%"), "data", 3, "attendance_rate"),
    case("null-marker-data", "data.null_marker", lambda: base().cell(3, "enrolments", "NA"),
         "data", 3, "enrolments"),
    case("null-marker-meta", "data.null_marker",
         lambda: base().meta("sex", "filter_hint", "NULL"), "meta", META_ROW["sex"],
         "filter_hint"),
    case("duplicate-rows", "data.rows.duplicate",
         lambda: base().copy_row(3, enrolments="999"), "data", LAST_ROW + 1, None, count=1),
    case("duplicate-rows-edited-filter", "data.rows.duplicate",
         lambda: base().cell(4, "sex", "Boys"), "data", 4, None, count=1),
    # --- meta file --------------------------------------------------------------------------
    case("meta-column-missing", "meta.columns.missing",
         lambda: base().drop_meta_column("filter_hint"), "meta", 1, "filter_hint"),
    case("meta-column-unknown", "meta.columns.unknown",
         lambda: base().add_meta_column("notes"), "meta", 1, "notes"),
    case("meta-row-blank", "meta.rows.blank",
         meta_lines(lambda ls: at(ls, 3, [b",,,,,,,", ls[3]])), "meta", 4, None),
    case("meta-col-name-blank", "meta.col_name.blank",
         lambda: base().add_meta_row(col_type="Indicator", label="Extra", indicator_dp="0"),
         "meta", 6, "col_name"),
    case("meta-col-name-duplicate", "meta.col_name.duplicate",
         lambda: base().add_meta_row(col_name="enrolments", col_type="Indicator",
                                     label="Enrolments again", indicator_dp="0"),
         "meta", 6, "col_name"),
    case("meta-col-name-not-in-data", "meta.col_name.not_in_data",
         lambda: base().add_meta_row(col_name="absences", col_type="Indicator",
                                     label="Absences", indicator_dp="0"),
         "meta", 6, "col_name"),
    case("meta-col-name-observational", "meta.col_name.observational_unit",
         lambda: base().add_meta_row(col_name="country_name", col_type="Filter",
                                     label="Country"),
         "meta", 6, "col_name", "data.filter.single_option", "data.filter.no_default"),
    case("meta-col-type-invalid", "meta.col_type.invalid",
         lambda: base().meta("sex", "col_type", "filter"), "meta", META_ROW["sex"],
         "col_type"),
    case("meta-label-blank", "meta.label.blank", lambda: base().meta("sex", "label", ""),
         "meta", META_ROW["sex"], "label"),
    case("meta-label-duplicate", "meta.label.duplicate",
         lambda: base().meta("sex", "label", "school TYPE"), "meta", META_ROW["sex"], "label"),
    case("meta-label-too-long", "meta.label.too_long",
         lambda: base().meta("sex", "label", "S" * 101), "meta", META_ROW["sex"], "label"),
    case("meta-indicator-smushed", "meta.indicator.smushed",
         lambda: base().rename("enrolments", "enrolments_female"), "meta",
         META_ROW["enrolments"], "col_name"),
    case("meta-filter-hint-on-indicator", "meta.filter_field_on_indicator",
         lambda: base().meta("enrolments", "filter_hint", "Choose"), "meta",
         META_ROW["enrolments"], "filter_hint"),
    case("meta-grouping-on-indicator", "meta.filter_field_on_indicator",
         lambda: base().meta("enrolments", "filter_grouping_column", "school_type"), "meta",
         META_ROW["enrolments"], "filter_grouping_column"),
    case("meta-unit-on-filter", "meta.indicator_field_on_filter",
         lambda: base().meta("sex", "indicator_unit", "%"), "meta", META_ROW["sex"],
         "indicator_unit"),
    case("meta-dp-on-filter", "meta.indicator_field_on_filter",
         lambda: base().meta("sex", "indicator_dp", "Filter by sex"), "meta", META_ROW["sex"],
         "indicator_dp"),
    case("meta-unit-invalid", "meta.indicator_unit.invalid",
         lambda: base().meta("attendance_rate", "indicator_unit", "percent"), "meta",
         META_ROW["attendance_rate"], "indicator_unit"),
    case("meta-dp-decimal", "meta.indicator_dp.invalid",
         lambda: base().meta("attendance_rate", "indicator_dp", "1.5"), "meta",
         META_ROW["attendance_rate"], "indicator_dp"),
    case("meta-dp-negative", "meta.indicator_dp.invalid",
         lambda: base().meta("attendance_rate", "indicator_dp", "-1"), "meta",
         META_ROW["attendance_rate"], "indicator_dp"),
    case("meta-dp-blank", "meta.indicator_dp.blank",
         lambda: base().meta("attendance_rate", "indicator_dp", ""), "meta",
         META_ROW["attendance_rate"], "indicator_dp"),
    case("meta-grouping-not-in-data", "meta.grouping.not_in_data",
         lambda: base().meta("sex", "filter_grouping_column", "sex_group"), "meta",
         META_ROW["sex"], "filter_grouping_column"),
    case("meta-grouping-duplicate", "meta.grouping.duplicate",
         lambda: base().add_column("pupil_group", "All pupils")
         .meta("school_type", "filter_grouping_column", "pupil_group")
         .meta("sex", "filter_grouping_column", "pupil_group"),
         "meta", META_ROW["sex"], "filter_grouping_column"),
    case("meta-parent-not-a-filter", "meta.parent_filter.invalid",
         lambda: base().add_meta_column("parent_filter", {"sex": "phase"}), "meta",
         META_ROW["sex"], "parent_filter"),
    case("meta-default-with-parent", "meta.default_with_parent",
         lambda: base().add_meta_column("parent_filter", {"sex": "school_type"})
         .add_meta_column("filter_default", {"sex": "Total"}),
         "meta", META_ROW["sex"], "filter_default"),
    case("meta-default-not-in-data", "meta.default.not_in_data",
         lambda: base().add_meta_column("filter_default", {"sex": "Everyone"}), "meta",
         META_ROW["sex"], "filter_default"),
    case("meta-no-indicators", "meta.no_filters_or_indicators",
         lambda: base().drop_meta_row("enrolments").drop_meta_row("attendance_rate"),
         "meta", None, None, "data.columns.undescribed"),
    # --- text other software would run ------------------------------------------------------
    case("formula-in-filter", "data.formula",
         lambda: base().replace("school_type", "Primary", "=cmd|' /C calc'!A0"), "data", 5,
         "school_type"),
    case("formula-minus-word", "data.formula",
         lambda: base().replace("sex", "Girls", "-SUM(1)"), "data", 4, "sex"),
    case("formula-in-location-name", "data.formula",
         lambda: base().column("country_name", "@England"), "data", 2, "country_name",
         "data.geography.lookup_mismatch"),
    case("formula-in-label", "data.formula",
         lambda: base().meta("sex", "label", "+Sex"), "meta", META_ROW["sex"], "label"),
    case("markup-in-filter", "data.markup",
         lambda: base().replace("school_type", "Secondary", "<b>Secondary</b>"), "data", 6,
         "school_type"),
    case("markup-in-hint", "data.markup",
         lambda: base().meta("sex", "filter_hint", "Choose <script>alert(1)</script>"),
         "meta", META_ROW["sex"], "filter_hint"),
    # --- text that shows in another order than it is stored in --------------------------
    case("bidi-override-in-filter", "data.bidi",
         lambda: base().replace("school_type", "Secondary", "Second\u202eyra"), "data", 6,
         "school_type"),
    case("bidi-isolate-in-location-name", "data.bidi",
         lambda: base().column("country_name", "\u2067England\u2069"), "data", 2,
         "country_name", "data.geography.lookup_mismatch"),
    case("bidi-override-in-label", "data.bidi",
         lambda: base().meta("attendance_rate", "label", "Rate\u202e%05"), "meta",
         META_ROW["attendance_rate"], "label"),
    case("bidi-mark-in-hint", "data.bidi",
         lambda: base().meta("sex", "filter_hint", "Boys or girls\u200f"), "meta",
         META_ROW["sex"], "filter_hint"),
    case("bidi-arabic-mark-in-grouping", "data.bidi",
         lambda: base().meta("enrolments", "indicator_grouping", "Pupils\u061c"), "meta",
         META_ROW["enrolments"], "indicator_grouping"),
    case("meta-header-only", "meta.no_filters_or_indicators",
         raw_meta(to_csv(base().meta_header, [])), "meta", None, None,
         "data.columns.undescribed"),
]


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_has_a_case(rule_id: str) -> None:
    assert any(c.rule == rule_id for c in CASES), f"no bad-pair case for {rule_id}"


def test_cases_name_real_rules() -> None:
    unknown = {c.rule for c in CASES} - set(RULES)
    unknown |= {r for c in CASES for r in c.also} - set(RULES)
    assert not unknown
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_base_pair_is_clean(tmp_path: Path, reference_dir: Path) -> None:
    report = base().screen(tmp_path, reference_dir)
    assert report.findings == []
    assert report.ok
    assert report.row_count == len(base().rows)


@pytest.mark.parametrize("c", CASES, ids=str)
def test_rule_case(c: Case, tmp_path: Path, reference_dir: Path) -> None:
    pair = c.build()
    report = pair.screen(tmp_path, reference_dir)
    check(report, c, pair)


def check(report: Report, c: Case, pair: Pair) -> None:
    found = report.by_rule().get(c.rule, [])
    seen = sorted(f"{f.rule} {f.location()}" for f in report.findings)
    assert found, f"{c.rule} not reported; found {seen}"
    severity = RULES[c.rule].severity
    assert {f.severity for f in found} == {severity}
    file = pair.data_name if c.file == "data" else pair.meta_name
    where = [(f.file, f.row, f.column) for f in found]
    assert (file, c.row, c.column) in where, f"expected {(file, c.row, c.column)} in {where}"
    assert all(f.message for f in found)
    unexpected = report.rule_ids() - {c.rule} - c.also
    assert not unexpected, f"unexpected findings: {seen}"
    if c.count is not None:
        assert report.counts[c.rule] == c.count
    # Errors block, warnings do not.
    blocking = any(RULES[r].severity == "error" for r in report.rule_ids())
    assert report.ok is not blocking
    assert report.as_dict()["passed"] is report.ok
