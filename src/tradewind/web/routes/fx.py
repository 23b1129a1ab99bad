"""FX rates set by operators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, Field

from tradewind.identity.domain import Permission, require_permission
from tradewind.money import service as fx
from tradewind.money.fx import MAX_RATE, MAX_RATE_TEXT_LEN, MAX_SOURCE_LEN, MAX_SPREAD_BPS, MIN_RATE
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.schemas import PROBLEM_RESPONSES, ReasonField, StrictInput

router = APIRouter(prefix="/api/v1/fx-rates", tags=["money"], responses=PROBLEM_RESPONSES)


class FxIn(StrictInput):
    base: str = Field(min_length=3, max_length=3)
    quote: str = Field(min_length=3, max_length=3)
    rate: str = Field(
        max_length=MAX_RATE_TEXT_LEN,
        description=f"Decimal string: quote units per 1 base unit, {MIN_RATE:f} to {MAX_RATE:f}",
    )
    spread_bps: int = Field(default=0, ge=0, le=MAX_SPREAD_BPS)
    source: str = Field(default="operator", max_length=MAX_SOURCE_LEN)
    valid_from: AwareDatetime | None = Field(
        default=None, strict=False, description="default now; from a day before now to a year ahead"
    )
    reason: str | None = ReasonField


class FxOut(BaseModel):
    id: str
    base: str
    quote: str
    rate: str
    spread_bps: int
    source: str
    valid_from: datetime
    created_at: datetime


@router.post("", response_model=FxOut, status_code=201)
def set_rate(body: FxIn, principal: PrincipalDep, container: ContainerDep) -> FxOut:
    """Operators publish a rate; it applies from `valid_from` (default: now) to new orders."""
    require_permission(principal, Permission.FX)
    with container.uow() as uow:
        row = fx.record_quote(
            uow,
            principal.account_id,
            base=body.base,
            quote=body.quote,
            rate=body.rate,
            spread_bps=body.spread_bps,
            source=body.source,
            valid_from=body.valid_from,
            reason=body.reason,
        )
        uow.commit()
    return FxOut.model_validate(row)


@router.get("", response_model=Page[FxOut])
def list_rates(
    container: ContainerDep, paging: Annotated[PageParams, Depends(page_params)]
) -> Page[FxOut]:
    with container.uow(read_only=True) as uow:
        rows = fx.list_quotes(uow, limit=paging.limit, after=paging.after)
    return Page[FxOut](
        items=[FxOut.model_validate(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )
