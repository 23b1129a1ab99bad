"""Promotions: sellers' discounts and coupons, operators' platform coupons, buyers' coupons."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, Field

from tradewind.ordering import cart as carts
from tradewind.promotions import service as promotions
from tradewind.promotions.domain import (
    MAX_CODE_LEN,
    MAX_NAME_LEN,
    MAX_OFFERS_PER_DISCOUNT,
    MAX_TIERS,
)
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

router = APIRouter(prefix="/api/v1", tags=["promotions"], responses=PROBLEM_RESPONSES)


class PromotionIn(StrictInput):
    """Sellers: `item_discount`, `store_promotion`, `store_coupon`, `free_shipping`, in the
    shop's currency. Operators: `platform_coupon`, in `currency` (the carts it applies to).
    Every problem is one field error under 422 `invalid_promotion`."""

    kind: str = Field(max_length=24)
    name: str = Field(max_length=MAX_NAME_LEN)
    starts_at: AwareDatetime = Field(strict=False)
    ends_at: AwareDatetime = Field(strict=False)
    percent_bps: int | None = Field(default=None, description="1..10000 (100 = 1%)")
    amount_minor: int | None = Field(default=None, description="off per unit or per order")
    tiers: list[Annotated[list[int], Field(min_length=2, max_length=2)]] = Field(
        default_factory=list,
        max_length=MAX_TIERS,
        description="store promotion: [threshold_minor, off_minor] pairs; the highest met wins",
    )
    repeat: bool = Field(default=False, description="store promotion: off for every threshold")
    min_spend_minor: int = Field(default=0, ge=0, le=10**15)
    offer_ids: list[str] = Field(default_factory=list, max_length=MAX_OFFERS_PER_DISCOUNT)
    code: str | None = Field(default=None, max_length=MAX_CODE_LEN)
    claimable: bool = False
    total_quantity: int | None = None
    per_buyer_limit: int | None = Field(default=None, description="coupons: default 1")
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    reason: str | None = Field(
        default=None, max_length=500, description="operators: why, for the audit log"
    )


class EndIn(StrictInput):
    reason: str | None = Field(
        default=None, max_length=500, description="operators: why, for the audit log"
    )


class PromotionOut(BaseModel):
    id: str
    status: str = Field(description="scheduled, active or ended")
    uses_left: int | None = Field(description="total_quantity less used_count; null: no limit")
    kind: str
    name: str
    seller_id: str | None
    currency: str
    percent_bps: int | None
    amount_minor: int | None
    tiers: list[list[int]]
    repeat: bool
    min_spend_minor: int
    offer_ids: list[str]
    code: str | None
    claimable: bool
    total_quantity: int | None
    per_buyer_limit: int | None
    used_count: int
    starts_at: datetime
    ends_at: datetime
    orders: int = Field(description="order discount lines it gave")
    discount_minor: int = Field(description="off buyers' orders, in order currencies")
    seller_cost_minor: int
    platform_cost_minor: int = Field(description="the platform's spend on it")


class CofundIn(StrictInput):
    cofund_bps: int = Field(ge=0, le=10_000, description="share of its orders' part it funds")


class CofundOut(BaseModel):
    promotion_id: str
    seller_id: str
    cofund_bps: int


@router.post("/promotions", response_model=PromotionOut, status_code=201)
def create_promotion(
    body: PromotionIn, principal: PrincipalDep, container: ContainerDep
) -> PromotionOut:
    spec = promotions.PromotionSpec(
        **body.model_dump(exclude={"tiers", "offer_ids", "reason"}),
        tiers=tuple((t[0], t[1]) for t in body.tiers),
        offer_ids=tuple(body.offer_ids),
    )
    return PromotionOut.model_validate(
        promotions.create_promotion(container.uow, principal, spec, body.reason)
    )


@router.post("/promotions/{promotion_id}/end", response_model=PromotionOut)
def end_promotion(
    promotion_id: Annotated[str, Path(max_length=40)],
    principal: PrincipalDep,
    container: ContainerDep,
    body: EndIn | None = None,
) -> PromotionOut:
    """End a promotion now (sellers: their own; operators: platform coupons, audited)."""
    reason = body.reason if body else None
    return PromotionOut.model_validate(
        promotions.end_promotion(container.uow, principal, promotion_id, reason)
    )


@router.get("/promotions", response_model=list[PromotionOut])
def list_promotions(principal: PrincipalDep, container: ContainerDep) -> list[PromotionOut]:
    """A seller's promotions, or (operators) the platform coupons, with what each cost."""
    return [
        PromotionOut.model_validate(p) for p in promotions.list_promotions(container.uow, principal)
    ]


@router.post("/promotions/{promotion_id}/cofunding", response_model=CofundOut, status_code=201)
def opt_in(
    promotion_id: str, body: CofundIn, principal: PrincipalDep, container: ContainerDep
) -> CofundOut:
    """A seller opts in to co-fund a platform coupon (first answer kept)."""
    return CofundOut.model_validate(
        promotions.opt_in(container.uow, principal, promotion_id, body.cofund_bps)
    )


@router.get("/cart/coupons", response_model=list[PromotionOut])
def claimable_coupons(principal: PrincipalDep, container: ContainerDep) -> list[PromotionOut]:
    """Coupons the buyer can apply to this cart: claimable store coupons of its shops and
    claimable platform coupons in the buyer's currency, not used up and not used by them."""
    with container.uow(read_only=True) as uow:
        sellers = carts.cart_sellers(uow, principal)
        found = promotions.claimable(uow, principal, sellers, uow.clock.now())
    return [PromotionOut.model_validate(p) for p in found]
