"""Shapes shared by API routes: strict input models and cursor pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.kernel.text import control_characters_error, has_control_characters

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# The widest integer any column holds (BIGINT). Fields carry their own tighter bounds; this is
# the net under them, so an unbounded integer can never reach a driver and overflow there.
MAX_ABS_INT = 2**63 - 1
# Serial ids (ledger transactions, notifications, events) are INTEGER columns: 32-bit signed on
# PostgreSQL, which answers a larger parameter with an error, not with "not found".
MAX_SERIAL_ID = 2**31 - 1


class StrictInput(BaseModel):
    """Every request body: unknown fields are errors, strings are not coerced into numbers,
    no text carries control characters and no integer exceeds what a column can hold."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=10_000)

    @model_validator(mode="after")
    def _clean_values(self) -> StrictInput:
        bad = [name for name, value in self.__dict__.items() if _is_dirty(value)]
        if bad:
            raise control_characters_error(bad)
        return self


def _is_dirty(value: Any) -> bool:
    """True for text with control characters, or an out-of-range integer, at any depth.

    Nested StrictInput models validate themselves, so they are not walked twice.
    """
    if isinstance(value, str):
        return has_control_characters(value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        if abs(value) > MAX_ABS_INT:
            raise ValueError(f"integers are limited to ±{MAX_ABS_INT}")
        return False
    if isinstance(value, list | tuple | set | frozenset):
        return any(_is_dirty(item) for item in value)
    if isinstance(value, dict):
        return any(_is_dirty(k) or _is_dirty(v) for k, v in value.items())
    return False


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response carries them."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable, documented error code")
    request_id: str | None = None
    errors: list[dict[str, str]] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}}
    for status in (400, 401, 403, 404, 409, 413, 422, 429)
}


# Our ids are ``prefix_`` plus 26 base32 characters; a bounded, plain-ASCII path segment keeps NUL
# and megabyte ids away from the database (PostgreSQL refuses NUL: that would be a 500).
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]


# An operator's why, for the audit log (``audit.NO_REASON`` is recorded when none is sent).
ReasonField = Field(
    default=None, min_length=1, max_length=500, description="Why, for the audit log"
)
