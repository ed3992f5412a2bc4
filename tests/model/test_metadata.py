"""The typed version metadata (model/metadata.py) reads what import stores, and the rules
it leans on live in standards: period labels and the identifiers each level accepts."""

from __future__ import annotations

from typing import Any

from openstats.model.metadata import VersionMeta
from openstats.standards import geography, time_periods

STORED: dict[str, Any] = {
    "row_count": 3, "data_file": "d.csv", "meta_file": "d.meta.csv", "data_sha256": "a" * 64,
    "meta_sha256": "b" * 64, "columns": ["time_period", "time_identifier"],
    "geographic_levels": ["NAT", "LA", "SCH"],
    # An older version stored a label of its own ("2017"): it is not believed.
    "time_periods": [{"id": 0, "period": "2017", "code": "M3", "label": "2017"},
                     {"id": 1, "period": "201718", "code": "T1"}],
    "locations": [
        {"id": 0, "level": "NAT", "code": "E92000001", "name": "England", "public_id": "aaaaa"},
        {"id": 1, "level": "LA", "code": "E09000001", "name": "City of London",
         "old_la_code": "201", "public_id": "bbbbb"},
        {"id": 2, "level": "SCH", "code": "100000", "name": "A school",
         "school_laestab": "2013614", "public_id": "ccccc"}],
    "filters": [{"column": "sex", "label": "Sex", "hint": "", "group_column": "",
                 "parent_filter": "", "default": "Total", "public_id": "fffff",
                 "options": [{"id": 0, "label": "Total", "public_id": "ooooo"}]}],
    "indicators": [{"column": "n", "label": "Number", "unit": "", "decimal_places": None,
                    "group": "", "public_id": "iiiii"}],
    "row_groups": [[0, 3]],
}


def test_stored_metadata_reads_and_writes_back_the_same() -> None:
    meta = VersionMeta.from_json(STORED)
    again = meta.to_json()
    assert VersionMeta.from_json(again) == meta
    assert again["row_groups"] == [[0, 3]]  # what this model does not know is kept
    assert again["locations"][1]["old_la_code"] == "201"
    assert again["locations"][2]["school_laestab"] == "2013614"


def test_period_labels_come_from_standards_not_storage() -> None:
    meta = VersionMeta.from_json(STORED)
    assert [t.label for t in meta.time_periods] == ["2017 March", "2017/18 Autumn term"]
    assert meta.period_by_key["2017/2018|T1"].identifier == "Autumn term"


def test_each_level_is_named_by_its_own_identifiers() -> None:
    meta = VersionMeta.from_json(STORED)
    refs = {loc.level: loc.refs() for loc in meta.locations}
    assert refs["NAT"] == [("id", "aaaaa"), ("code", "E92000001")]
    assert refs["LA"] == [("id", "bbbbb"), ("code", "E09000001"), ("oldCode", "201")]
    assert refs["SCH"] == [("id", "ccccc"), ("urn", "100000"), ("laEstab", "2013614")]
    assert geography.identifying_properties("PROV") == ("id", "ukprn")
    assert geography.identifying_properties("RSC") == ("id",)


def test_range_codes_are_the_two_year_identifiers() -> None:
    assert set(time_periods.RANGE_CODES) == {
        t.code for t in time_periods.IDENTIFIERS if t.digits == 6}
    assert time_periods.full_api_period("2020", "AY") == "2020/2021"
    assert time_periods.full_api_period("2020", "CY") == "2020"
