"""Text and id types for request fields: no control characters, ids of a fixed alphabet.

A NUL reaches PostgreSQL as an error (a 500), and other control characters (or a lone UTF-16
surrogate) make logs, CSV exports and pages lie. ``OneLine`` refuses every control character,
``MultiLine`` allows tab and newline; both answer 422 ``validation_failed`` with the field code
``control_characters``. ``IdPath`` and ``IdQuery`` take only ``[A-Za-z0-9_-]{1,64}``.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_MULTILINE_OK = frozenset("\t\n\r")


def _check(value: str, allowed: frozenset[str]) -> str:
    for char in value:
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cs"):
            raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def one_line(value: str) -> str:
    return _check(value, frozenset())


def multi_line(value: str) -> str:
    return _check(value, _MULTILINE_OK)


OneLine = Annotated[str, AfterValidator(one_line)]
MultiLine = Annotated[str, AfterValidator(multi_line)]
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
IdQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=ID_PATTERN)]
