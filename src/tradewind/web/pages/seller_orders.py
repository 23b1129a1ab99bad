"""The seller center's orders: one row per order with the buyer's country, the items and the
service; bulk shipping; the label and CN23 declaration of each parcel as a PDF.

Times show in the viewer's own time zone (the ``when`` filter), which for a seller is the
seller's zone. Shipping many orders runs one transaction per order (``fulfilment.ship_order``,
the same use case as the order page), so one order that cannot ship (already shipped, cancelled
meanwhile) is reported by id and the others still ship.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradewind.catalog import service as catalog
from tradewind.escrow import statement as escrow_statement
from tradewind.fulfilment import documents
from tradewind.fulfilment import service as fulfilment
from tradewind.identity.domain import Principal, Role
from tradewind.kernel import i18n
from tradewind.kernel.errors import Conflict, DomainError, InvalidInput, NotFound
from tradewind.kernel.i18n import _
from tradewind.logistics.shipping import SERVICES
from tradewind.money.amount import Money
from tradewind.ordering import orders
from tradewind.ordering.domain import OrderStatus
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import PAGE_SIZE, need, page, problem_text, render
from tradewind.web.pages.seller_listings import active_shop
from tradewind.web.problems import status_for
from tradewind.web.schemas import IdPath

router = APIRouter(prefix="/seller", include_in_schema=False)
MAX_BULK_SHIP = PAGE_SIZE  # the orders one page shows


def orders_page(
    request: Request,
    container: ContainerDep,
    seller: Principal,
    status: str | None,
    after: str | None = None,
    **extra: Any,
) -> Response:
    with container.uow(read_only=True) as uow:
        active_shop(uow, seller)
        rows = orders.list_orders(uow, seller, status=status, limit=PAGE_SIZE, after=after)
        rows = orders.with_lines_and_destination(uow, rows)
    return render(
        request,
        "seller/orders.html",
        {
            "principal": seller,
            "orders": rows,
            "status": status or "",
            "statuses": list(OrderStatus),
            "services": SERVICES,
            "shipped": [],
            "ship_errors": {},
            "next_after": rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
            **extra,
        },
        status_code=422 if extra.get("ship_errors") and not extra.get("shipped") else 200,
    )


@router.get("/orders")
@page
def seller_orders(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    status: str = OrderStatus.AWAITING_SHIPMENT.value,
    after: str | None = None,
) -> Response:
    seller = need(principal, Role.SELLER)
    chosen = status if status in {s.value for s in OrderStatus} else None
    return orders_page(request, container, seller, chosen, after)


@router.post("/orders/ship")
@page
def ship_many(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    order_ids: Annotated[list[str] | None, Form(max_length=MAX_BULK_SHIP)] = None,
) -> Response:
    """Ship every ticked order with a number the origin post issues, one order at a time."""
    seller = need(principal, Role.SELLER)
    shipped: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    for order_id in dict.fromkeys(order_ids or []):
        try:
            with container.uow() as uow:
                done = fulfilment.ship_order(
                    uow, container.policy, seller, order_id, None, carrier=container.carrier
                )
                uow.commit()
        except DomainError as exc:
            errors[order_id] = problem_text(exc)
            continue
        shipped.append({"order_id": order_id, "tracking_number": done["tracking_number"]})
    if not order_ids:
        errors[""] = _("Tick the orders to ship first.")
    awaiting = OrderStatus.AWAITING_SHIPMENT.value
    return orders_page(request, container, seller, awaiting, shipped=shipped, ship_errors=errors)


def _labels() -> dict[str, str]:
    return {
        "label": _("Shipping label"),
        "from": _("From"),
        "to": _("To"),
        "tracking": _("Tracking number"),
        "no_number": _("to be issued by the post when shipped"),
        "service": _("Service"),
        "weight": _("Weight"),
        "order": _("Order"),
        "declaration": _("Customs declaration CN23"),
        "category": _("Category of item: sale of goods"),
        "contents": _("Contents"),
        "quantity": _("Quantity"),
        "value": _("Value"),
        "hs": _("HS code"),
        "origin": _("Origin"),
        "total": _("Total value"),
        "certify": _(
            "I certify that the particulars given in this declaration are correct and that "
            "this item does not contain any dangerous article prohibited by postal regulations."
        ),
    }


def _amount(amount_minor: int, currency: str) -> str:
    """``60.00``: the plain figure a customs form asks for (its currency is printed beside)."""
    return str(Money(amount_minor, currency).to_decimal())


def _address_lines(address: dict[str, Any]) -> list[str]:
    keys = ("full_name", "line1", "line2", "city", "region", "postal_code", "country")
    return [str(address[k]) for k in keys if address.get(k)]


def _parcel(uow: Any, seller: Principal, order_id: str) -> documents.Parcel:
    order = orders.get_order(uow, seller, order_id)  # 404 unless it is this seller's
    shop = catalog.seller_of(uow, seller)
    try:
        shipment: dict[str, Any] | None = fulfilment.shipment_for_order(uow, seller, order_id)
    except NotFound:
        shipment = None
    weights = {
        line["product_id"]: catalog.get_product(uow, line["product_id"])["weight_g"]
        for line in order["lines"]
    }
    service = SERVICES.get(order["shipping_service"])
    items = [
        {
            "description": line["title"][:100],
            "quantity": line["quantity"],
            "value": _amount(line["line_total_minor"], order["currency"]),
            "hs_code": line["hs_code"],
            "origin_country": line["origin_country"],
        }
        for line in order["lines"]
    ]
    return documents.Parcel(
        order_id=order_id,
        tracking_number=shipment["tracking_number"] if shipment else "",
        service=_(service.name) if service else order["shipping_service"],
        sender=[shop["name"], *_address_lines({**shop["ship_from"], "country": shop["country"]})],
        addressee=_address_lines(orders.ship_to_of(uow, order)),
        weight_g=sum(weights[line["product_id"]] * line["quantity"] for line in order["lines"]),
        currency=order["currency"],
        items=items,
        total_value=_amount(order["items_minor"], order["currency"]),
        labels=_labels(),
    )


@router.get("/orders/{order_id}/parcel.pdf")
@page
def parcel_documents(
    order_id: IdPath, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """The label and CN23 declaration of one of the seller's orders, to print."""
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        active_shop(uow, seller)
        # In English whatever the page's language: posts and customs read English (UPU), and
        # a right-to-left label would need text shaping the PDF does not do.
        with i18n.use_language(i18n.DEFAULT_LANGUAGE):
            parcel = _parcel(uow, seller, order_id)
    return Response(
        documents.parcel_pdf(parcel),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="parcel-{order_id}.pdf"'},
    )


