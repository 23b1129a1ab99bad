"""Plain-text checks for what carriers and sellers send us (tracking numbers, scan text).

Control characters (Unicode category ``C*``: NUL, escapes, bidi overrides, unassigned code
points) have no business in a location or an event id: PostgreSQL refuses NUL outright, and the
rest corrupt logs, pages and CSV exports. They are refused, not stripped, so the sender learns.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from tradewind.kernel.errors import FieldError, InvalidInput

CONTROL_CODE: Final = "control_characters"


def has_control_characters(value: str, *, allowed: str = "") -> bool:
    """Any ``C*`` character not in ``allowed`` (e.g. ``"\\t\\n\\r"`` for pasted labels)."""
    return any(unicodedata.category(ch).startswith("C") and ch not in allowed for ch in value)


def check_text(field: str, value: str, max_len: int, *, required: bool) -> str:
    """``value`` unchanged if it is 1 (or 0) to ``max_len`` characters of plain text."""
    if len(value) > max_len or (required and not value.strip()):
        detail = f"{field} must be {'1' if required else '0'} to {max_len} characters"
        raise InvalidInput(detail, errors=[FieldError(field, detail, "length")])
    if has_control_characters(value):
        raise control_characters(field)
    return value


def control_characters(field: str) -> InvalidInput:
    detail = f"{field} must not contain control characters"
    return InvalidInput(detail, code=CONTROL_CODE, errors=[FieldError(field, detail, CONTROL_CODE)])
