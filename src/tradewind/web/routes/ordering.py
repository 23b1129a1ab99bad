"""Cart, checkout and orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tradewind.bootstrap import Container, send_intents
from tradewind.escrow import service as escrow
from tradewind.idempotency import service as idem
from tradewind.identity import service as identity
from tradewind.identity.addresses import ADDRESS_FIELDS
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import DomainError, FieldError, InvalidInput
from tradewind.ordering import cart as carts
from tradewind.ordering import checkout as checkouts
from tradewind.ordering import orders, ratings
from tradewind.ordering.checkout_plan import CheckoutPlan, CheckoutRequest, plan_checkout
from tradewind.ordering.checkout_write import CheckoutJob, Replayed
from tradewind.ordering.domain import LineRequest, OrderStatus
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.idempotency import (
    idempotency_key,
    key_header_openapi,
    replay,
    request_fingerprint,
)
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.risk_signals import checkout_events
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

router = APIRouter(prefix="/api/v1", tags=["ordering"], responses=PROBLEM_RESPONSES)


class CartLineOut(BaseModel):
    offer_id: str
    product_id: str
    title: str
    image_url: str | None = None
    seller_id: str
    seller_name: str
    ship_from_country: str
    quantity: int
    seller_unit_price_minor: int
    seller_currency: str
    unit_price_minor: int
    line_total_minor: int
    item_discount_minor: int = Field(
        default=0, description="what the shop's item discount takes off this line"
    )
    available: bool


class CartDiscountOut(BaseModel):
    seller_id: str
    promotion_id: str
    kind: str
    name: str
    amount_minor: int
    funder: str
    platform_minor: int
    seller_minor: int


class CartOut(BaseModel):
    currency: str
    lines: list[CartLineOut]
    total_minor: int = Field(description="the lines at their prices, before discounts")
    discounts: list[CartDiscountOut] = Field(description="what checkout will take off")
    discount_minor: int
    to_pay_minor: int = Field(description="total less discounts; postage and taxes at checkout")
    sellers: int


class CartLineIn(StrictInput):
    quantity: int = Field(ge=0, le=99, description="0 removes the line")


@router.get("/cart", response_model=CartOut)
def get_cart(
    principal: PrincipalDep,
    container: ContainerDep,
    coupon_codes: Annotated[list[str], Query(max_length=5)] = [],  # noqa: B006
) -> CartOut:
    """The cart with its promotions; `coupon_codes` shows what those coupons would take off."""
    with container.uow(read_only=True) as uow:
        return CartOut.model_validate(carts.view_cart(uow, principal, coupon_codes))


@router.put("/cart/lines/{offer_id}", response_model=CartOut)
def set_cart_line(
    offer_id: str, body: CartLineIn, principal: PrincipalDep, container: ContainerDep
) -> CartOut:
    """Set a line's quantity (idempotent by nature: PUT the same quantity twice, same cart)."""
    carts.set_line(container.uow, principal, offer_id, body.quantity)
    with container.uow(read_only=True) as uow:
        return CartOut.model_validate(carts.view_cart(uow, principal))


class ShipTo(StrictInput):
    """Checked per country when used (required fields, postcode, region, phone): a missing or
    invalid field is 422 `invalid_address` with one error per field (`ship_to.postal_code`)."""

    full_name: str = Field(default="", max_length=100)
    line1: str = Field(default="", max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100, description="state, province or region")
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(min_length=2, max_length=2)
    phone: str = Field(default="", max_length=32, description="stored in E.164")


class CheckoutLineIn(StrictInput):
    offer_id: str = Field(max_length=64)
    quantity: int = Field(ge=1, le=99)


class CheckoutIn(StrictInput):
    address_id: str | None = Field(default=None, max_length=64)
    ship_to: ShipTo | None = None
    lines: list[CheckoutLineIn] | None = Field(
        default=None, min_length=1, max_length=50, description="Buy these now; omit to buy the cart"
    )
    shipping: dict[str, str] = Field(
        default_factory=dict, max_length=20, description="seller id -> shipping service code"
    )
    coupon_codes: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list,
        max_length=5,
        description="store and platform coupon codes; one that applies to nothing is refused "
        "(404 coupon_not_found, 422 coupon_not_applicable, 409 coupon_exhausted, "
        "409 coupon_limit_reached)",
    )


