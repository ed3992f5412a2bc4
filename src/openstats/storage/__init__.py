"""Where version files live: a local folder (the embedded default) or an S3-compatible bucket.

Every version is built in a local staging folder, then committed under its key; the
catalogue row written after the commit is what makes it visible. Readers ask for a
version's files by key and always get local paths (from the bucket, through a
read-through cache of the immutable files), so DuckDB never needs network access.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from openstats.errors import SettingsError
from openstats.settings import Settings
from openstats.storage.local import LocalStorage

STORAGE_URL = "OPENSTATS_STORAGE_URL"
ENDPOINT_URL = "OPENSTATS_S3_ENDPOINT_URL"
ATTEMPTS = "OPENSTATS_S3_ATTEMPTS"
# Lenient on purpose: S3-compatible servers allow some names AWS no longer does.
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]")


class Storage(Protocol):
    """What the import, the readers and the start-up sweep need from version storage."""

    staging: Path  # a local scratch folder (builds, the screener's temporary tables)

    def describe(self) -> str:
        """Where the versions are, for messages."""
        ...

    def stage(self) -> Path:
        """A new empty local folder to build one version in."""
        ...

    def discard(self, staged: Path) -> None:
        """Remove a staging folder (the build failed or was committed elsewhere)."""
        ...

    def commit(self, staged: Path, key: str) -> None:
        """Store a finished staging folder as version `key`; invisible until a row names it."""
        ...

    def confirm(self, keys: Iterable[str]) -> None:
        """Raise unless every committed key is still complete; called just before publishing."""
        ...

    def published(self, key: str) -> None:
        """The catalogue row naming `key` is committed."""
        ...

    def remove(self, key: str) -> None:
        """Take back a committed version whose catalogue row was never written."""
        ...

    def path(self, key: str) -> Path:
        """A local folder holding all of a version's files."""
        ...

    def file(self, key: str, name: str) -> Path:
        """A local path to one of a version's files."""
        ...

    def check(self) -> None:
        """Return if the storage answers; raise StorageError if not (for readiness probes)."""
        ...

    # A publisher's upload waits between its screening report and its import, and the two
    # requests may reach different replicas: storage that replicas share keeps a copy.
    def share_upload(self, upload_id: str, folder: Path) -> None:
        """Keep a copy of a screened upload's folder where every replica can fetch it."""
        ...

    def fetch_upload(self, upload_id: str, folder: Path) -> bool:
        """Fill `folder` with a shared upload's files; False if there is no such upload."""
        ...

    def drop_upload(self, upload_id: str) -> None:
        """Forget a shared upload (imported, or refused)."""
        ...

    def upload_gone(self, upload_id: str) -> bool:
        """True if a shared upload was dropped (imported through another replica)."""
        ...

    def sweep(self, referenced: set[str]) -> list[str]:
        """Remove leftovers no catalogue row names, safely while other replicas run."""
        ...


def open_storage(settings: Settings) -> Storage:
    """The storage `settings.storage_url` names; a folder in data_dir when it is empty."""
    url = settings.storage_url.strip()
    endpoint = settings.s3_endpoint_url.strip()
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise SettingsError(f"'{endpoint}' is not an http:// or https:// address", ENDPOINT_URL)
    if not url:
        if endpoint:
            # An endpoint alone most likely means the bucket setting was forgotten.
            raise SettingsError(f"{ENDPOINT_URL} is set but no bucket is: set {STORAGE_URL}="
                                "s3://BUCKET/PREFIX, or unset the endpoint", STORAGE_URL)
        return LocalStorage(settings.data_dir / "files")
    bucket, prefix = parse_s3_url(url)
    if settings.s3_attempts < 1:
        raise SettingsError(f"{settings.s3_attempts} attempts: at least 1 is needed", ATTEMPTS)
    from openstats.storage.s3 import S3Storage  # boto3 is imported only when it is used

    return S3Storage(bucket, prefix, cache=settings.data_dir / "files",
                     endpoint_url=endpoint or None, timeout=settings.s3_timeout,
                     attempts=settings.s3_attempts)


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key prefix ending in '/' or empty) from s3://BUCKET[/PREFIX]."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise SettingsError(f"'{url}' is not supported: use s3://BUCKET/PREFIX for an "
                            "S3-compatible bucket, or leave it empty for a folder in the "
                            "data folder", STORAGE_URL)
    if not parts.netloc:
        raise SettingsError(f"'{url}' names no bucket: write s3://BUCKET or "
                            "s3://BUCKET/PREFIX", STORAGE_URL)
    if not _BUCKET.fullmatch(parts.netloc):
        raise SettingsError(f"'{parts.netloc}' is not a bucket name (3 to 63 letters, "
                            "digits, dots, hyphens)", STORAGE_URL)
    if parts.query or parts.fragment:
        raise SettingsError(f"'{url}' has a query or fragment; write s3://BUCKET/PREFIX",
                            STORAGE_URL)
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""
