"""One Settings object, read from OPENSTATS_* environment variables (and CLI options)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


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
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
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
