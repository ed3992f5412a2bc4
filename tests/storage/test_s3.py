"""Versions in an S3-compatible bucket (moto's real server on loopback).

They are uploaded whole and visible only through their catalogue row, read by other
processes through an empty local cache, served from that cache afterwards, never left
half-visible by a failed or killed import, swept only when old and unreferenced, and a
bad storage setting is named in the error.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from sqlalchemy import Connection

from openstats.errors import SettingsError, StorageError
from openstats.ingest.service import RecordedVersion, import_pair
from openstats.platform import Platform, open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from openstats.storage.s3 import MARKER, S3Storage
from tests.api.conftest import DATA_SETS, LiveServer, manifest_text, serve
from tests.api.decode import Decoder, expected
from tests.conftest import REFERENCE, SAMPLES, S3Server, free_port, wait_until_up
from tests.core.helpers import files_under, write_big_pair, write_pair
from tests.support.catalogue import storage_keys

ABSENCE_ID, ABSENCE_SAMPLE = DATA_SETS["absence"]
ABSENCE_CSV = SAMPLES / f"{ABSENCE_SAMPLE}.csv"
TINY_ID = "5b0c2f5e-6a55-4a8e-9a39-1f2e3d4c5b6a"
# A sweep that takes every unreferenced version: S3 dates objects to the second, so a
# cut-off a minute ahead also takes what was uploaded a moment ago.
SWEEP_ALL = timedelta(seconds=-60)


def s3_settings(s3: S3Server, bucket: str, data_dir: Path, database_url: str = "",
                prefix: str = "stats") -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, reference_dir=REFERENCE,
                    storage_url=f"s3://{bucket}/{prefix}", s3_endpoint_url=s3.endpoint)


def load_absence(settings: Settings, folder: Path) -> str:
    """Publish the absence sample; return its version's storage key."""
    manifest = folder / "absence.toml"
    manifest.write_text(manifest_text("Storage tests", "storage-tests", "2024-06-13T09:30:00Z",
                                      [(ABSENCE_ID, "Absence", ABSENCE_SAMPLE)]))
    platform = open_platform(settings)
    try:
        load_manifest(platform, manifest)
        (key,) = storage_keys(platform.catalogue)
    finally:
        platform.close()
    return key


def import_tiny(platform: Platform, folder: Path, fail: Exception | None = None) -> None:
    data, meta = write_pair(folder)

    def write(conn: Connection, recorded: list[RecordedVersion]) -> None:
        if fail is not None:
            raise fail  # the caller's part of the transaction fails after the upload

    import_pair(platform.catalogue, platform.storage, platform.settings, data, meta,
                data_set_id=TINY_ID, publication_id=None, title="Tiny", write_catalogue=write)


def query_rows(live: LiveServer) -> list[tuple[object, ...]]:
    """Every row of the absence data set through the public API, decoded to CSV cells."""
    d = Decoder(live.get(f"/v1/data-sets/{ABSENCE_ID}/meta").json())
    rows, page = [], 1
    while True:
        answer = live.get(f"/v1/data-sets/{ABSENCE_ID}/query",
                          params={"page": page, "pageSize": 100})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += [d.row(r) for r in body["results"]]
        if page >= body["paging"]["totalPages"]:
            return sorted(rows)
        page += 1


def test_versions_live_in_the_bucket_and_other_processes_read_them_through_a_cache(
        tmp_path: Path, database_url: str, s3_server: S3Server, s3_bucket: str) -> None:
    importer = s3_settings(s3_server, s3_bucket, tmp_path / "importer", database_url)
    key = load_absence(importer, tmp_path)

    names = ["_complete.json", "absence_school.csv", "absence_school.meta.csv", "data.parquet"]
    assert s3_server.keys(s3_bucket) == [f"stats/versions/{key}/{n}" for n in names]
    marker = s3_server.client().get_object(Bucket=s3_bucket,
                                           Key=f"stats/versions/{key}/{MARKER}")
    sizes = json.loads(marker["Body"].read())["files"]
    assert sizes["absence_school.csv"] == ABSENCE_CSV.stat().st_size
    assert set(sizes) == set(names) - {MARKER}
    # Nothing in a local versions folder, nothing left in staging.
    assert not (importer.data_dir / "files" / "versions").exists()
    assert files_under(importer.data_dir / "files" / "staging") == []

    # Another server, same catalogue and bucket, empty cache: the same numbers as the CSV.
    reader = s3_settings(s3_server, s3_bucket, tmp_path / "reader", database_url)
    cache = reader.data_dir / "files" / "cache" / key
    server = serve(reader)
    live = next(server)
    try:
        assert not (cache / "data.parquet").exists()
        d = Decoder(live.get(f"/v1/data-sets/{ABSENCE_ID}/meta").json())
        rows = query_rows(live)
        assert rows == expected(ABSENCE_CSV, d)
        assert (cache / "data.parquet").is_file()

        # The data-set page and the ZIP download, over HTTP, from the bucket's files.
        page = httpx.get(f"{live.base}/data-catalogue/data-set/{ABSENCE_ID}", timeout=30)
        assert page.status_code == 200
        assert "8380405" in page.text  # a cell of the CSV's first row, in the preview
        answer = httpx.get(f"{live.base}/data-catalogue/data-set/{ABSENCE_ID}/zip", timeout=30)
        assert answer.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(answer.content))
        assert archive.read("data/absence_school.csv") == ABSENCE_CSV.read_bytes()

        # Empty the bucket: this server still answers, from its cache alone ...
        client = s3_server.client()
        for name in s3_server.keys(s3_bucket):
            client.delete_object(Bucket=s3_bucket, Key=name)
        assert query_rows(live) == rows
        csv = httpx.get(f"{live.api}/v1/data-sets/{ABSENCE_ID}/csv", timeout=30)
        assert csv.content == ABSENCE_CSV.read_bytes()
    finally:
        server.close()

    # ... while a server with an empty cache cannot: the answers above came from the cache.
    fresh = serve(s3_settings(s3_server, s3_bucket, tmp_path / "fresh", database_url))
    live = next(fresh)
    try:
        answer = httpx.get(f"{live.api}/v1/data-sets/{ABSENCE_ID}/query", timeout=30)
        assert answer.status_code == 500
    finally:
        fresh.close()


