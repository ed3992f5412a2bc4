"""One webhook delivery: the event's JSON POSTed to the webhook's URL, signed."""

from __future__ import annotations

import json
from typing import Any

from openstats import __version__
from openstats.notify import signing


class SendFailed(Exception):
    """A delivery that did not go through; the message says what happened (the log's)."""


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def post(url: str, secret: str, payload: dict[str, Any], timeout: float) -> str:
    """POST the payload; its status ("HTTP 204") when the receiver answered 2xx, else
    SendFailed. Redirects are not followed: a receiver says where it is, once."""
    import httpx  # at the first delivery, not with every server and command: start-up CPU

    body = body_of(payload)
    headers = {"Content-Type": "application/json",
               "User-Agent": f"openstats/{__version__}",
               signing.HEADER: signing.signature(secret, body),
               "X-Openstats-Event": str(payload.get("type", "")),
               "X-Openstats-Delivery": str(payload.get("id", ""))}
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=timeout,
                            follow_redirects=False)
    except httpx.TimeoutException:
        raise SendFailed(f"no answer within {timeout:g} seconds") from None
    except httpx.HTTPError as e:
        raise SendFailed(f"could not connect: {e}") from None
    status = f"HTTP {answer.status_code}"
    if not 200 <= answer.status_code < 300:
        raise SendFailed(status)
    return status
