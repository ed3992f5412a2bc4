"""One Settings object, read from OPENSTATS_* environment variables (and CLI options)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "")
    if not value:
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class PasswordHashing:
    """argon2id's cost: passes over memory, KiB of memory, lanes. The default is RFC 9106's
    second recommendation (argon2-cffi's own default): about half a second per hash here."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4


def password_hashing() -> PasswordHashing:
    """The cost from OPENSTATS_ARGON2_* (lowered only by the test suite, which hashes and
    checks passwords thousands of times; a hash records its own cost, so it verifies
    under any setting)."""
    strong = PasswordHashing()
    return PasswordHashing(
        time_cost=_env_int("OPENSTATS_ARGON2_TIME_COST", strong.time_cost),
        memory_kib=_env_int("OPENSTATS_ARGON2_MEMORY_KIB", strong.memory_kib),
        parallelism=_env_int("OPENSTATS_ARGON2_PARALLELISM", strong.parallelism))


def _default_reference_dir() -> Path | None:
    value = os.environ.get("OPENSTATS_REFERENCE_DIR")
    return Path(value) if value else None


@dataclass(frozen=True)
class Settings:
    """Where things live. The embedded default keeps everything in one data folder."""

    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("OPENSTATS_DATA_DIR", ".openstats"))
    )
    # PostgreSQL (or any SQLAlchemy URL); empty means SQLite inside data_dir.
    database_url: str = field(default_factory=lambda: os.environ.get("OPENSTATS_DATABASE_URL", ""))
    # Folder of DfE's geography lookups; without it the screener skips lookup checks.
    reference_dir: Path | None = field(default_factory=_default_reference_dir)
    # Where version files live: empty keeps them in data_dir; s3://BUCKET/PREFIX puts them
    # in an S3-compatible bucket (credentials and region from the standard AWS_* variables).
    storage_url: str = field(default_factory=lambda: os.environ.get("OPENSTATS_STORAGE_URL", ""))
    # The S3 API's address for servers other than AWS (MinIO, Ceph, moto, ...).
    s3_endpoint_url: str = field(
        default_factory=lambda: os.environ.get("OPENSTATS_S3_ENDPOINT_URL", ""))
    # Seconds to wait for the S3 API to answer a request (each of up to s3_attempts):
    # a store that hangs fails an import after about s3_attempts times this, not never.
    s3_timeout: float = field(
        default_factory=lambda: float(os.environ.get("OPENSTATS_S3_TIMEOUT", "60")))
    # Attempts at each S3 request (the first and its retries, with back-off between).
    s3_attempts: int = field(
        default_factory=lambda: int(os.environ.get("OPENSTATS_S3_ATTEMPTS", "5")))
    # DuckDB's memory cap for screening and import; it spills to disk beyond it.
    memory_limit: str = field(
        default_factory=lambda: os.environ.get("OPENSTATS_MEMORY_LIMIT", "512MB")
    )

    # The table tool refuses selections that would make more cells than this.
    table_cell_limit: int = field(
        default_factory=lambda: int(os.environ.get("OPENSTATS_TABLE_CELL_LIMIT", "25000"))
    )

    # Per-client rate limit of the public API (requests per second, and the burst a client
    # may spend at once); 0 switches it off. Generous by default: it stops floods, not use.
    rate_limit: float = field(
        default_factory=lambda: float(os.environ.get("OPENSTATS_RATE_LIMIT", "50")))
    rate_burst: int = field(
        default_factory=lambda: int(os.environ.get("OPENSTATS_RATE_BURST", "100")))
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed;
    # empty means the connecting address is the client, whatever the headers say.
    trusted_proxies: str = field(
        default_factory=lambda: os.environ.get("OPENSTATS_TRUSTED_PROXIES", ""))
    # Largest request body accepted (bytes): uploads of data files, and anything else.
    max_upload_bytes: int = field(
        default_factory=lambda: int(os.environ.get("OPENSTATS_MAX_UPLOAD_BYTES",
                                                   str(2 * 1024**3))))
    max_body_bytes: int = field(
        default_factory=lambda: int(os.environ.get("OPENSTATS_MAX_BODY_BYTES", "1000000")))

    # Signs session cookies; empty means a random key kept in data_dir/secret.key.
    secret_key: str = field(default_factory=lambda: os.environ.get("OPENSTATS_SECRET_KEY", ""))
    # How long before its publication a release is shown to its pre-release users.
    pre_release_hours: float = field(
        default_factory=lambda: float(os.environ.get("OPENSTATS_PRE_RELEASE_HOURS", "24"))
    )

    # PostgreSQL connection pool per process: connections kept open, and how many more may
    # be opened under load (SQLAlchemy's QueuePool). Size it so that replicas x workers x
    # (pool + overflow) stays below the server's max_connections.
    db_pool_size: int = field(default_factory=lambda: _env_int("OPENSTATS_DB_POOL_SIZE", 5))
    db_max_overflow: int = field(
        default_factory=lambda: _env_int("OPENSTATS_DB_MAX_OVERFLOW", 10))
    # Serving copies (query/serving.py): a version of at least this many rows is also kept
    # as small files under data_dir/serving (made by one server process, used by all) for
    # answers that name places; a negative number turns them off. `serving_chunk_rows`:
    # rows per file.
    serving_copy_min_rows: int = field(
        default_factory=lambda: _env_int("OPENSTATS_SERVING_COPY_MIN_ROWS", 250_000))
    serving_chunk_rows: int = field(
        default_factory=lambda: _env_int("OPENSTATS_SERVING_CHUNK_ROWS", 131_072))
    # Migrate the catalogue when a process opens it (under a lock, so concurrent starts
    # migrate once). Off: deployments run `openstats db upgrade` and processes only check.
    auto_migrate: bool = field(default_factory=lambda: _env_flag("OPENSTATS_AUTO_MIGRATE", True))
    # How often the server records releases whose publish time has come; 0 turns it off
    # (for example when cron runs `openstats publish --due` instead).
    scheduler_seconds: float = field(
        default_factory=lambda: float(os.environ.get("OPENSTATS_SCHEDULER_SECONDS", "30")))

    # Notifications (docs/notifications.md). The site's public address, for the links in
    # webhooks and mails (which leave the site); pages and feeds use the address asked.
    public_url: str = field(
        default_factory=lambda: os.environ.get("OPENSTATS_PUBLIC_URL",
                                               "http://localhost:8000").rstrip("/"))
    # smtp://HOST:PORT (smtps:// for TLS from the start; ?starttls=true, and
    # smtp://USER:PASSWORD@HOST:PORT for credentials); empty: email alerts are unavailable.
    smtp_url: str = field(default_factory=lambda: os.environ.get("OPENSTATS_SMTP_URL", ""))
    smtp_from: str = field(
        default_factory=lambda: os.environ.get("OPENSTATS_SMTP_FROM", "openstats@localhost"))
    # A PEM file of the CA certificates to trust for the mail server's TLS instead of the
    # system's (a relay with a private CA); empty: the system's. Verification stays on.
    smtp_ca_file: str = field(
        default_factory=lambda: os.environ.get("OPENSTATS_SMTP_CA_FILE", ""))
    # How often the server sends what the outbox holds (webhooks and mails); 0: never
    # (`openstats deliver` or `publish --due` from cron instead). First retry after
    # `delivery_retry_seconds`, doubling each time, for `delivery_attempts` attempts.
    delivery_seconds: float = field(
        default_factory=lambda: float(os.environ.get("OPENSTATS_DELIVERY_SECONDS", "10")))
    delivery_retry_seconds: float = field(
        default_factory=lambda: float(os.environ.get("OPENSTATS_DELIVERY_RETRY_SECONDS",
                                                     "60")))
    delivery_attempts: int = field(
        default_factory=lambda: _env_int("OPENSTATS_DELIVERY_ATTEMPTS", 12))
    # Seconds a webhook receiver or the mail server has to answer one delivery.
    delivery_timeout: float = field(
        default_factory=lambda: float(os.environ.get("OPENSTATS_DELIVERY_TIMEOUT", "10")))

    # Optional OpenID Connect sign-in with an organisation's identity provider.
    oidc_issuer: str = field(default_factory=lambda: os.environ.get("OPENSTATS_OIDC_ISSUER", ""))
    oidc_client_id: str = field(
        default_factory=lambda: os.environ.get("OPENSTATS_OIDC_CLIENT_ID", ""))
    oidc_client_secret: str = field(
        default_factory=lambda: os.environ.get("OPENSTATS_OIDC_CLIENT_SECRET", ""))

    def signing_key(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            # Replicas sharing the data folder may get here together: each writes its own
            # candidate in full, then links it into place; link fails if another process
            # won, and everyone reads the winner's key (never a half-written file).
            self.data_dir.mkdir(parents=True, exist_ok=True)
            candidate = self.data_dir / f".secret.key.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass
            finally:
                candidate.unlink()
        return path.read_text().strip().encode()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'catalogue.sqlite').resolve()}"
