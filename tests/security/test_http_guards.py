"""Headers on every answer, limits on request bodies, and the API's per-client rate limit.

All over real HTTP on loopback against servers made for each case (settings differ).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from openstats.catalogue import accounts
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.security import CONTENT_SECURITY_POLICY, TokenBuckets, client_address, parse_networks
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person
from tests.api.conftest import LiveServer, serve
from tests.conftest import REFERENCE
from tests.security.hostile import DATA_SET_ID

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def demo_server(folder: Path, **settings: object) -> Iterator[LiveServer]:
    config = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                      **settings)  # type: ignore[arg-type]
    platform = open_platform(config)
    load_manifest(platform, MANIFEST)
    accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    platform.close()
    yield from serve(config)


# --- headers -------------------------------------------------------------------------------
def test_csp_has_no_unsafe_parts() -> None:
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/", 200), ("GET", "/data-catalogue", 200),
    ("GET", f"/data-catalogue/data-set/{DATA_SET_ID}", 200),
    ("GET", "/no-such-page", 404), ("GET", "/api/docs", 200), ("GET", "/api/openapi.json", 200),
    ("GET", "/api/v1/publications", 200), ("GET", "/api/v1/data-sets/not-an-id", 404),
    ("GET", "/api/v1/publications?pageSize=0", 400),
    ("GET", f"/api/v1/data-sets/{DATA_SET_ID}/csv", 200), ("GET", "/api/v1/Publications", 308),
    ("GET", "/static/app/app.css", 200),
    ("GET", "/static/govuk/govuk-frontend.min.js", 200), ("GET", "/healthz", 200),
    ("GET", "/admin", 303), ("GET", "/admin/login", 200),
    ("POST", f"/api/v1/data-sets/{DATA_SET_ID}/query", 415),
    ("DELETE", "/api/v1/publications", 405),
])
def test_every_answer_has_the_security_headers(hostile: LiveServer, method: str, path: str,
                                               status: int) -> None:
    answer = httpx.request(method, hostile.base + path, timeout=30,
                           content=b"x" if method == "POST" else None)
    assert answer.status_code == status
    for name, value in EXPECTED.items():
        assert answer.headers.get(name) == value, (name, path)
    assert answer.headers.get("permissions-policy")


def test_hsts_only_over_https(tmp_path: Path) -> None:
    """Strict-Transport-Security is sent over HTTPS (as a TLS proxy passes it on), not HTTP."""
    import asyncio

    from openstats.app import create_app

    app = create_app(Settings(data_dir=tmp_path / "data", database_url=""))

    async def headers(base: str) -> httpx.Headers:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=base) as client:
            return (await client.get("/healthz")).headers

    assert "strict-transport-security" not in asyncio.run(headers("http://stats.example"))
    assert asyncio.run(headers("https://stats.example"))["strict-transport-security"] \
        .startswith("max-age=")


# --- body limits ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo with small caps: 20 kB for uploads, 2 kB for anything else."""
    yield from demo_server(tmp_path_factory.mktemp("capped"), max_upload_bytes=20_000,
                           max_body_bytes=2_000)


def chunks(total: int, size: int = 500) -> Iterator[bytes]:
    """A body sent without Content-Length (chunked), so only counting can stop it."""
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


def test_api_bodies_over_the_cap_are_413_problem_details(capped: LiveServer) -> None:
    url = f"{capped.api}/v1/data-sets/{DEMO}/query"
    headers = {"content-type": "application/json"}
    small = httpx.post(url, content=b"{}" + b" " * 1_000, headers=headers)
    assert small.status_code == 200
    for body in (b" " * 5_000, chunks(5_000)):
        answer = httpx.post(url, content=body, headers=headers)
        assert answer.status_code == 413
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == 413 and problem["title"] == "Content Too Large"
        assert problem["errors"][0]["message"] == "The request body is larger than 2,000 bytes."
        assert answer.headers["x-frame-options"] == "DENY"


