"""Columns of the meta CSV and the values they may hold."""

from __future__ import annotations

REQUIRED_META_COLUMNS: tuple[str, ...] = (
    "col_name",
    "col_type",
    "label",
    "indicator_grouping",
    "indicator_unit",
    "indicator_dp",
    "filter_hint",
    "filter_grouping_column",
)
OPTIONAL_META_COLUMNS: tuple[str, ...] = ("parent_filter", "filter_default")
COL_TYPES: tuple[str, ...] = ("Filter", "Indicator")
INDICATOR_UNITS: tuple[str, ...] = ("", "%", "£", "£m", "pp", "numberstring")

# Columns every data file must have (EES's importer needs the first three; its
# screener adds the country columns).
MANDATORY_DATA_COLUMNS: tuple[str, ...] = ("time_period", "time_identifier", "geographic_level")
SCREENER_DATA_COLUMNS: tuple[str, ...] = ("country_code", "country_name")
TIME_COLUMNS: frozenset[str] = frozenset({"time_period", "time_identifier"})

# Names DuckDB gives a meaning of its own (compared in lower case): a data column with
# one of them would hide it from the screener's queries.
RESERVED_COLUMN_NAMES: frozenset[str] = frozenset({"rowid"})

COLUMN_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
FILE_STEM_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_FILE_STEM = 150
MAX_LABEL = 100  # EES screener's limit for API data sets
MAX_COLUMN_NAME = 50
MAX_LOCATION_CODE = 30
MAX_FILTER_ITEM = 120
MAX_FILTER_OPTIONS = 25_000
# Columns of a data file. Statistics files have tens; the parser needs memory for every
# column of a batch of rows, and 512 MB runs out between 4,000 and 6,000 columns.
MAX_DATA_COLUMNS = 2_000
# Names Windows keeps for devices: a download saved as CON.csv fails there.
WINDOWS_DEVICE_NAMES = frozenset({"CON", "PRN", "AUX", "NUL",
                                  *(f"COM{i}" for i in range(1, 10)),
                                  *(f"LPT{i}" for i in range(1, 10))})

# Indicator names that mix a breakdown into the measure (pivot longer and add a filter).
SMUSHED_WORDS: tuple[str, ...] = (
    "male", "female", "asian", "chinese", "indian", "pakistani", "bangladeshi", "black",
    "african", "caribbean", "white", "roma", "irish", "english", "british", "scottish",
    "welsh", "arab",
)
