"""One order page for everybody who may see it, with the actions their role allows.

The buyer confirms receipt or opens a dispute; the seller ships (with an S10 number of its
own or one the post issues) and sees the customs declaration; operators read. Visibility is the
services' ``ensure_visible``: another seller's order is a 404, never a 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradewind.catalog import reads as catalog_reads
from tradewind.escrow import disputes
from tradewind.escrow import service as escrow
from tradewind.escrow.domain import DisputeReason
from tradewind.fulfilment import service as fulfilment
from tradewind.fulfilment import tracking
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.errors import Conflict, InvalidInput, NotFound
from tradewind.logistics.shipping import SERVICES
from tradewind.ordering import orders, ratings
from tradewind.ordering.domain import OrderStatus
from tradewind.payments import service as payments
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import (
    PAGE_SIZE,
    Redirect,
    need,
    page,
    problem_text,
    render,
    see_other,
)
from tradewind.web.problems import status_for
from tradewind.web.schemas import IdPath

router = APIRouter(include_in_schema=False)


@router.get("/orders")
@page
def order_list(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    after: str | None = None,
) -> Response:
    viewer = need(principal)
    if viewer.role is Role.SELLER:
        raise Redirect("/seller/orders")
    with container.uow(read_only=True) as uow:
        rows = orders.list_orders(uow, viewer, status=None, limit=PAGE_SIZE, after=after)
        names = catalog_reads.seller_names(uow, list({r["seller_id"] for r in rows}))
    for row in rows:
        row["seller_name"] = names.get(row["seller_id"], "")
    return render(
        request,
        "orders.html",
        {
            "principal": viewer,
            "orders": rows,
            "next_after": rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
        },
    )


def _declaration(order: dict[str, Any]) -> dict[str, Any]:
    """The CN22/CN23 data shipping will record, shown to the seller before it ships."""
    return {
        "currency": order["currency"],
        "items": [
            {
                "description": line["title"][:100],
                "quantity": line["quantity"],
                "value_minor": line["line_total_minor"],
                "hs_code": line["hs_code"],
                "origin_country": line["origin_country"],
            }
            for line in order["lines"]
        ],
        "total_value_minor": order["items_minor"],
    }


def _render_order(
    request: Request,
    container: ContainerDep,
    viewer: Principal,
    order_id: str,
    ship_error: str | None = None,
    ship_status: int = 422,
    ship_number: str = "",
) -> Response:
    with container.uow(read_only=True) as uow:
        order = orders.get_order(uow, viewer, order_id)
        history = orders.order_history(uow, viewer, order_id)
        try:
            shipment: dict[str, Any] | None = fulfilment.shipment_for_order(uow, viewer, order_id)
        except NotFound:
            shipment = None
        timeline = tracking.shipment_timeline(uow, shipment["id"]) if shipment else []
        try:
            terms: dict[str, Any] | None = escrow.protection_terms(uow, order_id)
        except NotFound:  # not shipped yet
            terms = None
        dispute_id = disputes.dispute_for_order(uow, order_id)
        rated = ratings.stars_for_order(uow, order_id)
        refunded_minor = payments.refunds_of_order(uow, order_id).total_minor
        seller_name = catalog_reads.seller_names(uow, [order["seller_id"]]).get(
            order["seller_id"], ""
        )
    service = SERVICES.get(order["shipping_service"])
    return render(
        request,
        "order.html",
        {
            "principal": viewer,
            "order": order,
            "history": history,
            "shipment": shipment,
            "timeline": timeline,
            "terms": terms,
            "dispute_id": dispute_id,
            "rated": rated,
            "refunded_minor": refunded_minor,
            "seller_name": seller_name,
            "service_name": service.name if service else order["shipping_service"],
            "declaration": shipment["declaration"] if shipment else _declaration(order),
            "is_buyer": viewer.account_id == order["buyer_id"],
            "is_seller": viewer.account_id == order["seller_account_id"],
            "reasons": list(DisputeReason),
            "S": OrderStatus,
            "ship_error": ship_error,
            "ship_number": ship_number,
        },
        status_code=ship_status if ship_error else 200,
    )


@router.get("/orders/{order_id}")
@page
def order_page(
    order_id: str, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    return _render_order(request, container, need(principal), order_id)


@router.post("/orders/{order_id}/confirm")
@page
def confirm_receipt(
    order_id: str, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    escrow.confirm_receipt(container.uow, container.policy, need(principal), order_id)
    return see_other(f"/orders/{order_id}", "confirmed")


@router.post("/orders/{order_id}/extend")
@page
def extend_protection(
    order_id: str, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    escrow.extend_protection(container.uow, container.policy, need(principal), order_id)
    return see_other(f"/orders/{order_id}", "extended")


@router.post("/orders/{order_id}/rate")
@page
def rate(
    order_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    stars: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ratings.rate_seller(container.uow, need(principal, Role.BUYER), order_id, stars, comment)
    return see_other(f"/orders/{order_id}", "rated")


@router.post("/orders/{order_id}/dispute")
@page
def open_dispute(
    order_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    reason: Annotated[DisputeReason, Form()],
    message: Annotated[str, Form(min_length=1, max_length=disputes.MAX_MESSAGE_LEN)],
) -> Response:
    buyer = need(principal, Role.BUYER)
    with container.uow() as uow:
        opened = disputes.open_dispute(uow, container.policy, buyer, order_id, reason, message)
        uow.commit()
    return see_other(f"/disputes/{opened['id']}", "dispute")


@router.post("/orders/{order_id}/ship")
@page
def ship(
    order_id: IdPath,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    tracking_number: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """An empty tracking number asks the simulated origin post to issue one."""
    seller = need(principal, Role.SELLER)
    try:
        with container.uow() as uow:
            fulfilment.ship_order(
                uow,
                container.policy,
                seller,
                order_id,
                tracking_number.strip() or None,  # parse_s10 normalizes (and upper-cases)
                carrier=container.carrier,
            )
            uow.commit()
    except (InvalidInput, Conflict) as exc:  # the form again, with the error in words
        return _render_order(
            request,
            container,
            seller,
            order_id,
            ship_error=problem_text(exc),
            ship_status=status_for(exc),
            ship_number=tracking_number,
        )
    return see_other(f"/orders/{order_id}", "shipped")