def _customs_page(
    request: Request,
    container: ContainerDep,
    seller: Principal,
    order_id: str,
    *,
    typed: dict[int, str] | None = None,
    error: str | None = None,
    error_status: int = 422,
    saved: bool = False,
) -> Response:
    with container.uow(read_only=True) as uow:
        active_shop(uow, seller)
        order = orders.get_order(uow, seller, order_id)
    return render(
        request,
        "seller/customs.html",
        {
            "principal": seller,
            "order": order,
            "typed": typed or {},
            "error": error,
            "saved": saved,
            "editable": order["status"] == OrderStatus.AWAITING_SHIPMENT.value,
        },
        status_code=error_status if error else 200,
    )


@router.get("/orders/{order_id}/customs")
@page
def customs(
    order_id: IdPath, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """The lines the CN23 will declare, with their HS codes to correct before shipping."""
    return _customs_page(request, container, need(principal, Role.SELLER), order_id)


@router.post("/orders/{order_id}/customs")
@page
def amend_customs(
    order_id: IdPath,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    line_id: Annotated[list[int], Form(max_length=orders.MAX_AMENDED_LINES)],
    hs_code: Annotated[list[str], Form(max_length=orders.MAX_AMENDED_LINES)],
) -> Response:
    """One ``line_id`` and one ``hs_code`` per line, in the same order: all are checked, then
    all written, or none."""
    seller = need(principal, Role.SELLER)
    typed = {line: code[:12] for line, code in zip(line_id, hs_code, strict=False)}
    try:
        if len(line_id) != len(hs_code):
            raise InvalidInput("one HS code per line")
        with container.uow() as uow:
            orders.amend_hs_codes(uow, seller, order_id, typed)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        return _customs_page(
            request,
            container,
            seller,
            order_id,
            typed=typed,
            error=problem_text(exc),
            error_status=status_for(exc),
        )
    return _customs_page(request, container, seller, order_id, saved=True)


@router.get("/orders/{order_id}/statement")
@page
def statement(
    order_id: IdPath, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """What the seller gets for one order: price, postage, commission, FX rate and net."""
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        active_shop(uow, seller)
        found = escrow_statement.order_statement(uow, container.policy, seller, order_id)
    return render(request, "seller/statement.html", {"principal": seller, "statement": found})
