"""Verifying the CAS webhook signature (CAS_FEED.md §1.2). Pure functions, no Django.

``X-CAS-Signature: t={unix seconds},v1={hex HMAC-SHA256 of "{t}.{raw body}"}``. Several ``v1``
entries may be present while CAS rotates secrets; one match is enough.
"""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    pass


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value CAS would send; used by the simulator and the tests."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(*, secret: str, header: str | None, body: bytes, now: float) -> None:
    """Raise ``SignatureError`` unless ``header`` signs ``body`` with ``secret`` within the tolerance."""
    if not secret:
        raise SignatureError("this connection has no webhook secret")
    if not header:
        raise SignatureError("missing X-CAS-Signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("signature timestamp is not a whole number of seconds") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("signature header needs t= and v1=")
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError(f"signature timestamp is more than {TOLERANCE_SECONDS} s away from now")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("signature does not match")