class ImportTaxesOut(BaseModel):
    """When this order's duty and VAT are paid, from the same quote every page shows."""

    collected_now_minor: int = Field(description="duty + VAT in total_minor (DDP, IOSS)")
    due_on_delivery_minor: int = Field(
        description="estimate paid to the carrier on delivery (DAP); not in total_minor"
    )
    paid: str = Field(description="at_checkout, on_delivery, none, no_customs or not_quoted")
    duty_terms: str | None
    regime: str | None = Field(description="low-value regime that collects at checkout (IOSS)")
    rule_id: str | None
    reasons: list[str] = Field(description="the basis of each tax figure, in words")


class DiscountLineOut(BaseModel):
    """One promotion's discount on an order, in the order's currency, and who funds it."""

    promotion_id: str
    kind: str = Field(description="item_discount, store_promotion, store_coupon, platform_coupon")
    name: str
    amount_minor: int
    funder: str = Field(description="seller or platform (co-funded: seller)")
    platform_minor: int = Field(description="what the platform pays the seller for it")
    seller_minor: int = Field(description="what the seller gives up")


class OrderSummary(BaseModel):
    id: str
    seller_id: str
    status: str
    currency: str
    items_minor: int
    shipping_minor: int
    duty_minor: int
    vat_minor: int
    discount_minor: int = Field(default=0, description="promotions off items_minor")
    total_minor: int = Field(description="items - discounts + shipping + taxes collected")
    seller_currency: str
    seller_items_minor: int
    seller_shipping_minor: int
    shipping_service: str
    discounts: list[DiscountLineOut] = Field(
        default_factory=list, description="in the order they applied (decision 45)"
    )
    import_taxes: ImportTaxesOut
    landed_cost: dict[str, Any] | None = Field(
        default=None,
        description="Duty/VAT quote with the rule behind each figure; "
        "is_estimate=true means the buyer pays it on delivery (DAP)",
    )


class CheckoutOut(BaseModel):
    id: str
    status: str
    currency: str
    total_minor: int = Field(description="to pay now: items, postage and taxes collected")
    due_on_delivery_minor: int = Field(description="import taxes the buyer pays on delivery")
    payment_due_at: datetime
    created_at: datetime
    orders: list[OrderSummary]


@router.post(
    "/checkouts",
    response_model=CheckoutOut,
    status_code=201,
    openapi_extra=key_header_openapi(required=True),
)
async def place_checkout(
    body: CheckoutIn, request: Request, principal: PrincipalDep, container: ContainerDep
) -> Response:
    """One payment for the cart (or `lines`), split into one order per seller; stock is held
    until payment or the payment timeout. Requires an Idempotency-Key.

    Priced first (reads only), then written together with other checkouts in one transaction
    by this process's checkout writer; the answer comes after the commit."""
    key = idempotency_key(request, required=True)
    assert key is not None
    claim = idem.Claim(principal.account_id, key, request_fingerprint(request, body))
    planned = await run_in_threadpool(_plan_checkout, container, principal, body, claim)
    if isinstance(planned, idem.StoredResult):
        return replay(planned)
    answer = JSONResponse(
        jsonable_encoder(CheckoutOut.model_validate(planned.result)), status_code=201
    )
    signals = checkout_events(planned, request, container)
    settled = await container.checkouts.place(
        CheckoutJob(planned, claim, idem.StoredResult(201, bytes(answer.body)), signals)
    )
    return replay(settled.stored) if isinstance(settled, Replayed) else answer


def _plan_checkout(
    container: Container, principal: Principal, body: CheckoutIn, claim: idem.Claim
) -> CheckoutPlan | idem.StoredResult:
    with container.uow(read_only=True) as uow:
        try:
            lines = (
                None
                if body.lines is None
                else [LineRequest(x.offer_id, x.quantity) for x in body.lines]
            )
            return plan_checkout(
                uow,
                principal,
                CheckoutRequest(
                    ship_to=_ship_to(uow, principal, body),
                    lines=lines,
                    shipping=body.shipping,
                    coupon_codes=tuple(body.coupon_codes),
                ),
                payment_timeout_s=container.settings.payment_timeout_s,
            )
        except DomainError:
            # A retry of a checkout that went through answers as the first time, even if
            # planning it again would now fail (its cart is empty, its offer sold out).
            stored = idem.find(uow, claim)
            if stored is None:
                raise
            return stored


def _ship_to(uow: Any, principal: Any, body: CheckoutIn) -> dict[str, str]:
    if (body.address_id is None) == (body.ship_to is None):
        raise InvalidInput(
            "give exactly one of address_id and ship_to",
            errors=[FieldError("address_id", "exactly one of address_id, ship_to")],
        )
    if body.ship_to is not None:
        return body.ship_to.model_dump()  # checked by plan_checkout
    address = identity.get_address(uow, principal, body.address_id or "")
    return {k: address[k] for k in ADDRESS_FIELDS}