def test_page_forms_over_the_cap_are_413(capped: LiveServer) -> None:
    for body in (b"a=" + b"b" * 5_000, chunks(5_000)):
        answer = httpx.post(capped.base + "/data-tables/permalink", content=body,
                            headers={"content-type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 413
        assert "text/html" in answer.headers["content-type"]
        assert "Traceback" not in answer.text


def test_uploads_have_their_own_cap(capped: LiveServer) -> None:
    person = Person(capped.base)
    assert person.sign_in("admin@example.org").status_code == 303
    release = next(p for p in _links(person, "/admin") if p.startswith("/admin/publications/"))
    release = next(p for p in _links(person, release) if p.startswith("/admin/releases/"))
    # The demo release is published: uploads go into its amendment (started once).
    assert person.post(f"{release}/amend", token_from=release).status_code in (303, 409)
    data = (MANIFEST.parent / "e1_re_referrals.csv").read_bytes()
    meta = (MANIFEST.parent / "e1_re_referrals.meta.csv").read_bytes()

    def upload(data_bytes: bytes) -> httpx.Response:
        return person.post(f"{release}/upload", {"title": "Capped", "summary": "s"},
                           files={"data_file": ("d.csv", data_bytes, "text/csv"),
                                  "meta_file": ("d.meta.csv", meta, "text/csv")},
                           token_from=release)

    # Over the general 2 kB cap but under the upload cap: screened as usual.
    padded = data + b"\n" * 3_000
    assert 2_000 < len(padded) < 20_000
    assert upload(padded).status_code in (200, 422)
    big = data + (data.splitlines(keepends=True)[-1] * 400)
    assert len(big) > 20_000
    refused = upload(big)
    assert refused.status_code == 413
    assert "larger than 20,000 bytes" in refused.text
    # Nothing of the refused upload was kept beyond the cap.
    uploads = capped.data_dir / "uploads"
    assert all(f.stat().st_size <= 20_000 for f in uploads.rglob("*") if f.is_file())


def test_a_zip_bomb_is_never_unpacked(capped: LiveServer) -> None:
    """Uploads are CSV files: an archive that would inflate to 10 MB stays 10 kB of bytes."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.csv", b"0" * 10_000_000)
    bomb = buffer.getvalue()
    meta = (MANIFEST.parent / "e1_re_referrals.meta.csv").read_bytes()
    assert len(bomb) + len(meta) < 19_000  # under the upload cap: it reaches the screener
    person = Person(capped.base)
    assert person.sign_in("admin@example.org").status_code == 303
    release = next(p for p in _links(person, "/admin") if p.startswith("/admin/publications/"))
    release = next(p for p in _links(person, release) if p.startswith("/admin/releases/"))
    # The demo release is published: uploads go into its amendment (started once).
    assert person.post(f"{release}/amend", token_from=release).status_code in (303, 409)
    answer = person.post(f"{release}/upload", {"title": "Bomb", "summary": "s"},
                         files={"data_file": ("bomb.csv", bomb, "text/csv"),
                                "meta_file": ("bomb.meta.csv", meta, "text/csv")},
                         token_from=release)
    assert answer.status_code in (400, 422)
    assert "Traceback" not in answer.text
    stored = sum(f.stat().st_size for f in capped.data_dir.rglob("*") if f.is_file())
    assert stored < 10_000_000


def _links(person: Person, path: str) -> list[str]:
    import re

    return re.findall(r'href="(/admin/[^"]+)"', person.get(path).text)


def test_query_and_paging_limits(capped: LiveServer) -> None:
    api = f"{capped.api}/v1"
    assert httpx.get(f"{api}/publications?pageSize=41").status_code == 400
    assert httpx.get(f"{api}/data-sets/{DEMO}/versions?pageSize=21").status_code == 400
    answer = httpx.get(f"{api}/data-sets/{DEMO}/query?pageSize=10001")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["detail"]["to"] == 10_000
    deep = '{"criteria": ' + '{"not": ' * 33 + "{}" + "}" * 33 + "}"
    answer = httpx.post(f"{api}/data-sets/{DEMO}/query", content=deep,
                        headers={"content-type": "application/json"})
    assert answer.json()["errors"][0]["code"] == "CriteriaTooComplex"
    # A query string far past any sensible size: refused, never a server error.
    answer = httpx.get(f"{api}/data-sets/{DEMO}/query?indicators=" + "a," * 20_000)
    assert 400 <= answer.status_code < 500


# --- rate limit ----------------------------------------------------------------------------
def test_token_buckets_refill_at_their_rate() -> None:
    now = [100.0]
    buckets = TokenBuckets(rate=2, burst=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0  # another client has its own bucket
    now[0] += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0
    now[0] += 60
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]  # never more than the burst
    assert buckets.take("a") > 0


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    def scope(peer: str, forwarded: str | None) -> dict:
        headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
        return {"client": (peer, 5000), "headers": headers}

    none = parse_networks("")
    proxies = parse_networks("10.0.0.0/8, 127.0.0.1")
    assert client_address(scope("203.0.113.9", "1.2.3.4"), none) == "203.0.113.9"
    assert client_address(scope("203.0.113.9", "1.2.3.4"), proxies) == "203.0.113.9"
    assert client_address(scope("127.0.0.1", "1.2.3.4"), proxies) == "1.2.3.4"
    # A client's own made-up entries sit to the left of what our proxies add: ignored.
    assert client_address(scope("10.1.1.1", "6.6.6.6, 1.2.3.4, 10.2.2.2"), proxies) == "1.2.3.4"
    assert client_address(scope("10.1.1.1", "not-an-ip, 1.2.3.4"), proxies) == "1.2.3.4"
    assert client_address(scope("10.1.1.1", "1.2.3.4, garbage"), proxies) == "10.1.1.1"
    assert client_address(scope("127.0.0.1", None), proxies) == "127.0.0.1"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # One new token every 5 s: slow enough that a busy machine (each request here opens a
    # new connection) cannot refill the bucket between the test's requests.
    yield from demo_server(tmp_path_factory.mktemp("limited"), rate_limit=0.2, rate_burst=5,
                           trusted_proxies="127.0.0.1")


def test_api_clients_over_their_rate_get_429(limited: LiveServer) -> None:
    url = f"{limited.api}/v1/publications"
    me = {"x-forwarded-for": "198.51.100.1"}
    statuses = [httpx.get(url, headers=me).status_code for _ in range(12)]
    assert statuses[:5] == [200] * 5 and 429 in statuses
    refused = httpx.get(url, headers=me)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    problem = refused.json()
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests"
    assert refused.headers["x-content-type-options"] == "nosniff"
    # The other API prefix shares the bucket; pages and another client are not limited.
    assert httpx.get(f"{limited.base}/statistics/v1/publications", headers=me).status_code == 429
    assert httpx.get(f"{limited.base}/data-catalogue", headers=me).status_code == 200
    assert httpx.get(url, headers={"x-forwarded-for": "198.51.100.2"}).status_code == 200
    time.sleep(int(refused.headers["retry-after"]) + 0.1)
    assert httpx.get(url, headers=me).status_code == 200


@pytest.fixture(scope="module")
def unlimited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from demo_server(tmp_path_factory.mktemp("unlimited"), rate_limit=0.0, rate_burst=1)


def test_rate_limit_of_zero_is_off(unlimited: LiveServer) -> None:
    with httpx.Client() as client:
        statuses = {client.get(f"{unlimited.api}/v1/publications").status_code
                    for _ in range(60)}
    assert statuses == {200}

