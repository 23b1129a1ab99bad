"""The buyer's cart, checkout (one payment, one order per seller) and paying it.

Paying happens on the payment processor's hosted page: this site only redirects there and
shows the result when the processor sends the buyer back to ``/checkouts/{id}``. The result
arrives by webhook, a moment later, so that page polls its status fragment until it is final.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from tradewind.catalog import reads as catalog_reads
from tradewind.db.uow import UnitOfWork
from tradewind.flash import service as flash
from tradewind.identity import service as identity
from tradewind.identity.addresses import ADDRESS_FIELDS
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.errors import DomainError, NotFound
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.shipping import SERVICES
from tradewind.ordering import cart as carts
from tradewind.ordering import checkout as checkouts
from tradewind.ordering.domain import MAX_LINE_QUANTITY
from tradewind.payments import service as payments
from tradewind.promotions import service as promotions
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.account import COUNTRIES
from tradewind.web.pages.address_book import default_address_id
from tradewind.web.pages.common import field_text, need, page, problem_text, render, see_other
from tradewind.web.pages.offers_view import cart_groups

router = APIRouter(include_in_schema=False)

# The coupon field's text travels from the cart to the checkout as the ``coupons`` query (and
# then form) parameter: a preview changes nothing, so it needs no stored state, and the code
# stays visible and editable in the field on both pages.
COUPON_PROBLEMS = frozenset(
    {
        ProblemCode.COUPON_NOT_FOUND,
        ProblemCode.COUPON_NOT_APPLICABLE,
        ProblemCode.COUPON_EXHAUSTED,
        ProblemCode.COUPON_LIMIT_REACHED,
    }
)
CouponsQuery = Annotated[str, Query(max_length=200)]


def coupon_codes(text: str) -> tuple[str, ...]:
    """The codes typed in the coupon field: separated by spaces or commas, each once."""
    return tuple(dict.fromkeys(c for c in re.split(r"[\s,]+", text.strip().upper()) if c))


def _priced_cart(
    uow: UnitOfWork, buyer: Principal, coupons: str
) -> tuple[dict[str, Any], DomainError | None]:
    """The cart with the typed coupons; a refused code: the cart without them, and why."""
    try:
        return carts.view_cart(uow, buyer, coupon_codes(coupons)), None
    except DomainError as exc:
        if exc.code not in COUPON_PROBLEMS:
            raise
        return carts.view_cart(uow, buyer), exc


def with_discounts(
    groups: Sequence[dict[str, Any]], discounts: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each seller's group with the discount lines checkout will put on its order."""
    for group in groups:
        group["discounts"] = [d for d in discounts if d["seller_id"] == group["seller_id"]]
        group["discount_minor"] = sum(d["amount_minor"] for d in group["discounts"])
    return list(groups)


@router.get("/cart")
@page
def cart_page(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    coupons: CouponsQuery = "",
) -> Response:
    buyer = need(principal, Role.BUYER)
    with container.uow(read_only=True) as uow:
        cart, refused = _priced_cart(uow, buyer, coupons)
        groups = cart_groups(uow, cart, country=buyer.country, at=uow.clock.now())
    return render(
        request,
        "cart.html",
        {
            "principal": buyer,
            "cart": cart,
            "groups": with_discounts(groups, cart["discounts"]),
            "coupons": coupons.strip(),
            "coupon_errors": {"coupons": problem_text(refused)} if refused else {},
            "checkout_url": "/checkout"
            + (f"?{urlencode({'coupons': coupons.strip()})}" if coupons.strip() else ""),
        },
        status_code=422 if refused else 200,
    )


@router.post("/cart/add")
@page
def add_to_cart(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    offer_id: Annotated[str, Form(max_length=64)],
    quantity: Annotated[int, Form(ge=1, le=MAX_LINE_QUANTITY)] = 1,
) -> Response:
    """Adds to what is already in the cart (the API's PUT sets an absolute quantity)."""
    carts.add_units(container.uow, need(principal, Role.BUYER), offer_id, quantity)
    return see_other("/cart", "cart")


@router.post("/cart/lines/{offer_id}")
@page
def set_cart_line(
    offer_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    quantity: Annotated[int, Form(ge=0, le=MAX_LINE_QUANTITY)],
) -> Response:
    carts.set_line(container.uow, need(principal, Role.BUYER), offer_id, quantity)
    return see_other("/cart", "cart")


def _checkout_page(
    request: Request,
    container: ContainerDep,
    buyer: Principal,
    entered: tuple[dict[str, Any] | None, str, str] = (None, "", ""),
    error: DomainError | None = None,
) -> Response:
    """The checkout form; after a refusal, with what the buyer typed and each field's error.
    ``entered``: the typed address, the chosen saved address and the coupon field's text."""
    address, chosen_address_id, coupons = entered
    refused = error if error is not None and error.code in COUPON_PROBLEMS else None
    with container.uow(read_only=True) as uow:
        cart, refused_now = _priced_cart(uow, buyer, "" if refused else coupons)
        refused = refused or refused_now
        groups = cart_groups(uow, cart, country=buyer.country, at=uow.clock.now())
        saved = identity.list_addresses(uow, buyer)
        offered = promotions.claimable(uow, buyer, carts.cart_sellers(uow, buyer), uow.clock.now())
    if address is None:
        address = {"country": buyer.country, "full_name": buyer.display_name}
    field_errors = {
        e.field.removeprefix("ship_to."): field_text(e)
        for e in (error.errors if error and not refused else ())
    }
    if refused:
        field_errors["coupons"] = problem_text(refused)
    return render(
        request,
        "checkout.html",
        {
            "principal": buyer,
            "cart": cart,
            "groups": with_discounts(groups, cart["discounts"]),
            "address": address,
            "saved": saved,
            "chosen_address_id": chosen_address_id or default_address_id(saved),
            "countries": COUNTRIES,
            "error": error if error is not None and not refused else None,
            "field_errors": field_errors,
            "coupons": coupons.strip(),
            "claimable": [p for p in offered if p["code"]],
        },
        status_code=200 if error is None and refused is None else 422,
    )


