"""Opaque, roughly time-ordered identifiers such as ``ord_01JD3K...``.

Why not integers: public ids must not reveal volumes or invite enumeration, and they must be
creatable without a database round trip (an order id is chosen before its row is written).
Why time-ordered: cursor pagination over ids then follows creation order.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_MAX_PREFIX_LEN = 8


def _b32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """A 26-character ULID-style id behind ``prefix_``: 48 bits of milliseconds, 80 random bits."""
    if not prefix.isalpha() or not prefix.islower() or len(prefix) > _MAX_PREFIX_LEN:
        raise ValueError(f"id prefix must be 1-{_MAX_PREFIX_LEN} lowercase letters: {prefix!r}")
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_b32(millis, 10)}{_b32(rand, 16)}"
