"""Answer rows built from Arrow columns are the bytes json.dumps gives for the same rows."""

from __future__ import annotations

import json

import pyarrow as pa

from openstats.query import json_rows

TRICKY = ['plain', 'a "quoted" cell', "back\\slash", "line\nbreak", "tab\there", "\x01\x1f",
          "ünïcödé – £", "", None, "\u2028", "x"]


def test_rows_match_json_dumps_whatever_the_values() -> None:
    shape = json_rows.Shape(
        times=json_rows.fragments(['{"timePeriod":{"code":"AY","period":"2020/2021"},'
                                   '"geographicLevel":"']),
        locations=[("loc_NAT", json_rows.fragments([json_rows.pair("NAT", "id0"), None])),
                   ("loc_LA", json_rows.fragments([None, json_rows.pair("LA", 'i"d1')]))],
        filters=[("f", json_rows.fragments([json_rows.pair("F1", "o0"),
                                            json_rows.pair("F1", "o1")]))],
        values=[("v", json_rows.dumps("I1") + ':"'), ("w", json_rows.dumps('I "2"') + ':"')])
    n = len(TRICKY)
    table = pa.table({
        "time_period_id": pa.array([0] * n, pa.int32()),
        "geographic_level": ["NAT" if i % 2 else "LA" for i in range(n)],
        "loc_NAT": pa.array([0 if i % 2 else None for i in range(n)], pa.int32()),
        "loc_LA": pa.array([None if i % 2 else 1 for i in range(n)], pa.int32()),
        "f": pa.array([i % 2 for i in range(n)], pa.int16()),
        "v": pa.array(TRICKY, pa.string()),
        "w": pa.array(list(reversed(TRICKY)), pa.string()),
    })
    expected = [{
        "timePeriod": {"code": "AY", "period": "2020/2021"},
        "geographicLevel": "NAT" if i % 2 else "LA",
        "locations": {"NAT": "id0"} if i % 2 else {"LA": 'i"d1'},
        "filters": {"F1": f"o{i % 2}"},
        "values": {"I1": TRICKY[i] or "", 'I "2"': TRICKY[n - 1 - i] or ""},
    } for i in range(n)]
    text = json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode()
    assert b"[" + json_rows.rows_json(shape, table) + b"]" == text
    # A slice of a bigger array (offsets not starting at 0) gives its own rows only.
    assert b"[" + json_rows.rows_json(shape, table.slice(3, 4)) + b"]" == json.dumps(
        expected[3:7], ensure_ascii=False, separators=(",", ":")).encode()
    assert json_rows.rows_json(shape, table.slice(0, 0)) == b""