@router.get("/checkout")
@page
def checkout_form(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    coupons: CouponsQuery = "",
) -> Response:
    return _checkout_page(request, container, need(principal, Role.BUYER), (None, "", coupons))


@router.post("/checkout")
@page
def place_checkout(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    country: Annotated[str, Form(max_length=2)] = "",
    full_name: Annotated[str, Form(max_length=100)] = "",
    line1: Annotated[str, Form(max_length=200)] = "",
    city: Annotated[str, Form(max_length=100)] = "",
    line2: Annotated[str, Form(max_length=200)] = "",
    region: Annotated[str, Form(max_length=100)] = "",
    postal_code: Annotated[str, Form(max_length=20)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    address_id: Annotated[str, Form(max_length=64)] = "",
    shipping: Annotated[list[str] | None, Form(max_length=20)] = None,
    coupons: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """``shipping`` holds one ``seller_id:service_code`` per seller (one select each); a
    saved ``address_id`` wins over the typed address. The address is checked per country by
    the checkout (identity.addresses): a refusal shows the form again, input kept. A refused
    coupon code shows the form again too, with the reason beside the coupon field."""
    buyer = need(principal, Role.BUYER)
    typed = dict(
        zip(
            ADDRESS_FIELDS,
            (full_name, line1, line2, city, region, postal_code, country, phone),
            strict=True,
        )
    )
    choices = dict(choice.split(":", 1) for choice in shipping or [] if ":" in choice)
    try:
        with container.uow() as uow:
            ship_to = (
                {k: identity.get_address(uow, buyer, address_id)[k] for k in ADDRESS_FIELDS}
                if address_id
                else typed
            )
            placed = checkouts.place_checkout(
                uow,
                buyer,
                checkouts.CheckoutRequest(
                    ship_to=ship_to,
                    shipping={s: c for s, c in choices.items() if c in SERVICES},
                    coupon_codes=coupon_codes(coupons),
                ),
                payment_timeout_s=container.settings.payment_timeout_s,
            )
            uow.commit()
    except DomainError as exc:
        return _checkout_page(request, container, buyer, (typed, address_id, coupons), exc)
    return see_other(f"/checkouts/{placed['id']}")


def _checkout_view(container: ContainerDep, buyer: Principal, checkout_id: str) -> dict[str, Any]:
    with container.uow(read_only=True) as uow:
        found = checkouts.get_checkout(uow, buyer, checkout_id)
        try:
            payment: dict[str, Any] | None = payments.payment_for_checkout(uow, buyer, checkout_id)
        except NotFound:
            payment = None
        names = catalog_reads.seller_names(uow, [o["seller_id"] for o in found["orders"]])
        claim = flash.claim_of_checkout(uow, buyer.account_id, checkout_id)
        left_s = int((found["payment_due_at"] - uow.clock.now()).total_seconds())
    found["pay_within_s"] = max(0, left_s)  # the hold's countdown, by the server's clock
    for order in found["orders"]:
        order["seller_name"] = names.get(order["seller_id"], "")
        service = SERVICES.get(order["shipping_service"])
        order["service_name"] = service.name if service else order["shipping_service"]
    return {"principal": buyer, "checkout": found, "payment": payment, "flash_claim": claim}


@router.get("/checkouts/{checkout_id}")
@page
def checkout_page(
    checkout_id: str, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    buyer = need(principal)
    return render(request, "checkout_result.html", _checkout_view(container, buyer, checkout_id))


@router.get("/checkouts/{checkout_id}/status")
@page
def checkout_status(
    checkout_id: str, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """The status fragment htmx polls while the processor's webhook is on its way."""
    buyer = need(principal)
    return render(request, "_checkout_live.html", _checkout_view(container, buyer, checkout_id))


@router.post("/checkouts/{checkout_id}/cancel")
@page
def cancel(
    checkout_id: str, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """Give the checkout up before paying: stock back at once, the lines back in the cart.

    A flash-sale claim's checkout is different (decision 55): its units go back to the sale
    (and its waitlist), never into the cart, where they would turn silently into a line at
    the offer's normal price; the buyer is taken back to the product page, told so."""
    buyer = need(principal, Role.BUYER)
    with container.uow(read_only=True) as uow:
        claim = flash.claim_of_checkout(uow, buyer.account_id, checkout_id)
    checkouts.cancel_checkout(container.uow, buyer, checkout_id)
    if claim is not None:
        return see_other(f"/products/{claim['product_id']}", "claim_cancelled")
    return see_other("/cart", "checkout_cancelled")


@router.post("/checkouts/{checkout_id}/pay")
@page
def pay(
    checkout_id: str, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    buyer = need(principal, Role.BUYER)
    with container.uow() as uow:
        payment = payments.start_payment(
            uow, buyer, container.payments, checkout_id, return_url=f"/checkouts/{checkout_id}"
        )
        uow.commit()
    return see_other(str(payment["redirect_url"]))
