"""Versions in an S3-compatible bucket, read through a local cache of the immutable files.

Layout: `<prefix>versions/<key>/<file>` for each file of a version (data.parquet and the
two source CSVs), then `<prefix>versions/<key>/_complete.json`, uploaded last, listing
the files and their sizes. A version is visible only once a catalogue row names its key,
and the row is written after the upload, so a reader never sees a half-uploaded version.

Reads: `file(key, name)` returns a path under `<data_dir>/files/cache/<key>/`,
downloading the object the first time into a temporary name and renaming it into place,
so threads and processes racing for the same file each end with a whole file. Versions
never change, so a cached file is never checked again; DuckDB reads local files only and
needs no S3 extension.

Sweeping happens at every start, possibly on several replicas at once and while another
process imports: a key's objects are deleted only when no catalogue row names the key
and its newest object is older than a grace period (an import publishes seconds after
its upload ends). The import checks its versions are still complete just before
committing the catalogue row, so even a sweep with a short grace cannot publish a version
with missing files.

When the store is away (refused, cut, or hanging: each request waits at most
`OPENSTATS_S3_TIMEOUT`, `OPENSTATS_S3_ATTEMPTS` times), reads of cached files go on,
errors say `StorageUnavailable` (the app answers 503), and an upload that failed part way
is taken back; if even that cannot reach the store, its key is noted and its objects go at
the next upload or start.

Longer than most modules: the one bucket layout's writes, reads, shared uploads and
sweeps belong together.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from openstats.errors import StorageError, StorageUnavailable
from openstats.storage import owners
from openstats.storage.staging import Staging

MARKER = "_complete.json"
UPLOAD_RECORD = "upload.json"  # an upload's record, copied last: its presence means whole
UPLOAD_MAX_AGE = timedelta(days=2)  # as uploads.MAX_AGE: abandoned after this
GRACE = timedelta(hours=1)
UPLOAD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CHUNK = 1 << 20


class S3Storage:
    def __init__(self, bucket: str, prefix: str, *, cache: Path, endpoint_url: str | None = None,
                 grace: timedelta = GRACE, timeout: float = 60.0, attempts: int = 5) -> None:
        """`cache` is a local folder for staging and cached files (data_dir/files);
        `timeout` bounds each request's wait for an answer, and each request is tried
        `attempts` times (with back-off) before it fails."""
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self.grace = grace
        self.scratch = Staging(Path(cache) / "staging")
        self.staging = self.scratch.root
        self.cache = Path(cache) / "cache"
        self.cache.mkdir(parents=True, exist_ok=True)
        # Keys of uploads that failed while the store was away, whose objects could not be
        # removed then: no catalogue row can name them, so they go as soon as it answers.
        self.abandoned = Path(cache) / "s3-abandoned"
        self.abandoned.mkdir(parents=True, exist_ok=True)
        # botocore's `max_attempts` counts the retries only: `total_max_attempts` is the
        # first request and its retries, which is what `attempts` says.
        options: dict[str, Any] = {"retries": {"mode": "standard",
                                               "total_max_attempts": attempts},
                                   "connect_timeout": min(5.0, timeout),
                                   "read_timeout": timeout}
        if endpoint_url:
            # Most S3-compatible servers want path-style addresses (no bucket in the host
            # name), and some reject the checksums newer SDKs add to every request.
            options |= {"s3": {"addressing_style": "path"},
                        "request_checksum_calculation": "when_required",
                        "response_checksum_validation": "when_required"}
        # A session of our own: boto3's default session is shared, mutable global state.
        # Credentials and region come from the standard AWS_* variables and files.
        session = boto3.session.Session()
        self.client = session.client("s3", endpoint_url=endpoint_url, config=Config(**options))
        # Readiness probes want a quick answer, not five attempts with back-off.
        self.probe = session.client("s3", endpoint_url=endpoint_url, config=Config(**(
            options | {"retries": {"mode": "standard", "total_max_attempts": 1}})))
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where

    def _object(self, key: str, name: str = "") -> str:
        return f"{self.prefix}versions/{key}/{name}"

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (BotoCoreError, ClientError, Boto3Error) as e:
            kind = StorageUnavailable if unreachable(e) else StorageError
            raise kind(f"{doing} failed: {e}", self.describe()) from e

    # --- writing ------------------------------------------------------------------------
    def stage(self) -> Path:
        return self.scratch.stage()

    def discard(self, staged: Path) -> None:
        self.scratch.discard(staged)

    def commit(self, staged: Path, key: str) -> None:
        """Upload the files of `staged`, then the marker; keep the folder as cached copy."""
        self._remove_abandoned()
        files = {p.relative_to(staged).as_posix(): p
                 for p in sorted(staged.rglob("*")) if p.is_file() and p.name != owners.OWNER}
        listing = {"files": {name: path.stat().st_size for name, path in files.items()}}
        try:
            with self._errors(f"uploading version {key}"):
                for name, path in files.items():
                    with path.open("rb") as f:
                        os.fsync(f.fileno())  # the folder becomes a trusted cache entry
                    self.client.upload_file(str(path), self.bucket, self._object(key, name))
                marker = staged / MARKER
                marker.write_text(json.dumps(listing))
                self.client.put_object(Bucket=self.bucket, Key=self._object(key, MARKER),
                                       Body=marker.read_bytes(),
                                       ContentType="application/json")
        except BaseException:
            self._remove_quietly(key)
            raise
        # The importing process often serves too: its build is already the cached copy.
        owners.unmark(staged / owners.OWNER)
        os.rename(staged, self.cache / key)

    def confirm(self, keys: Iterable[str]) -> None:
        """Raise unless each version's marker is still in the bucket."""
        for key in keys:
            try:
                self.client.head_object(Bucket=self.bucket, Key=self._object(key, MARKER))
            except ClientError as e:
                raise StorageError(f"version {key} is no longer complete in the bucket "
                                   f"({e})", self.describe()) from e
            except BotoCoreError as e:
                raise StorageUnavailable(f"checking version {key} failed: {e}",
                                         self.describe()) from e

    def published(self, key: str) -> None:
        """Nothing to do: the uploaded objects carry no pending state."""

    def remove(self, key: str) -> None:
        """Delete a version's objects and cached files (its catalogue row was never written)."""
        shutil.rmtree(self.cache / key, ignore_errors=True)
        with self._errors(f"removing version {key}"):
            self._delete(self._names(self._object(key)))

    def _remove_quietly(self, key: str) -> None:
        # Called while another error is on its way up: that error is the one to report.
        # If the store cannot take the objects back now, the key is noted and they are
        # removed at the next upload or start, once it answers.
        try:
            self.remove(key)
        except StorageUnavailable:
            (self.abandoned / key).touch()
        except StorageError:
            pass  # refused (no bucket, no rights): the sweeps' grace rule will judge it

    def _remove_abandoned(self) -> list[str]:
        removed = []
        for note in self.abandoned.iterdir():
            try:
                self.remove(note.name)
            except StorageError:
                continue  # still away: next time
            note.unlink(missing_ok=True)
            removed.append(f"s3://{self.bucket}/{self._object(note.name)}")
        return removed

    def _names(self, prefix: str) -> list[str]:
        """Every object key under `prefix`."""
        return [obj["Key"] for page in self.client.get_paginator("list_objects_v2")
                .paginate(Bucket=self.bucket, Prefix=prefix) for obj in page.get("Contents", [])]

    def _folders(self, base: str) -> tuple[dict[str, list[str]], dict[str, datetime]]:
        """The objects under `base` grouped by their first path part (a version key or an
        upload id), with each group's newest modification time, for the sweeps."""
        objects: dict[str, list[str]] = defaultdict(list)
        newest: dict[str, datetime] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=base):
            for obj in page.get("Contents", []):
                folder = obj["Key"][len(base):].split("/", 1)[0]
                objects[folder].append(obj["Key"])
                if folder not in newest or obj["LastModified"] > newest[folder]:
                    newest[folder] = obj["LastModified"]
        return objects, newest

    def _delete(self, names: list[str]) -> None:
        for start in range(0, len(names), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = names[start:start + 1000]
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": n} for n in batch],
                                            "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise StorageError(f"deleting {first.get('Key')} failed: "
                                   f"{first.get('Code')} {first.get('Message')}",
                                   self.describe())

    # --- reading ------------------------------------------------------------------------
    def file(self, key: str, name: str) -> Path:
        """A local copy of one file of a version, downloaded on first use."""
        parts = PurePosixPath(name).parts
        if not parts or ".." in parts or name.startswith("/"):
            raise ValueError(f"not a file name inside a version: {name!r}")
        target = self.cache / key / name
        if target.exists():  # immutable: a cached file is never stale
            return target
        with self._lock_for(key, name):
            if target.exists():  # another thread fetched it while we waited
                return target
            target.parent.mkdir(parents=True, exist_ok=True)
            # A name of our own, then one rename: a racing process renames its own whole
            # copy of the same bytes, and a reader never sees a partial file.
            part = target.parent / f".part-{uuid.uuid4().hex}-{target.name}"
            try:
                self._download(self._object(key, name), part)
                os.replace(part, target)
            finally:
                part.unlink(missing_ok=True)
        return target

    def _download(self, object_key: str, to: Path) -> None:
        with self._errors(f"downloading {object_key}"):
            answer = self.client.get_object(Bucket=self.bucket, Key=object_key)
            expected = answer["ContentLength"]
            with to.open("wb") as out:
                for chunk in answer["Body"].iter_chunks(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())  # a cached file is trusted forever: make it durable
        if to.stat().st_size != expected:
            raise StorageUnavailable(f"downloading {object_key} stopped after {to.stat().st_size} "
                               f"of {expected} bytes", self.describe())

    def _lock_for(self, key: str, name: str) -> threading.Lock:
        # One download per file at a time in this process; other files go on in parallel.
        with self._locks_guard:
            return self._locks.setdefault((key, name), threading.Lock())

    def path(self, key: str) -> Path:
        """A local folder with all of a version's files (downloading those not cached)."""
        listing = json.loads(self.file(key, MARKER).read_text())
        for name in listing["files"]:
            self.file(key, name)
        return self.cache / key

    # --- uploads waiting for their import ------------------------------------------------
    def _upload_object(self, upload_id: str, name: str = "") -> str:
        if not UPLOAD_ID.fullmatch(upload_id):
            raise ValueError(f"not an upload id: {upload_id!r}")
        return f"{self.prefix}uploads/{upload_id}/{name}"

    def share_upload(self, upload_id: str, folder: Path) -> None:
        """Copy a screened upload's files to the bucket, its record last."""
        files = sorted((p for p in folder.rglob("*") if p.is_file()
                        and not p.name.startswith(".")),
                       key=lambda p: p.name == UPLOAD_RECORD)
        with self._errors(f"storing upload {upload_id}"):
            for path in files:
                self.client.upload_file(str(path), self.bucket, self._upload_object(
                    upload_id, path.relative_to(folder).as_posix()))

    def fetch_upload(self, upload_id: str, folder: Path) -> bool:
        """Download a shared upload into `folder` (a new folder); False if it is not there."""
        if not UPLOAD_ID.fullmatch(upload_id):
            return False
        base = self._upload_object(upload_id)
        with self._errors(f"fetching upload {upload_id}"):
            names = self._names(base)
            if base + UPLOAD_RECORD not in names:
                return False  # never shared, already imported, or not whole
            folder.parent.mkdir(parents=True, exist_ok=True)
            part = folder.parent / f".part-{uuid.uuid4().hex}"
            try:
                for name in names:
                    relative = PurePosixPath(name[len(base):])
                    if ".." in relative.parts:
                        continue
                    target = part / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self._download(name, target)
                os.rename(part, folder)  # whole, or (a racing request got there) not at all
            except OSError:
                if not (folder / UPLOAD_RECORD).exists():
                    raise
            finally:
                shutil.rmtree(part, ignore_errors=True)
        return True

    def drop_upload(self, upload_id: str) -> None:
        if not UPLOAD_ID.fullmatch(upload_id):
            return
        base = self._upload_object(upload_id)
        with self._errors(f"removing upload {upload_id}"):
            names = self._names(base)
            self._delete(names)

    def upload_gone(self, upload_id: str) -> bool:
        if not UPLOAD_ID.fullmatch(upload_id):
            return True
        try:
            self.client.head_object(Bucket=self.bucket,
                                    Key=self._upload_object(upload_id, UPLOAD_RECORD))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return True
            raise StorageError(f"checking upload {upload_id} failed: {e}",
                               self.describe()) from e
        except BotoCoreError as e:
            raise StorageError(f"checking upload {upload_id} failed: {e}",
                               self.describe()) from e
        return False

    def _sweep_uploads(self) -> list[str]:
        """Shared uploads nobody imported within UPLOAD_MAX_AGE."""
        cutoff = datetime.now(UTC) - UPLOAD_MAX_AGE
        base = f"{self.prefix}uploads/"
        objects, newest = self._folders(base)
        removed = []
        for upload, names in objects.items():
            if newest[upload] < cutoff:
                self._delete(names)
                removed.append(f"s3://{self.bucket}/{base}{upload}/")
        return removed

    # --- health and housekeeping --------------------------------------------------------
    def check(self) -> None:
        with self._errors(f"reaching bucket {self.bucket}"):
            self.probe.head_bucket(Bucket=self.bucket)

    def sweep(self, referenced: set[str]) -> list[str]:
        """Remove leftovers of failed or killed imports, never another process's import.

        Local: staging folders of dead processes, cached versions no row names. Bucket:
        prefixes no row names whose newest object is older than the grace period, and
        multipart uploads that have stored no part for as long.
        """
        removed = self.scratch.sweep()
        cutoff = datetime.now(UTC) - self.grace
        base = self._object("").rstrip("/") + "/"  # <prefix>versions/
        removed += self._remove_abandoned()
        with self._errors("sweeping the bucket"):
            objects, newest = self._folders(base)
            for key, names in objects.items():
                if key in referenced or newest[key] > cutoff:
                    continue
                self._delete(names)
                removed.append(f"s3://{self.bucket}/{base}{key}/")
            for page in self.client.get_paginator("list_multipart_uploads").paginate(
                    Bucket=self.bucket, Prefix=base):
                for upload in page.get("Uploads", []):
                    if self._abandoned(upload, cutoff):
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                        removed.append(f"s3://{self.bucket}/{upload['Key']} (upload)")
            removed += self._sweep_uploads()
        return removed + self._sweep_cache(referenced, cutoff)

    def _abandoned(self, upload: dict[str, Any], cutoff: datetime) -> bool:
        """A multipart upload whose last part was stored before the cut-off.

        Judged by its parts, not by when it began: a big file's upload may run for longer
        than the grace period, and some servers misreport the start (moto: always 2010).
        One with no part yet holds no bytes, so it is left alone.
        """
        if upload["Initiated"] >= cutoff:
            return False
        newest: datetime | None = None
        for page in self.client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]):
            for part in page.get("Parts", []):
                if newest is None or part["LastModified"] > newest:
                    newest = part["LastModified"]
        return newest is not None and newest < cutoff

    def _sweep_cache(self, referenced: set[str], cutoff: datetime) -> list[str]:
        # Several processes may share this data folder: by age, never by owner.
        removed: list[str] = []
        limit = cutoff.timestamp()
        for folder in self.cache.iterdir():
            try:
                if folder.name not in referenced and folder.stat().st_mtime < limit:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(str(folder))
                    continue
                for part in folder.rglob(".part-*"):  # downloads of killed processes
                    if part.stat().st_mtime < limit:
                        part.unlink(missing_ok=True)
                        removed.append(str(part))
            except FileNotFoundError:
                continue  # another process sweeping the same folder got there first
        return removed


def unreachable(error: BaseException) -> bool:
    """Whether an S3 error means the store cannot be reached now (refused, cut, timed
    out, or a server-side error), rather than a refusal or a missing object."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ClientError):
            status = seen.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            code = seen.response.get("Error", {}).get("Code", "")
            return int(status or 0) >= 500 or code in ("SlowDown", "ServiceUnavailable",
                                                       "RequestTimeout")
        if isinstance(seen, BotoCoreError):
            return True  # connection refused or closed, timeouts, a broken answer
        seen = seen.__cause__ or seen.__context__
    return False
