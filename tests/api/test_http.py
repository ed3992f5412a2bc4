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



def revalidates(url: str, **kw: object) -> httpx.Response:
    """200 with an ETag, then 304 (no body, same validators) when the client sends it."""
    first = httpx.get(url, timeout=30, **kw)  # type: ignore[arg-type]
    assert first.status_code == 200, (url, first.status_code)
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    headers = {**kw.pop("headers", {}), "If-None-Match": etag}  # type: ignore[dict-item]
    again = httpx.get(url, headers=headers, timeout=30, **kw)  # type: ignore[arg-type]
    assert again.status_code == 304 and again.content == b"", url
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    # A list of tags, and a weak one, match too (RFC 9110's weak comparison for GET).
    listed = httpx.get(url, headers={**headers, "If-None-Match": f'"other", W/{etag}'},
                       timeout=30, **kw)  # type: ignore[arg-type]
    assert listed.status_code == 304
    return first


def test_every_api_answer_revalidates(live: LiveServer) -> None:
    v1 = f"{live.api}/v1"
    [publication] = [p["id"] for p in httpx.get(f"{v1}/publications").json()["results"]
                     if p["title"] == "EES test samples"]
    latest = [f"{v1}/publications", f"{v1}/publications?search=samples",
              f"{v1}/publications/{publication}", f"{v1}/publications/{publication}/data-sets",
              f"{v1}/data-sets/{DS}", f"{v1}/data-sets/{DS}/versions",
              f"{v1}/data-sets/{DS}/versions/1.*", f"{v1}/data-sets/{DS}/versions/*/changes",
              f"{v1}/data-sets/{DS}/meta", f"{v1}/data-sets/{DS}/meta?dataSetVersion=1.*",
              f"{v1}/data-sets/{DS}/query", f"{v1}/data-sets/{DS}/query?dataSetVersion=*",
              f"{v1}/data-sets/{DS}/csv"]
    pinned = [f"{v1}/data-sets/{DS}/versions/1.0", f"{v1}/data-sets/{DS}/versions/1.0/changes",
              f"{v1}/data-sets/{DS}/meta?dataSetVersion=1.0",
              f"{v1}/data-sets/{DS}/query?dataSetVersion=1.0&pageSize=5",
              f"{v1}/data-sets/{DS}/csv?dataSetVersion=1.0"]
    for url in latest:  # may change with the next publication: a minute, then revalidate
        assert revalidates(url).headers["cache-control"] == "public, max-age=60", url
    for url in pinned:  # one version, for ever
        assert revalidates(url).headers["cache-control"] == \
            "public, max-age=31536000, immutable", url


def test_csv_tags_each_encoding(live: LiveServer) -> None:
    url = f"{live.api}/v1/data-sets/{DS}/csv?dataSetVersion=1.0"
    plain = revalidates(url, headers={"Accept-Encoding": "identity"})
    zipped = revalidates(url, headers={"Accept-Encoding": "gzip"})
    assert plain.headers["etag"] != zipped.headers["etag"]
    assert "accept-encoding" in plain.headers["vary"].lower()
    assert zipped.headers["content-encoding"] == "gzip"
    # The gzip tag does not stand for the plain bytes.
    crossed = httpx.get(url, headers={"Accept-Encoding": "identity",
                                      "If-None-Match": zipped.headers["etag"]})
    assert crossed.status_code == 200


def test_post_query_answers_carry_an_etag(live: LiveServer) -> None:
    body = {"criteria": {"geographicLevels": {"eq": "NAT"}}}
    answer = httpx.post(f"{live.api}/v1/data-sets/{DS}/query?dataSetVersion=1.0", json=body)
    assert answer.status_code == 200 and answer.headers["etag"]
    assert "immutable" in answer.headers["cache-control"]
