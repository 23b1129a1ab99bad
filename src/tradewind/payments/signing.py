"""HMAC-SHA256 webhook signatures with a timestamp, in the style of the large processors.

Header: ``Sandbox-Signature: t=<unix seconds>,v1=<hex hmac of "<t>.<raw body>">``. The receiver
recomputes it over the raw bytes and refuses signatures older or newer than the tolerance, so a
captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

from tradewind.kernel.errors import Unauthenticated
from tradewind.kernel.problems import ProblemCode

SIGNATURE_HEADER = "Sandbox-Signature"
TOLERANCE_S = 300


def sign(secret: str, body: bytes, timestamp_s: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256)
    return f"t={timestamp_s},v1={mac.hexdigest()}"


def verify(
    secret: str, body: bytes, header: str | None, now_s: int, tolerance_s: int = TOLERANCE_S
) -> None:
    """Raise Unauthenticated unless ``header`` signs ``body`` within the tolerance."""
    if not header:
        raise Unauthenticated("missing webhook signature", code=ProblemCode.BAD_SIGNATURE)
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp_s = int(parts.get("t", ""))
    except ValueError as exc:
        raise Unauthenticated(
            "malformed webhook signature", code=ProblemCode.BAD_SIGNATURE
        ) from exc
    if abs(now_s - timestamp_s) > tolerance_s:
        raise Unauthenticated(
            "webhook signature timestamp outside tolerance", code=ProblemCode.STALE_SIGNATURE
        )
    expected = sign(secret, body, timestamp_s).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise Unauthenticated("webhook signature does not match", code=ProblemCode.BAD_SIGNATURE)
