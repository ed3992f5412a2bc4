"""Webhook signatures: `X-Openstats-Signature: sha256=<hex HMAC-SHA256 of the raw body>`,
keyed by the webhook's secret (the receiver computes the same over the bytes it got)."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Openstats-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (in constant time); used by our tests as a receiver would."""
    return hmac.compare_digest(signature(secret, body), header)
