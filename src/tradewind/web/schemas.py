"""Shapes shared by API routes: strict input models and cursor pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class StrictInput(BaseModel):
    """Every request body: unknown fields are errors, strings are not coerced into numbers."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=10_000)


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
