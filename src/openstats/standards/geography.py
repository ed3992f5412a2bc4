"""Geographic levels of the open data standards and the columns each one needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GeographicLevel:
    label: str  # as written in the data file's geographic_level column
    code: str  # the public API's code
    code_columns: tuple[str, ...]  # the first is the main code; others are secondary codes
    name_column: str
    # The EES screener rejects this level although EES's importer accepts it.
    screener_rejects: bool = False
    # Rows at these levels are dropped by EES's table tool when mixed with other levels.
    low_level: bool = False


LEVELS: tuple[GeographicLevel, ...] = (
    GeographicLevel("National", "NAT", ("country_code",), "country_name"),
    GeographicLevel("Regional", "REG", ("region_code",), "region_name"),
    GeographicLevel("Local authority", "LA", ("new_la_code", "old_la_code"), "la_name"),
    GeographicLevel("Local authority district", "LAD", ("lad_code",), "lad_name"),
    GeographicLevel("RSC region", "RSC", (), "rsc_region_lead_name"),
    GeographicLevel("Parliamentary constituency", "PCON", ("pcon_code",), "pcon_name"),
    GeographicLevel("Local skills improvement plan area", "LSIP", ("lsip_code",), "lsip_name"),
    GeographicLevel(
        "Local enterprise partnership",
        "LEP",
        ("local_enterprise_partnership_code",),
        "local_enterprise_partnership_name",
    ),
    GeographicLevel(
        "English devolved area",
        "EDA",
        ("english_devolved_area_code",),
        "english_devolved_area_name",
    ),
    GeographicLevel(
        "Opportunity area", "OA", ("opportunity_area_code",), "opportunity_area_name"
    ),
    GeographicLevel("Ward", "WARD", ("ward_code",), "ward_name"),
    GeographicLevel("MAT", "MAT", ("trust_id",), "trust_name"),
    GeographicLevel("Sponsor", "SPON", ("sponsor_id",), "sponsor_name"),
    GeographicLevel(
        "School", "SCH", ("school_urn", "school_laestab"), "school_name", low_level=True
    ),
    GeographicLevel("Provider", "PROV", ("provider_ukprn",), "provider_name", low_level=True),
    GeographicLevel(
        "Institution", "INST", ("institution_id",), "institution_name", low_level=True
    ),
    GeographicLevel(
        "Planning area", "PA", ("planning_area_code",), "planning_area_name", low_level=True
    ),
    GeographicLevel("Police force area", "PFA", ("pfa_code",), "pfa_name"),
    GeographicLevel(
        "Mayoral combined authority",
        "MCA",
        ("mayoral_combined_authority_code",),
        "mayoral_combined_authority_name",
        screener_rejects=True,
    ),
)

BY_LABEL: dict[str, GeographicLevel] = {level.label.lower(): level for level in LEVELS}
BY_CODE: dict[str, GeographicLevel] = {level.code: level for level in LEVELS}
# The order levels are listed in, used to sort locations (national first).
LEVEL_ORDER: dict[str, int] = {level.code: i for i, level in enumerate(LEVELS)}

# Every column that describes a location; none of them may be a filter or indicator.
GEOGRAPHY_COLUMNS: frozenset[str] = frozenset(
    column
    for level in LEVELS
    for column in (*level.code_columns, level.name_column)
)

# Lookup files (in the reference folder) of valid code/name pairs, per level.
# file, code column, name column in that file, our code column, our name column.
LOOKUPS: tuple[tuple[str, str, str, str, str], ...] = (
    ("country.csv", "country_code", "country_name", "country_code", "country_name"),
    ("regions.csv", "region_code", "region_name", "region_code", "region_name"),
    ("lads.csv", "lad_code", "lad_name", "lad_code", "lad_name"),
    ("pcons.csv", "pcon_code", "pcon_name", "pcon_code", "pcon_name"),
    ("pcon_2024_v2.csv", "PCON24CD", "PCON24NM", "pcon_code", "pcon_name"),
    ("leps.csv", "local_enterprise_partnership_code", "local_enterprise_partnership_name",
     "local_enterprise_partnership_code", "local_enterprise_partnership_name"),
    ("lsips.csv", "lsip_code", "lsip_name", "lsip_code", "lsip_name"),
    ("english_devolved_areas.csv", "english_devolved_area_code", "english_devolved_area_name",
     "english_devolved_area_code", "english_devolved_area_name"),
    ("police-force-areas.csv", "pfa_code", "pfa_name", "pfa_code", "pfa_name"),
    ("las.csv", "new_la_code", "la_name", "new_la_code", "la_name"),
)
UNIVERSAL_OPTIONS_FILE = "universal_geog_options.csv"

# Words that must never appear in a location column: aggregates leave them blank.
TOTAL_WORDS: frozenset[str] = frozenset({"Total", "total", "All", "all"})


# --- how a location is named in the public API ----------------------------------------------
# EES's API names a location by level, an identifying property and a value
# (`LA|oldCode|373`). `id` (our public id) works at every level; the other properties name
# the level's stored codes: its main code, and for some levels a secondary one.
_PRIMARY_PROPERTY: dict[str, str | None] = {"SCH": "urn", "PROV": "ukprn", "RSC": None}
_SECONDARY_PROPERTY: dict[str, str] = {"LA": "oldCode", "SCH": "laEstab"}
# Longest value each property may have in a query.
PROPERTY_MAX_LENGTH: dict[str, int] = {"id": 10, "code": 30, "oldCode": 20, "urn": 20,
                                       "laEstab": 20, "ukprn": 20}


def primary_property(level_code: str) -> str | None:
    """The API's name for a level's main code ('code', 'urn', 'ukprn'), None if it has none."""
    return _PRIMARY_PROPERTY.get(level_code, "code")


def secondary_property(level_code: str) -> str | None:
    """The API's name for a level's secondary code ('oldCode', 'laEstab'), if it has one."""
    return _SECONDARY_PROPERTY.get(level_code)


def identifying_properties(level_code: str) -> tuple[str, ...]:
    """Every property a location reference at this level may use, `id` first."""
    names = [primary_property(level_code), secondary_property(level_code)]
    return ("id", *(n for n in names if n))


def location_refs(level_code: str, code: str, secondary_code: str) -> list[tuple[str, str]]:
    """The (property, value) pairs that name one stored location, besides its public id."""
    refs: list[tuple[str, str]] = []
    primary, secondary = primary_property(level_code), secondary_property(level_code)
    if primary and code:
        refs.append((primary, code))
    if secondary and secondary_code:
        refs.append((secondary, secondary_code))
    return refs


def secondary_code_column(level_code: str) -> str | None:
    """The data column holding a level's secondary code (old_la_code, school_laestab)."""
    columns = BY_CODE[level_code].code_columns
    return columns[1] if len(columns) > 1 else None
