"""Plain-text checks for what carriers and sellers send us (tracking numbers, scan text).

Stricter than the text rule for people (``tradewind.kernel.text``): carrier data is machine text,
so every Unicode ``C*`` character is refused here, format characters (bidi overrides, zero-width
joiners) and unassigned code points included, which a person's Hebrew or emoji text may carry.
They are refused, not stripped, so the sender learns; the error is the same one people get.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.text import CONTROL_CHARACTERS, control_characters_error

CONTROL_CODE: Final = CONTROL_CHARACTERS


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
    return control_characters_error([field])
