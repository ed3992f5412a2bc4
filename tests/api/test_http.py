"""HTTP conventions: ETags and 304, Cache-Control, lower-case redirects, CSV, versions, docs."""

from __future__ import annotations

import gzip

import httpx

from tests.api.conftest import LiveServer, data_set_id
from tests.conftest import SAMPLES

DS = data_set_id("absence")


def test_etag_and_304(live: LiveServer) -> None:
    first = live.get(f"/v1/data-sets/{DS}/query", params={"dataSetVersion": "1.0"})
    etag = first.headers["etag"]
    assert "immutable" in first.headers["cache-control"]
    again = live.get(f"/v1/data-sets/{DS}/query", params={"dataSetVersion": "1.0"},
                     headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = live.get(f"/v1/data-sets/{DS}/query", params={"dataSetVersion": "1.0",
                                                          "pageSize": "3"})
    assert other.headers["etag"] != etag
    latest = live.get(f"/v1/data-sets/{DS}/query")
    assert "immutable" not in latest.headers["cache-control"]  # "latest" can move on


def test_capitals_in_the_path_redirect_to_lower_case(live: LiveServer) -> None:
    answer = httpx.get(f"{live.api}/v1/Data-Sets/{DS.upper()}?pageSize=2",
                       follow_redirects=False)
    assert answer.status_code == 308
    assert answer.headers["location"] == f"/api/v1/data-sets/{DS}?pageSize=2"


def test_statistics_prefix_works_too(live: LiveServer) -> None:
    assert httpx.get(f"{live.base}/statistics/v1/data-sets/{DS}").status_code == 200


def test_csv_is_the_uploaded_file(live: LiveServer) -> None:
    original = (SAMPLES / "ees-tests/absence_school.csv").read_bytes()
    plain = live.get(f"/v1/data-sets/{DS}/csv", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.content == original
    assert plain.headers["content-disposition"] == f'attachment; filename="{DS}_v1.0.csv"'
    raw = httpx.get(f"{live.api}/v1/data-sets/{DS}/csv",
                    headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.content == original  # httpx decodes; the bytes survive the round trip
    with httpx.stream("GET", f"{live.api}/v1/data-sets/{DS}/csv",
                      headers={"Accept-Encoding": "gzip"}) as stream:
        assert gzip.decompress(b"".join(stream.iter_raw())) == original


def test_version_wildcards(live: LiveServer) -> None:
    for spec in ("1.0", "v1.0", "1", "1.*", "*", "1.0.*", "1.0.0"):
        answer = live.get(f"/v1/data-sets/{DS}/versions/{spec}")
        assert answer.status_code == 200, spec
        assert answer.json()["version"] == "1.0"
    for spec in ("2.*", "1.1", "1.*.1", "1.0.1", "a.b", "1.0.0.0"):
        assert live.get(f"/v1/data-sets/{DS}/versions/{spec}").status_code == 404, spec


def test_meta_types(live: LiveServer) -> None:
    only = live.get(f"/v1/data-sets/{DS}/meta", params={"types": "Indicators"}).json()
    assert only["indicators"] and only["filters"] == [] and only["locations"] == []
    bad = live.get(f"/v1/data-sets/{DS}/meta", params={"types": "Colours"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "AllowedValue"


def test_openapi_document_and_docs(live: LiveServer) -> None:
    doc = httpx.get(f"{live.base}/api/openapi.json").json()
    assert "/api/v1/data-sets/{dataSetId}/query" in doc["paths"]
    operation = doc["paths"]["/api/v1/data-sets/{dataSetId}/query"]["get"]
    assert operation["tags"] == ["Data sets"] and operation["summary"]
    docs = httpx.get(f"{live.base}/api/docs")
    assert docs.status_code == 200 and "openstats" in docs.text
