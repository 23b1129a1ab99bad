"""Cursor pagination: ``?limit=N&after=<id>``; ids are time-ordered, so pages follow creation."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from tradewind.web.schemas import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        """``Page[OfferOut]`` is the class ``OfferPage``, and so is its schema in /openapi.json
        (Pydantic's default, ``Page[OfferOut]``, becomes ``Page_OfferOut_`` there)."""
        (item,) = params
        return f"{getattr(item, '__name__', str(item)).removesuffix('Out')}Page"


class PageParams(BaseModel):
    limit: int
    after: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    after: Annotated[
        str | None, Query(max_length=64, description="next_cursor of the previous page")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after=after)
