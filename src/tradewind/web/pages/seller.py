"""The seller center: open a shop, list offers (one by one or by CSV), ship, get paid.

Every page starts from the signed-in seller's own shop (``catalog.seller_of``); the services
filter by it, so one seller never reaches another's listings, orders or money.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import Response

from tradewind.catalog import service as catalog
from tradewind.catalog.domain import OfferStatus
from tradewind.escrow import payouts
from tradewind.identity.domain import Role
from tradewind.kernel.errors import DomainError, InvalidInput, LimitExceeded
from tradewind.logistics.shipping import SERVICES
from tradewind.media import service as media
from tradewind.money.amount import Money
from tradewind.ordering import orders
from tradewind.ordering.domain import OrderStatus
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import seller_csv
from tradewind.web.pages.common import PAGE_SIZE, need, page, problem_text, render, see_other
from tradewind.web.pages.seller_listings import active_shop, listings_page, shop_of
from tradewind.web.routes.media import read_limited

router = APIRouter(prefix="/seller", include_in_schema=False)


@router.get("")
@page
def dashboard(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        shop = shop_of(uow, seller)
        to_ship = (
            orders.list_orders(
                uow, seller, status=OrderStatus.AWAITING_SHIPMENT.value, limit=PAGE_SIZE, after=None
            )
            if shop
            else []
        )
    return render(
        request, "seller/dashboard.html", {"principal": seller, "shop": shop, "to_ship": to_ship}
    )


@router.post("/apply")
@page
def apply(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    line1: Annotated[str, Form(min_length=1, max_length=200)],
    city: Annotated[str, Form(min_length=1, max_length=100)],
    postal_code: Annotated[str, Form(max_length=20)] = "",
    handling_days: Annotated[int, Form(ge=0, le=30)] = 2,
    sells: Annotated[str, Form(max_length=500)] = "",
    contact: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    seller = need(principal, Role.SELLER)
    with container.uow() as uow:
        catalog.apply_as_seller(
            uow,
            seller,
            catalog.SellerApplication(
                name=name,
                ship_from={"line1": line1, "city": city, "postal_code": postal_code},
                handling_days=handling_days,
                sells=sells,
                contact=contact,
            ),
        )
        uow.commit()
    return see_other("/seller", "applied")


# Where a refusal's field lands on the add-listing form (the validators name their own fields).
_LISTING_FIELDS = {"amount": "price", "price_minor": "price", "country": "origin_country"}
_FORM_FIELDS = frozenset(
    {"gtin", "title", "brand", "price", "stock", "weight_g", "origin_country", "description"}
    | {"category", "hs_code", "title_he", "title_zh", "shipping_services"}
)


def listing_errors(exc: DomainError) -> dict[str, str]:
    """``{field: message}`` for the add-listing form; the whole refusal under ``form`` when it
    names no field of the form."""
    errors: dict[str, str] = {}
    for f in exc.errors:
        name = _LISTING_FIELDS.get(f.field, f.field)
        if name in _FORM_FIELDS:
            errors.setdefault(name, problem_text(exc))
    return errors or {"form": problem_text(exc)}


@router.post("/listings")
@page
def add_listing(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    gtin: Annotated[str, Form(max_length=20)],
    title: Annotated[str, Form(max_length=500)],
    brand: Annotated[str, Form(max_length=100)],
    price: Annotated[str, Form(max_length=40)],
    stock: Annotated[str, Form(max_length=10)],
    weight_g: Annotated[str, Form(max_length=10)],
    origin_country: Annotated[str, Form(max_length=2)],
    services: Annotated[list[str] | None, Form(max_length=5)] = None,
    free_shipping: Annotated[bool, Form()] = False,
    title_he: Annotated[str, Form(max_length=500)] = "",
    title_zh: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    category: Annotated[str, Form(max_length=100)] = "",
    hs_code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """One listing through the same row logic as the CSV, so both follow one set of rules.

    A refusal shows the form again with everything typed kept and the error beside its field.
    """
    seller = need(principal, Role.SELLER)
    row = {
        "gtin": gtin,
        "title": title,
        "brand": brand,
        "price": price,
        "stock": stock,
        "weight_g": weight_g,
        "origin_country": origin_country,
        "title_he": title_he,
        "title_zh": title_zh,
        "description": description,
        "category": category,
        "hs_code": hs_code.strip(),
    }
    chosen = tuple(s for s in services or [] if s in SERVICES) or seller_csv.DEFAULT_SERVICES
    result = seller_csv.ImportResult()
    try:
        with container.uow() as uow:
            shop = active_shop(uow, seller)
            seller_csv.apply_row(
                uow, seller, shop, row, result, services=chosen, free_shipping=free_shipping
            )
            uow.commit()
    except DomainError as exc:
        kept = {**row, "services": chosen, "free_shipping": free_shipping}
        return listings_page(request, container, seller, form=kept, form_errors=listing_errors(exc))
    return listings_page(request, container, seller, result=result)


@router.post("/listings/upload")
@page
def upload_listings(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    seller = need(principal, Role.SELLER)
    rows, problems = seller_csv.parse(file.file.read(seller_csv.MAX_BYTES + 1))
    with container.uow() as uow:
        shop = active_shop(uow, seller)
        result = seller_csv.apply_rows(uow, seller, shop, rows)
        uow.commit()
    result.errors = sorted([*problems, *result.errors], key=lambda e: e.line)
    return listings_page(request, container, seller, result=result)


@router.post("/products/{product_id}/image")
@page
def upload_picture(
    product_id: Annotated[str, Path(max_length=64)],
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    image: Annotated[UploadFile, File()],
) -> Response:
    """The listing table's picture form: ``POST /api/v1/products/{id}/image`` for people."""
    seller = need(principal, Role.SELLER)
    try:
        data = read_limited(image, container.image_limits.max_bytes)
        with container.uow() as uow:
            media.upload_product_image(
                uow, container.media, seller, product_id, data, container.image_limits
            )
            uow.commit()
    except (InvalidInput, LimitExceeded) as exc:
        return listings_page(request, container, seller, image_errors={product_id: exc.detail})
    return see_other("/seller/listings", "picture")


@router.post("/offers/{offer_id}")
@page
def update_offer(
    offer_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    version: Annotated[int, Form(ge=1)],
    price: Annotated[str, Form(max_length=40)],
    stock: Annotated[int, Form(ge=0)],
    status: Annotated[OfferStatus, Form()],
) -> Response:
    seller = need(principal, Role.SELLER)
    with container.uow() as uow:
        shop = active_shop(uow, seller)
        catalog.update_offer(
            uow,
            seller,
            offer_id,
            catalog.OfferChange(
                version=version,
                price_minor=Money.from_major(price, shop["currency"]).amount_minor,
                stock=stock,
                status=status,
            ),
        )
        uow.commit()
    return see_other("/seller/listings", "offer")


@router.get("/balances")
@page
def balances(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        shop = active_shop(uow, seller)
        found = payouts.seller_balances(uow, shop["id"])
        paid = payouts.list_payouts(uow, shop["id"], limit=PAGE_SIZE, after=None)
    return render(
        request,
        "seller/balances.html",
        {"principal": seller, "shop": shop, "balances": found, "payouts": paid},
    )
