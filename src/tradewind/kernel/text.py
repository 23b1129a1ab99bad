"""Text from clients: what may not appear in it.

Control characters (C0 but tab, line feed and carriage return; DEL; C1) and lone UTF-16
surrogates are refused everywhere a client sends text: PostgreSQL refuses NUL and unpaired
surrogates outright (a 500 if they reach it), SQLite stores them, and either way they end up in
pages, CSV files and logs where they hide or reorder what a person reads. One definition here is
used by the API models, the page forms, the query string and the path.
"""

from __future__ import annotations

import re

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode

# Tab, LF and CR are ordinary whitespace in multi-line fields (messages, descriptions).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_CHARACTERS = ProblemCode.CONTROL_CHARACTERS


def has_control_characters(value: str) -> bool:
    return _FORBIDDEN.search(value) is not None


def control_characters_error(fields: list[str]) -> InvalidInput:
    return InvalidInput(
        "text may not contain control characters (such as NUL) or unpaired surrogates",
        code=CONTROL_CHARACTERS,
        errors=[FieldError(f, "contains a control character", CONTROL_CHARACTERS) for f in fields],
    )


def clean_text(value: str, field: str) -> str:
    """``value`` unchanged, or :class:`InvalidInput` (``control_characters``) naming ``field``."""
    if has_control_characters(value):
        raise control_characters_error([field])
    return value


_LINE_BREAKS_AND_TABS = frozenset("\t\n\r")
INVALID_TEXT = ProblemCode.INVALID_TEXT


def check_plain_text(value: str, field: str, *, max_len: int, min_len: int = 0) -> str:
    """A one-line text field (a note, a source, a name): ``min_len``..``max_len`` characters,
    no control characters (``control_characters``) and no tab or line break (``invalid_text``).
    Format characters stay allowed: a right-to-left mark belongs in Hebrew text."""
    if not isinstance(value, str) or not min_len <= len(value) <= max_len:
        raise InvalidInput(
            f"{field} must be {min_len} to {max_len} characters",
            code=INVALID_TEXT,
            errors=[FieldError(field, f"must be {min_len} to {max_len} characters", INVALID_TEXT)],
        )
    clean_text(value, field)
    if any(ch in _LINE_BREAKS_AND_TABS for ch in value):
        raise InvalidInput(
            f"{field} must be one line of text (no tabs or line breaks)",
            code=INVALID_TEXT,
            errors=[FieldError(field, "contains a tab or line break", INVALID_TEXT)],
        )
    return value


ASCII_DIGITS = frozenset("0123456789")


def is_ascii_digits(value: str) -> bool:
    """``str.isdigit`` says yes to Arabic-Indic, Devanagari and fullwidth digits; codes do not."""
    return bool(value) and all(ch in ASCII_DIGITS for ch in value)
