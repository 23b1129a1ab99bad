"""One check for free text from clients: bounded, and no NUL or other control characters.

Why: PostgreSQL refuses NUL in text (the request would fail with a 500), and control characters
in an operator's note end up in pages, logs and CSV exports. Refusing them at the edge of the
domain keeps every store and every reader working.
"""

from __future__ import annotations

import unicodedata

from tradewind.kernel.errors import FieldError, InvalidInput

# Cc (C0/C1 controls, NUL, DEL), Cs (lone surrogates), Cf is allowed (e.g. RLM in Hebrew text).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})


def check_plain_text(value: str, field: str, *, max_len: int, min_len: int = 0) -> str:
    """``value`` unchanged if it is ``min_len``..``max_len`` characters with no control
    characters (line breaks included: these are one-line fields); else ``invalid_text``."""
    if not isinstance(value, str) or not min_len <= len(value) <= max_len:
        raise InvalidInput(
            f"{field} must be {min_len} to {max_len} characters",
            code="invalid_text",
            errors=[
                FieldError(field, f"must be {min_len} to {max_len} characters", "invalid_text")
            ],
        )
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value):
        raise InvalidInput(
            f"{field} must not contain control characters (NUL, tabs, line breaks and the like)",
            code="invalid_text",
            errors=[FieldError(field, "contains control characters", "invalid_text")],
        )
    return value
