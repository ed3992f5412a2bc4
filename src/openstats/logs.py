"""JSON logs: one object per line (time, level, logger, message, request id, extras).

Kept apart from the metrics so that `openstats serve` can set up logging in its parent
process without importing prometheus_client there: with several workers only the
workers may create metric files in PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# The id of the request being answered, set by observability's middleware: every line
# logged while it runs (in its thread too: contextvars follow it there) carries it.
REQUEST_ID: ContextVar[str | None] = ContextVar("openstats_request_id", default=None)

# LogRecord attributes that are not extra fields of ours.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message",
                                                                               "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(level: str = "info") -> dict[str, Any]:
    """logging.config.dictConfig for the server: ours and uvicorn's lines, all JSON, stdout.

    uvicorn's own access log is left off (`access_log=False`): our middleware writes a
    richer line per request (request id, route, duration).
    """
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stdout"}},
        "loggers": {
            "uvicorn": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "openstats": {"handlers": ["stdout"], "level": level, "propagate": False},
        },
    }
