"""Every screener rule: a stable id, its severity, EES's name for it, and what to do.

The screener's checks report against these ids; the table is the one place that says
whether a rule blocks an import (error) or must be acknowledged (warning).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    advice: str
    ees_check: str = ""  # eesyscreener's / the data screener's check name, when it has one


def _rules(*rows: tuple[str, Severity, str, str, str]) -> dict[str, Rule]:
    return {r[0]: Rule(*r) for r in rows}


E: Severity = "error"
W: Severity = "warning"

RULES: dict[str, Rule] = _rules(
    # --- files -------------------------------------------------------------------------
    ("file.name.extension", E, "File name has the wrong ending",
     "Name the data file NAME.csv and the meta file NAME.meta.csv.", "naming_convention"),
    ("file.name.spaces", E, "File name contains spaces",
     "Remove the spaces, or replace them with underscores.", "filename_spaces"),
    ("file.name.special", E, "File name contains special characters",
     "File names may only contain letters, numbers, hyphens and underscores.",
     "filename_special"),
    ("file.name.length", E, "File name is too long",
     "Keep the name part to 150 characters at most (35 to 50 is best).", ""),
    ("file.names_match", E, "Data and meta file names do not match",
     "The meta file must be named like the data file, with .meta.csv in place of .csv.",
     "filenames_match"),
    ("file.empty", E, "File is empty",
     "The file has no header row, or no rows under its header. Export the file again "
     "from its source.", "file_read"),
    ("file.unreadable", E, "File cannot be read as CSV",
     "Save the file as 'CSV UTF-8 (comma delimited)'. Check it is a comma-separated text "
     "file (not a spreadsheet or ZIP renamed to .csv) and that no cell holds a lone "
     "carriage return.", "file_read"),
    ("file.name.reserved", W, "File name is a Windows device name",
     "Rename the files: Windows cannot save a download called CON, PRN, AUX, NUL, COM1-9 "
     "or LPT1-9 (whatever follows the dot).", ""),
    ("file.too_large", E, "File is far too large for what it is",
     "A meta file has one row per filter or indicator, a few kB. Check that you chose the "
     "meta file and not the data file.", ""),
    ("file.too_many_columns", E, "File has too many columns",
     "A data file may have at most 2,000 columns. Put the data in long format: one "
     "indicator column per measure, with filters for the breakdowns, not a column for "
     "each.", ""),
    ("file.line_too_long", E, "Line or cell is far too long",
     "A line of the data file may be at most 10 MB, a cell of the meta file 131,072 "
     "characters, and the header row 1 MB. Such lines are usually a quote that is never "
     "closed, or a file that is not CSV text.", "file_read"),
    ("file.encoding", E, "File is not UTF-8",
     "Save the file as 'CSV UTF-8 (comma delimited)'.", "utf8"),
    ("file.bom", W, "File starts with a byte-order mark",
     "Harmless, but some tools show it as stray characters; save as UTF-8 without BOM.", ""),
    ("file.line_endings", W, "File mixes line endings",
     "Use either CRLF or LF throughout; mixed endings suggest the file was hand-edited.", ""),
    ("file.ragged_row", E, "Row has the wrong number of cells",
     "Every row needs as many cells as the header. Check for stray commas, and put "
     "double quotes around cells that contain commas.", "file_read"),
    ("file.unclosed_quote", E, "Quoted cell is never closed",
     "A cell opens a double quote that is never closed. Close it, or double any quote "
     "inside a quoted cell (\"\").", "file_read"),
    ("file.blank_row", W, "Row is completely blank",
     "Delete blank rows; open the file in a text editor to see them. They are skipped on "
     "import.", "data_empty_rows"),
    ("file.header.blank", E, "Column has no name",
     "Give every column a name in the header row, or delete the empty column.",
     "duplicate_variable_names"),
    ("file.header.duplicate", E, "Column name is used twice",
     "Column names must be unique; rename or delete one of them.",
     "duplicate_variable_names"),
    ("file.header.reserved", E, "Column name is reserved",
     "Rename the column (e.g. rowid to row_id): the database that stores the data uses "
     "this name for itself.", ""),
    ("file.compressed", E, "Compressed data file cannot be read",
     "A data file may be gzip-compressed (name.csv.gz). Check that it is a whole gzip "
     "file holding one CSV, or upload the CSV itself.", "file_read"),
    ("file.header.space", E, "Column name has a space",
     "Replace spaces in column names with underscores (e.g. pupil count becomes "
     "pupil_count): EES refuses data files whose column names contain spaces.",
     "col_names_spaces"),
    ("file.header.name_invalid", W, "Column name is not lower snake_case",
     "Use only lower-case letters, digits and underscores, starting with a letter "
     "(e.g. pupil_count). Names become field names in the API, where other characters "
     "are awkward to use.", "col_snake_case"),
    ("file.header.too_long", W, "Column name is long for the API",
     "Keep column names to 50 characters at most.", "api_char_col_name"),
    # --- data file columns ---------------------------------------------------------------
    ("data.columns.mandatory_missing", E, "Mandatory column is missing",
     "Add the column: every data file needs time_period, time_identifier and "
     "geographic_level.", "col_req_data"),
    ("data.columns.country_missing", W, "Country columns are missing",
     "Add country_code and country_name, filled on every row (E92000001, England).",
     "col_req_data"),
    ("data.columns.blank", W, "Column is completely blank",
     "Delete the empty column, or fill it.", "data_empty_cols"),
    ("data.columns.undescribed", W, "Column is not described in the meta file",
     "Add a meta row for it (Filter or Indicator), or delete it: it will not be "
     "imported.", "cross_data_to_meta"),
    ("data.columns.characteristic", W, "Column uses the discouraged characteristic pattern",
     "Use breakdown_topic / breakdown, or harmonised names such as sex or "
     "ethnicity_major.", "col_var_characteristic"),
    # --- time ----------------------------------------------------------------------------
    ("data.time.identifier_blank", E, "time_identifier is blank",
     "Fill time_identifier on every row, e.g. 'Academic year'.", "time_id_valid"),
    ("data.time.identifier_unknown", E, "time_identifier is not recognised",
     "Use one of the standard time identifiers, e.g. 'Academic year', 'Calendar year', "
     "'Financial year', 'Reporting year', 'Autumn term', 'January', 'Week 1'.",
     "time_id_valid"),
    ("data.time.identifier_screener_rejects", W, "time_identifier is not in the screener's list",
     "EES stores quarters of academic, calendar and tax years but its screener does not "
     "accept them; consider a quarter filter instead.", "time_id_valid"),
    ("data.time.identifier_mixed", W, "File mixes time identifier families",
     "Put different kinds of year in separate files, or use a filter for sub-year "
     "splits.", "time_id_mix"),
    ("data.time.period_malformed", E, "time_period is not valid",
     "Write periods as 4 digits (2017) or, for years that span two, 6 consecutive-year "
     "digits (201718).", "time_period"),
    # --- geography -----------------------------------------------------------------------
    ("data.geography.level_blank", E, "geographic_level is blank",
     "Fill geographic_level on every row, e.g. 'National'.", "geog_level"),
    ("data.geography.level_unknown", E, "geographic_level is not recognised",
     "Use one of the standard levels, e.g. National, Regional, Local authority, School.",
     "geog_level"),
    ("data.geography.level_screener_rejects", W, "geographic_level is not in the screener's list",
     "EES stores 'Mayoral combined authority' but its screener rejects it; use "
     "'English devolved area'.", "geog_level"),
    ("data.geography.columns_missing", E, "Columns for a geographic level are missing",
     "Add the code and name columns the level needs.", "geog_level_present"),
    ("data.geography.secondary_missing", W, "Secondary code column is missing",
     "Add the level's secondary code column (old_la_code for local authorities, "
     "school_laestab for schools) so readers can find locations by either code.",
     "geog_level_present"),
    ("data.geography.code_blank", E, "Location code is blank for its level",
     "Fill the level's code column on this row (use x for unknown, z for not "
     "applicable).", "geog_level_completed"),
    ("data.geography.name_blank", E, "Location name is blank for its level",
     "Fill the level's name column on this row.", "geog_level_completed"),
    ("data.geography.low_level_incomplete", W, "Ignored-level row lacks its code or name",
     "School, Provider, Institution and Planning area rows in a file with other levels "
     "are ignored by EES's table tool; fill their code and name or remove them.",
     "geog_level_completed"),
    ("data.geography.country_blank", W, "Country is blank",
     "Fill country_code and country_name on every row, whatever its level.",
     "geog_level_completed"),
    ("data.geography.low_levels_mixed", W, "Rows at levels the table tool ignores",
     "School, Provider, Institution and Planning area rows mixed with other levels are "
     "ignored by EES's table tool; consider a separate file.", "geog_ignored_rows"),
    ("data.geography.lookup_mismatch", W, "Location code and name are not in the lookup",
     "Check the code and name against the standard geography lookups (case "
     "sensitive).", "geog_*_combos"),
    ("data.geography.code_many_names", W, "One location code has several names",
     "Use one name per code; no two locations should share a code.",
     "geog_other_code_dupes"),
    ("data.geography.total_in_location", W, "Location column says Total or All",
     "Leave location columns blank on aggregate rows; 'Total' belongs in filters.",
     "filter_ob_total"),
    ("data.geography.not_available", W, "x and 'Not available' do not go together",
     "An unknown location has code x and name 'Not available', both or neither.",
     "geog_na"),
    ("data.geography.code_too_long", W, "Location code is long for the API",
     "Keep location codes to 30 characters at most.", "api_char_loc_code"),
    # --- filters -------------------------------------------------------------------------
    ("data.filter.blank", W, "Filter cell is blank",
     "Blank cells show as 'Not specified'. Use 'Total' for no breakdown, or a label "
     "that says what the blank means.", "filter_blanks"),
    ("data.filter.whitespace", W, "Filter value has spaces at the start or end",
     "Remove leading and trailing spaces: they make two options that look the same.",
     "filter_whitespace"),
    ("data.filter.single_option", W, "Filter has only one option",
     "A filter needs at least two options; remove this column from the meta file.",
     "filter_not_singular"),
    ("data.filter.no_default", W, "Filter has no Total",
     "Add a 'Total' option, or name the default option in filter_default.",
     "filter_defaults"),
    ("data.filter.too_many_options", E, "Filter has too many options",
     "A filter may have at most 25,000 options; split it.", "filter_item_limit"),
    ("data.filter.group_larger", W, "Filter group has more values than its filter",
     "The grouping may be the wrong way round: a group should hold several options.",
     "filter_group_level"),
    ("data.filter.value_too_long", W, "Filter value is long for the API",
     "Keep filter options to 120 characters at most.", "api_char_filter_items"),
    # --- indicators and cells ------------------------------------------------------------
    ("data.indicator.blank", W, "Indicator cell is blank",
     "Use a symbol: x (not available), z (not applicable), c (suppressed).",
     "ind_invalid_entry"),
    ("data.indicator.obsolete_symbol", W, "Indicator uses an obsolete symbol",
     "Replace it with the current GSS symbol.", "ind_invalid_entry"),
    ("data.indicator.not_numeric", W, "Indicator value is text",
     "Indicator cells should be numbers or one of the symbols c, x, z, u, low, k. Text is "
     "stored as written.", ""),
    ("data.null_marker", W, "Cell holds a missing-value marker",
     "NULL or NA came from the software that made the file; use a GSS symbol or a "
     "label.", "general_null"),
    ("data.formula", W, "Text starts like a spreadsheet formula",
     "Cells starting with =, +, -, @ (or their full-width forms), a tab, a carriage return "
     "or a line break are run as formulas by spreadsheets that open a download (CSV "
     "injection), unless the cell is a plain number such as -5 or +3. Reword the text, "
     "e.g. put it in words or start with a letter; downloads of tables put a ' in front "
     "of such text.", ""),
    ("data.markup", W, "Text looks like HTML",
     "Labels and filter values are shown exactly as typed, tags included. Remove the "
     "HTML; write plain text.", ""),
    ("data.bidi", W, "Text holds characters that reorder it on screen",
     "Delete the invisible direction characters (U+202A to U+202E, U+2066 to U+2069, "
     "U+200E, U+200F, U+061C): they show text in a different order from the one it is "
     "stored in, and can reverse the words and numbers after them. Retype the text, or "
     "paste it as plain text. Pages keep their effect inside the text; downloads keep "
     "the text as sent.", ""),
    ("data.rows.duplicate", E, "Rows repeat the same observation",
     "Each combination of time, location and filters may appear once. Remove the "
     "repeats or add the filter that tells them apart.", "general_dupes"),
    # --- meta file -----------------------------------------------------------------------
    ("meta.columns.missing", E, "Meta file lacks a required column",
     "The meta file needs col_name, col_type, label, indicator_grouping, indicator_unit, "
     "indicator_dp, filter_hint and filter_grouping_column (cells may be blank).",
     "col_req_meta"),
    ("meta.columns.unknown", E, "Meta file has an unknown column",
     "Only the standard meta columns (and parent_filter, filter_default) are allowed.",
     "col_invalid_meta"),
    ("meta.rows.blank", W, "Meta row is blank", "Delete the blank row; it is skipped.",
     "meta_empty_rows"),
    ("meta.col_name.blank", E, "col_name is blank",
     "Every meta row names a column of the data file.", "meta_col_name"),
    ("meta.col_name.duplicate", E, "col_name is described twice",
     "Describe each column once.", "meta_col_name_dupe"),
    ("meta.col_name.not_in_data", E, "col_name is not a column of the data file",
     "Correct the name, or remove the row.", "cross_meta_to_data"),
    ("meta.col_name.observational_unit", E, "Meta row describes a time or location column",
     "Time and geography columns are not filters or indicators; remove the row.",
     "meta_ob_unit"),
    ("meta.col_type.invalid", E, "col_type is not Filter or Indicator",
     "Write exactly Filter or Indicator.", "meta_col_type"),
    ("meta.label.blank", E, "label is blank", "Give every column a label.", "meta_label"),
    ("meta.label.duplicate", E, "label is used twice",
     "Labels must be unique so readers can tell columns apart.", "meta_dupe_label"),
    ("meta.label.too_long", W, "label is long for the API",
     "Keep labels to 100 characters at most.", "api_char_col_label"),
    ("meta.indicator.smushed", W, "Indicator name mixes in a breakdown",
     "Pivot the data longer and add a filter (e.g. sex) instead.", "col_ind_smushed"),
    ("meta.filter_field_on_indicator", E, "Filter-only field filled on an indicator",
     "filter_hint, filter_grouping_column, parent_filter and filter_default apply to "
     "filters only; leave them blank on indicators.", "meta_filter_hint"),
    ("meta.indicator_field_on_filter", E, "Indicator-only field filled on a filter",
     "indicator_grouping, indicator_unit and indicator_dp apply to indicators only.",
     "meta_ind_unit"),
    ("meta.indicator_unit.invalid", E, "indicator_unit is not allowed",
     "Use one of: blank, %, £, £m, pp, numberstring.", "meta_ind_unit_validation"),
    ("meta.indicator_dp.invalid", E, "indicator_dp is not a whole number",
     "Use a whole number of decimal places (0, 1, 2...) or leave it blank.",
     "meta_ind_dp_values"),
    ("meta.indicator_dp.blank", W, "indicator_dp is blank",
     "Set the decimal places; EES shows 2 when it is blank.", "meta_ind_dp_set"),
    ("meta.grouping.not_in_data", E, "filter_grouping_column is not a column of the data",
     "Name a data column that holds the groups.", "meta_fil_grp_match"),
    ("meta.grouping.duplicate", E, "Grouping column used by two filters",
     "A grouping column may group only one filter.", "meta_fil_grp_dupe"),
    ("meta.parent_filter.invalid", E, "parent_filter is not a filter",
     "Name another filter column of this meta file.", ""),
    ("meta.default_with_parent", E, "filter_default used with a filter hierarchy",
     "filter_default cannot be used together with parent_filter.", ""),
    ("meta.default.not_in_data", W, "filter_default is not an option of the filter",
     "Name an option that occurs in the filter's column.", "filter_defaults"),
    ("meta.no_filters_or_indicators", E, "Meta file describes no indicators",
     "A data set needs at least one indicator.", ""),
)


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