@router.get("/checkouts/{checkout_id}", response_model=CheckoutOut)
def get_checkout(checkout_id: str, principal: PrincipalDep, container: ContainerDep) -> CheckoutOut:
    with container.uow(read_only=True) as uow:
        return CheckoutOut.model_validate(checkouts.get_checkout(uow, principal, checkout_id))


@router.post("/checkouts/{checkout_id}/cancel", response_model=CheckoutOut)
def cancel_checkout(
    checkout_id: str, principal: PrincipalDep, container: ContainerDep
) -> CheckoutOut:
    """The buyer gives up a checkout awaiting payment: its orders are cancelled, the stock goes
    back at once and the lines go back into the cart. Idempotent: a second cancel answers the
    cancelled checkout again; a paid or expired one is 409 `checkout_not_cancellable`."""
    found = checkouts.cancel_checkout(container.uow, principal, checkout_id)
    return CheckoutOut.model_validate(found)


class OrderLineOut(BaseModel):
    offer_id: str
    product_id: str
    title: str
    quantity: int
    unit_price_minor: int
    line_total_minor: int
    seller_unit_price_minor: int
    hs_code: str
    origin_country: str


class OrderOut(OrderSummary):
    checkout_id: str
    buyer_id: str
    fx: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


class OrderDetail(OrderOut):
    lines: list[OrderLineOut]
    ship_to: dict[str, Any]


class OrderEventOut(BaseModel):
    event: str
    from_status: str | None
    to_status: str
    actor_id: str | None
    note: str
    at: datetime


def _order_out(row: dict[str, Any]) -> OrderOut:
    return OrderOut.model_validate({k: row[k] for k in OrderOut.model_fields if k in row})


@router.get("/orders", response_model=Page[OrderOut])
def list_orders(
    principal: PrincipalDep,
    container: ContainerDep,
    paging: Annotated[PageParams, Depends(page_params)],
    status: Annotated[OrderStatus | None, Query()] = None,
) -> Page[OrderOut]:
    """Buyers see their orders, sellers their shop's, operators all."""
    with container.uow(read_only=True) as uow:
        rows = orders.list_orders(
            uow,
            principal,
            status=status.value if status else None,
            limit=paging.limit,
            after=paging.after,
        )
    return Page[OrderOut](
        items=[_order_out(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/orders/{order_id}", response_model=OrderDetail)
def get_order(order_id: str, principal: PrincipalDep, container: ContainerDep) -> OrderDetail:
    with container.uow(read_only=True) as uow:
        row = orders.get_order(uow, principal, order_id)
    return OrderDetail.model_validate({k: row[k] for k in OrderDetail.model_fields})


@router.get("/orders/{order_id}/events", response_model=list[OrderEventOut])
def order_events(
    order_id: str, principal: PrincipalDep, container: ContainerDep
) -> list[OrderEventOut]:
    with container.uow(read_only=True) as uow:
        rows = orders.order_history(uow, principal, order_id)
    return [OrderEventOut.model_validate(r) for r in rows]


class CancelIn(StrictInput):
    reason: str = Field(default="", max_length=500)


class OrderTransitionOut(BaseModel):
    id: str
    status: str


@router.post("/orders/{order_id}/cancel", response_model=OrderTransitionOut)
def cancel_order(
    order_id: str, body: CancelIn, principal: PrincipalDep, container: ContainerDep
) -> OrderTransitionOut:
    """The buyer cancels an unpaid order, or the seller accepts cancelling an unshipped one
    (which refunds the buyer from escrow in full)."""
    status = escrow.cancel_order(
        container.uow, container.payments, principal, order_id, body.reason
    )
    send_intents(container, limit=20)  # a refund goes out now, after the commit
    return OrderTransitionOut(id=order_id, status=status.value)


class RatingIn(StrictInput):
    stars: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class RatingOut(BaseModel):
    order_id: str
    seller_id: str
    stars: int
    comment: str
    created_at: datetime


@router.post("/orders/{order_id}/rating", response_model=RatingOut, status_code=201)
def rate_seller(
    order_id: str, body: RatingIn, principal: PrincipalDep, container: ContainerDep
) -> RatingOut:
    """After completion the buyer rates the seller once (1-5 stars)."""
    row = ratings.rate_seller(container.uow, principal, order_id, body.stars, body.comment)
    return RatingOut.model_validate(row)
