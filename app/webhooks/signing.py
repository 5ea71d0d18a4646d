"""Signatures of webhook deliveries: HMAC-SHA256 over the timestamp and the body.

Headers of every POST:

- `X-CCR-Delivery`: the delivery id (the same on every retry: de-duplicate on it);
- `X-CCR-Event`: the event type;
- `X-CCR-Timestamp`: Unix seconds when this attempt was signed;
- `X-CCR-Signature`: `v1=` + hex HMAC-SHA256, keyed with the subscription's secret, of
  `<timestamp>.<body>` (the body's exact bytes).

A receiver recomputes the HMAC, compares in constant time, and refuses a timestamp older than
its tolerance (5 minutes by default), which stops a captured request from being replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True when `signature` is this body's at this timestamp, and the timestamp is recent."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature)