def test_an_upload_that_fails_leaves_nothing_and_the_import_works_after(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:
    # A real failure from the server: the bucket does not exist.
    settings = s3_settings(s3_server, "no-such-bucket-openstats", tmp_path / "data")
    platform = open_platform(settings)
    with pytest.raises(StorageError, match="NoSuchBucket"):
        import_tiny(platform, tmp_path / "pair")
    assert platform.catalogue.counts()["data_set_versions"] == 0
    assert files_under(settings.data_dir / "files") == []
    platform.close()

    platform = open_platform(s3_settings(s3_server, s3_bucket, tmp_path / "data"))
    import_tiny(platform, tmp_path / "pair")
    assert platform.catalogue.counts()["data_set_versions"] == 1
    (key,) = storage_keys(platform.catalogue)
    assert len(s3_server.keys(s3_bucket, f"stats/versions/{key}/")) == 4
    platform.close()


def test_a_failed_catalogue_write_takes_the_upload_back(
        tmp_path: Path, database_url: str, s3_server: S3Server, s3_bucket: str) -> None:
    settings = s3_settings(s3_server, s3_bucket, tmp_path / "data", database_url)
    platform = open_platform(settings)
    try:
        with pytest.raises(RuntimeError, match="refused"):
            import_tiny(platform, tmp_path / "pair", fail=RuntimeError("refused"))
        assert platform.catalogue.counts()["data_set_versions"] == 0
        assert s3_server.keys(s3_bucket) == []
        assert files_under(settings.data_dir / "files") == []
        import_tiny(platform, tmp_path / "pair")
        assert platform.catalogue.counts()["data_set_versions"] == 1
    finally:
        platform.close()


@pytest.fixture(scope="module")
def big_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Enough valid rows that an import takes long enough to be killed part way."""
    return write_big_pair(tmp_path_factory.mktemp("big"), 200000)


def test_a_killed_import_leaves_nothing_visible(
        tmp_path: Path, big_pair: tuple[Path, Path], s3_server: S3Server,
        s3_bucket: str) -> None:
    data, meta = big_pair
    client = s3_server.client()
    started = 0.0

    def uploads(prefix: str) -> list[dict[str, Any]]:
        return client.list_multipart_uploads(Bucket=s3_bucket, Prefix=prefix).get("Uploads", [])

    def uploading(prefix: str) -> bool:
        return bool(uploads(prefix))

    def some_files_stored(prefix: str) -> bool:
        return client.list_objects_v2(Bucket=s3_bucket, Prefix=prefix)["KeyCount"] > 0

    # kill -9 when: screening has begun, the big CSV is half uploaded, the first file is
    # stored (twice: the moment to catch is short), and never (the import must work).
    moments: list[tuple[str, Callable[[str], bool]]] = [
        ("screening", lambda _: time.monotonic() - started > 1.5),
        ("multipart upload", uploading),
        ("first file stored", some_files_stored),
        ("first file stored", some_files_stored),
        ("never", lambda _: False)]
    seen: set[str] = set()
    for attempt, (moment, now) in enumerate(moments):
        prefix = f"run{attempt}/"
        env = {**os.environ, **s3_server.env(s3_bucket, prefix),
               "OPENSTATS_REFERENCE_DIR": str(REFERENCE)}
        data_dir = tmp_path / f"run{attempt}"
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "openstats.cli", "import", str(data), str(meta),
             "--data-dir", str(data_dir)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        while process.poll() is None and time.monotonic() - started < 120:
            if now(prefix):
                process.send_signal(signal.SIGKILL)
                break
            # Each look is a request to the S3 server (about 3.5 ms of CPU between it and
            # us, on the cores the import runs on); every 5 ms that was a third of a core
            # for the whole run. The moments last far longer than 25 ms: the CSV's
            # multipart upload, and the files stored before the version's row commits.
            time.sleep(0.025)
        _, err = process.communicate(timeout=60)  # reads and closes the stderr pipe
        code, stderr = process.returncode, err.decode()
        if moment == "never":
            assert code == 0, stderr  # left alone, the import works

        settings = s3_settings(s3_server, s3_bucket, data_dir, prefix=prefix)
        platform = open_platform(settings, sweep=True)  # what the next start does
        referenced = storage_keys(platform.catalogue)
        assert len(referenced) == 1 if code == 0 else len(referenced) <= 1
        for key in referenced:  # a visible version is whole
            parquet = platform.storage.file(key, "data.parquet")
            with duckdb.connect() as con:  # not the shared default connection
                assert con.execute("SELECT count(*) FROM read_parquet(?)",
                                   [str(parquet)]).fetchall() == [(200000,)]
        platform.close()
        assert files_under(data_dir / "files" / "staging") == []

        # What a killed upload leaves: objects or an unfinished multipart upload under a
        # key no row names. Invisible, and swept once older than the grace period.
        stored = {name.split("/")[2] for name in s3_server.keys(s3_bucket, prefix)}
        if stored - referenced:
            seen.add("files of an unpublished version")
        if uploading(prefix):
            seen.add("unfinished multipart upload")
        storage = S3Storage(s3_bucket, prefix, cache=tmp_path / "sweeper",
                            endpoint_url=s3_server.endpoint, grace=SWEEP_ALL)
        storage.sweep(referenced)
        assert {name.split("/")[2] for name in s3_server.keys(s3_bucket, prefix)} == referenced
        # An upload killed before its first part stored holds no bytes and is left alone.
        for upload in uploads(prefix):
            assert not client.list_parts(Bucket=s3_bucket, Key=upload["Key"],
                                         UploadId=upload["UploadId"]).get("Parts")
    # The kills did land part way through uploads, not only before or after them.
    assert seen == {"files of an unpublished version", "unfinished multipart upload"}


def commit_files(storage: S3Storage, key: str, files: dict[str, bytes]) -> None:
    staged = storage.stage()
    for name, body in files.items():
        (staged / name).write_bytes(body)
    storage.commit(staged, key)


def test_the_sweep_takes_only_old_unreferenced_versions(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:
    storage = S3Storage(s3_bucket, "p/", cache=tmp_path / "files",
                        endpoint_url=s3_server.endpoint, grace=timedelta(seconds=3))
    client = s3_server.client()
    commit_files(storage, "old-orphan", {"data.parquet": b"a"})
    commit_files(storage, "old-published", {"data.parquet": b"b"})

    def start_upload(key: str, with_part: bool) -> str:
        upload = client.create_multipart_upload(Bucket=s3_bucket, Key=key)["UploadId"]
        if with_part:
            client.upload_part(Bucket=s3_bucket, Key=key, UploadId=upload, PartNumber=1,
                               Body=b"x")
        return upload

    start_upload("p/versions/killed/data.parquet", with_part=True)
    time.sleep(4.5)  # S3 dates objects to the second
    commit_files(storage, "in-flight", {"data.parquet": b"c"})  # another replica's import
    long_upload = start_upload("p/versions/in-flight-big/data.parquet", with_part=True)
    no_part_yet = start_upload("p/versions/just-begun/data.parquet", with_part=False)

    storage.sweep({"old-published"})
    assert {n.split("/")[2] for n in s3_server.keys(s3_bucket)} == {"old-published",
                                                                   "in-flight"}
    uploads = client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert sorted(u["UploadId"] for u in uploads) == sorted([long_upload, no_part_yet])
    assert sorted(p.name for p in storage.cache.iterdir()) == ["in-flight", "old-published"]
    # A second replica sweeping at the same moment finds nothing more to do, and no error.
    again = S3Storage(s3_bucket, "p/", cache=tmp_path / "files2",
                      endpoint_url=s3_server.endpoint, grace=timedelta(seconds=3))
    assert again.sweep({"old-published"}) == []


def test_a_version_swept_before_its_row_commits_is_not_published(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:
    settings = s3_settings(s3_server, s3_bucket, tmp_path / "data")
    platform = open_platform(settings)
    swept = S3Storage(s3_bucket, "stats/", cache=tmp_path / "other",
                      endpoint_url=s3_server.endpoint, grace=SWEEP_ALL)

    def write(conn: Connection, recorded: list[RecordedVersion]) -> None:
        swept.sweep(set())  # another replica, with no grace period, sweeps right now

    data, meta = write_pair(tmp_path / "pair")
    with pytest.raises(StorageError, match="no longer complete"):
        import_pair(platform.catalogue, platform.storage, settings, data, meta,
                    data_set_id=TINY_ID, publication_id=None, title="Tiny",
                    write_catalogue=write)
    assert platform.catalogue.counts()["data_set_versions"] == 0
    platform.close()


def test_cold_reads_racing_for_one_file_all_get_the_whole_file(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:
    body = os.urandom(12 << 20)  # large enough for a multipart upload
    writer = S3Storage(s3_bucket, "", cache=tmp_path / "writer", endpoint_url=s3_server.endpoint)
    commit_files(writer, "v1", {"data.parquet": body, "small.csv": b"a,b\n1,2\n"})
    # Two storages on one cache folder stand for two processes; each has four threads.
    readers = [S3Storage(s3_bucket, "", cache=tmp_path / "reader",
                         endpoint_url=s3_server.endpoint) for _ in range(2)]
    results: list[str] = []
    start = threading.Barrier(8)

    def read(storage: S3Storage) -> None:
        start.wait()
        results.append(hashlib.sha256(storage.file("v1", "data.parquet").read_bytes())
                       .hexdigest())

    threads = [threading.Thread(target=read, args=(r,)) for r in readers for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [hashlib.sha256(body).hexdigest()] * 8
    folder = readers[0].path("v1")
    assert sorted(p.name for p in folder.iterdir()) == [MARKER, "data.parquet", "small.csv"]


def test_check_says_whether_the_bucket_answers(tmp_path: Path, s3_server: S3Server,
                                               s3_bucket: str) -> None:
    def storage(bucket: str, endpoint: str) -> S3Storage:
        return S3Storage(bucket, "", cache=tmp_path / "files", endpoint_url=endpoint)

    assert storage(s3_bucket, s3_server.endpoint).check() is None
    with pytest.raises(StorageError, match="no-such-bucket-openstats"):
        storage("no-such-bucket-openstats", s3_server.endpoint).check()
    with pytest.raises(StorageError):
        storage(s3_bucket, f"http://127.0.0.1:{free_port()}").check()  # nothing listens


def test_replicas_on_one_bucket_both_come_up_and_agree(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:
    settings = s3_settings(s3_server, s3_bucket, tmp_path / "importer",
                           f"sqlite:///{tmp_path / 'catalogue.sqlite'}")
    key = load_absence(settings, tmp_path)
    # Another process is part way through an import: its objects have no row yet.
    uploader = S3Storage(s3_bucket, "stats/", cache=tmp_path / "uploader",
                         endpoint_url=s3_server.endpoint)
    commit_files(uploader, "in-flight", {"data.parquet": b"not yet published"})

    env = {**os.environ, **s3_server.env(s3_bucket, "stats"),
           "OPENSTATS_DATABASE_URL": settings.database_url,
           "OPENSTATS_REFERENCE_DIR": str(REFERENCE)}
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen(
        [sys.executable, "-m", "openstats.cli", "serve", "--port", str(port),
         "--data-dir", str(tmp_path / f"replica{i}")], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i, port in enumerate(ports)]  # started together: both sweep at once
    try:
        answers = []
        for port in ports:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            answer = httpx.get(f"{base}/api/v1/data-sets/{ABSENCE_ID}/query",
                               params={"pageSize": 500}, timeout=30)
            assert answer.status_code == 200, answer.text
            answers.append(answer.json()["results"])
        assert answers[0] == answers[1] and answers[0]
        keys = {n.split("/")[2] for n in s3_server.keys(s3_bucket)}
        assert keys == {key, "in-flight"}
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)


@pytest.mark.parametrize(("url", "endpoint", "setting", "words"), [
    ("s3://", "", "OPENSTATS_STORAGE_URL", "names no bucket"),
    ("s3:///prefix", "", "OPENSTATS_STORAGE_URL", "names no bucket"),
    ("gs://bucket/prefix", "", "OPENSTATS_STORAGE_URL", "use s3://BUCKET/PREFIX"),
    ("/var/lib/openstats", "", "OPENSTATS_STORAGE_URL", "use s3://BUCKET/PREFIX"),
    ("s3://a/prefix", "", "OPENSTATS_STORAGE_URL", "not a bucket name"),
    ("s3://bucket/prefix", "localhost:9000", "OPENSTATS_S3_ENDPOINT_URL", "http://"),
    ("", "http://127.0.0.1:9000", "OPENSTATS_STORAGE_URL", "no bucket"),
])
def test_a_bad_storage_setting_is_named(tmp_path: Path, url: str, endpoint: str, setting: str,
                                        words: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", storage_url=url, s3_endpoint_url=endpoint)
    with pytest.raises(SettingsError, match=words) as caught:
        open_platform(settings)
    assert caught.value.where == setting
    assert str(caught.value).startswith(f"{setting}: ")


def test_no_attempts_at_a_request_is_a_bad_storage_setting(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", storage_url="s3://bucket/prefix",
                        s3_attempts=0)
    with pytest.raises(SettingsError, match="at least 1") as caught:
        open_platform(settings)
    assert caught.value.where == "OPENSTATS_S3_ATTEMPTS"


def test_the_cli_names_a_bad_storage_setting(tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "pair")
    env = {**os.environ, "OPENSTATS_STORAGE_URL": "s3://"}
    done = subprocess.run([sys.executable, "-m", "openstats.cli", "import", str(data), str(meta),
                           "--data-dir", str(tmp_path / "data")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "OPENSTATS_STORAGE_URL: 's3://' names no bucket" in done.stderr


def test_an_upload_screened_on_one_replica_imports_on_another(
        tmp_path: Path, s3_server: S3Server, s3_bucket: str) -> None:
    """The screening report and the import are two requests; behind a load balancer they
    may reach different replicas, each with its own data folder, sharing the catalogue
    and the bucket."""
    from openstats.catalogue import accounts
    from tests.admin.helpers import PASSWORD, Person
    from tests.admin.test_publishing import DEMO_DATA, DEMO_META, data_set_ids
    from tests.admin.test_publishing import upload as upload_form
    from tests.support.publishing import make_release

    catalogue = f"sqlite:///{tmp_path / 'catalogue.sqlite'}"
    replicas = [Settings(data_dir=tmp_path / name, database_url=catalogue,
                         reference_dir=REFERENCE, storage_url=f"s3://{s3_bucket}/stats",
                         s3_endpoint_url=s3_server.endpoint, secret_key="shared " * 8)
                for name in ("a", "b")]
    platform = open_platform(replicas[0])
    accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    servers = [serve(s) for s in replicas]
    a, b = (next(s) for s in servers)
    try:
        at_a, at_b = Person(a.base), Person(b.base)
        assert at_a.sign_in("admin@example.org").status_code == 303
        assert at_b.sign_in("admin@example.org").status_code == 303
        release = make_release(at_a, "Replicated statistics")
        report = upload_form(at_a, release, DEMO_DATA.read_bytes(), DEMO_META.read_bytes(),
                             "Uploaded on A")
        assert report.status_code == 200, report.text[:1000]
        [action] = re.findall(r'action="(/admin/uploads/([0-9a-f-]+)/import)"', report.text)
        shared = {o["Key"] for o in s3_server.client().list_objects_v2(
            Bucket=s3_bucket, Prefix=f"stats/uploads/{action[1]}/").get("Contents", [])}
        assert f"stats/uploads/{action[1]}/upload.json" in shared and len(shared) == 4
        assert f"stats/uploads/{action[1]}/report.json" in shared  # any replica shows it
        # B never saw the upload: it shows the report from the shared copy ...
        shown = at_b.get(f"/admin/uploads/{action[1]}")
        assert shown.status_code == 200 and "Uploaded on A" in shown.text
        # ... and imports it.
        done = at_b.post(action[0], {"acknowledge": "yes"},
                         token_from=f"/admin/releases/{release}")
        assert done.status_code == 303, done.text[:1000]
        assert len(data_set_ids(at_a, release)) == 1  # A sees what B imported
        gone = s3_server.client().list_objects_v2(Bucket=s3_bucket,
                                                  Prefix=f"stats/uploads/{action[1]}/")
        assert gone.get("KeyCount", 0) == 0  # imported: the shared copy is dropped
        # Importing again (the same form sent twice) finds nothing, on either replica.
        for who in (at_a, at_b):
            again = who.post(action[0], {"acknowledge": "yes"},
                             token_from=f"/admin/releases/{release}")
            assert again.status_code in (404, 409)  # gone here, already imported there
        assert len(data_set_ids(at_a, release)) == 1
    finally:
        for s in servers:
            s.close()
        platform.close()
