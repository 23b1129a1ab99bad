"""Sellers, products and offers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tradewind.catalog import service as catalog
from tradewind.catalog import texts
from tradewind.catalog.domain import Condition, OfferStatus
from tradewind.identity.domain import Permission, require_permission
from tradewind.search import service as search
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.idempotency import key_header_openapi, run_idempotent
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.reads import ReadsDep
from tradewind.web.schemas import PROBLEM_RESPONSES, ReasonField, StrictInput

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=PROBLEM_RESPONSES)
Paging = Annotated[PageParams, Depends(page_params)]


class ShipFrom(StrictInput):
    line1: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(default="", max_length=20)


class SellerIn(StrictInput):
    name: str = Field(min_length=1, max_length=100)
    ship_from: ShipFrom
    handling_days: int = Field(default=2, ge=0, le=30)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    sells: str | None = Field(
        default=None, max_length=500, description="What the shop means to sell (for the review)"
    )
    contact: str | None = Field(
        default=None, max_length=200, description="How operators reach the shop (for the review)"
    )


class SellerOut(BaseModel):
    id: str
    name: str
    country: str
    currency: str
    status: str
    handling_days: int
    rating_count: int
    rating_average: float | None
    created_at: datetime
    approved_at: datetime | None


def seller_out(row: dict[str, Any]) -> SellerOut:
    count = row["rating_count"]
    return SellerOut(
        **{
            k: row[k]
            for k in (
                "id",
                "name",
                "country",
                "currency",
                "status",
                "handling_days",
                "rating_count",
                "created_at",
                "approved_at",
            )
        },
        rating_average=round(row["rating_sum"] / count, 2) if count else None,
    )


class SellerAction(StrictInput):
    action: Literal["approve", "reject", "suspend", "reinstate"]
    reason: str | None = ReasonField


@router.post(
    "/sellers",
    response_model=SellerOut,
    status_code=201,
    openapi_extra=key_header_openapi(required=False),
)
def apply_as_seller(
    body: SellerIn, request: Request, principal: PrincipalDep, container: ContainerDep
) -> Response:
    """A seller account opens its shop (pending until an operator approves it)."""
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: seller_out(
            catalog.apply_as_seller(
                uow,
                principal,
                catalog.SellerApplication(
                    name=body.name,
                    ship_from=body.ship_from.model_dump(),
                    handling_days=body.handling_days,
                    currency=body.currency,
                    sells=body.sells,
                    contact=body.contact,
                ),
            )
        ),
    )


@router.get("/sellers/me", response_model=SellerOut)
def my_shop(principal: PrincipalDep, container: ContainerDep) -> SellerOut:
    with container.uow(read_only=True) as uow:
        return seller_out(catalog.seller_of(uow, principal))


@router.get("/sellers", response_model=Page[SellerOut])
def list_sellers(
    principal: PrincipalDep,
    container: ContainerDep,
    paging: Paging,
    status: Annotated[Literal["pending", "active", "suspended", "rejected"] | None, Query()] = None,
) -> Page[SellerOut]:
    """Operators: all shops, filtered by status."""
    with container.uow(read_only=True) as uow:
        rows = catalog.list_sellers(
            uow, principal, status=status, limit=paging.limit, after=paging.after
        )
    return Page[SellerOut](
        items=[seller_out(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/sellers/{seller_id}", response_model=SellerOut)
def get_seller(seller_id: str, container: ContainerDep, reads: ReadsDep) -> SellerOut:
    with reads() as uow:
        return seller_out(catalog.get_seller(uow, seller_id))


@router.post("/sellers/{seller_id}/status", response_model=SellerOut)
def change_seller_status(
    seller_id: str, body: SellerAction, principal: PrincipalDep, container: ContainerDep
) -> SellerOut:
    """Operators approve or reject an application, suspend or reinstate a shop."""
    require_permission(principal, Permission.SELLERS)
    with container.uow() as uow:
        row = catalog.change_seller_status(uow, principal, seller_id, body.action, body.reason)
        uow.commit()
    return seller_out(row)


class ProductTextIn(StrictInput):
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=10_000)


class ProductTextOut(BaseModel):
    title: str
    description: str


class ShownTextOut(BaseModel):
    """What a reader of ``lang`` is shown: requested language, else the product's own, else en."""

    language: str
    title: str
    description: str


class ProductIn(StrictInput):
    title: str = Field(min_length=1, max_length=500)
    brand: str = Field(min_length=1, max_length=100)
    gtin: str | None = Field(default=None, max_length=20)
    model: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=10_000)
    attributes: dict[str, str] = Field(default_factory=dict, max_length=100)
    category: str | None = Field(default=None, max_length=100)
    hs_code: str | None = Field(default=None, min_length=6, max_length=6)
    origin_country: str = Field(min_length=2, max_length=2)
    weight_g: int = Field(ge=1, le=1_000_000)
    length_mm: int = Field(default=0, ge=0, le=10_000)
    width_mm: int = Field(default=0, ge=0, le=10_000)
    height_mm: int = Field(default=0, ge=0, le=10_000)
    image_url: str | None = Field(default=None, max_length=500)
    language: str = Field(
        default="en", min_length=2, max_length=8, description="Language of title and description"
    )
    translations: dict[str, ProductTextIn] = Field(
        default_factory=dict,
        max_length=4,
        description="Title and description in other languages, by language code (he, zh...)",
    )


class ProductOut(BaseModel):
    id: str
    gtin: str | None
    brand: str
    title: str
    model: str
    description: str
    attributes: dict[str, Any]
    category: str
    hs_code: str
    origin_country: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    image_url: str | None
    language: str
    translations: dict[str, ProductTextOut]
    created_at: datetime


class OfferOut(BaseModel):
    id: str
    product_id: str
    seller_id: str
    seller_name: str
    ship_from_country: str
    price_minor: int
    currency: str
    stock: int
    condition: str
    status: str
    shipping_services: list[str]
    free_shipping: bool
    version: int
    updated_at: datetime


class ProductDetail(ProductOut):
    shown: ShownTextOut
    offers: list[OfferOut]


def product_out(row: dict[str, Any], translations: Mapping[str, tuple[str, str]]) -> ProductOut:
    fields = {k: row[k] for k in ProductOut.model_fields if k != "translations"}
    texts_out = {
        lang: ProductTextOut(title=t, description=d) for lang, (t, d) in translations.items()
    }
    return ProductOut.model_validate({**fields, "translations": texts_out})


def offer_out(row: dict[str, Any]) -> OfferOut:
    return OfferOut.model_validate({k: row[k] for k in OfferOut.model_fields})


@router.post(
    "/products",
    response_model=ProductOut,
    status_code=201,
    openapi_extra=key_header_openapi(required=False),
)
def create_product(
    body: ProductIn, request: Request, principal: PrincipalDep, container: ContainerDep
) -> Response:
    """Active sellers and operators add master products (one per GTIN); searchable at once."""

    def work(uow: Any) -> ProductOut:
        fields = body.model_dump(exclude={"translations"})
        given = tuple(
            texts.ProductTextIn(lang, t.title, t.description)
            for lang, t in sorted(body.translations.items())
        )
        created = catalog.create_product(
            uow, principal, catalog.NewProduct(**fields, translations=given)
        )
        search.index_products(uow, [created["id"]])  # same transaction: no unindexed window
        return product_out(created, created["translations"])

    return run_idempotent(request, container, principal, body, work)


@router.get("/products", response_model=Page[ProductOut])
def list_products(
    container: ContainerDep,
    reads: ReadsDep,
    paging: Paging,
    brand: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[ProductOut]:
    with reads() as uow:
        rows = catalog.list_products(
            uow, brand=brand, category=category, limit=paging.limit, after=paging.after
        )
        translated = texts.texts_of(uow, [r["id"] for r in rows])
    return Page[ProductOut](
        items=[product_out(r, translated.get(r["id"], {})) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/products/{product_id}", response_model=ProductDetail)
def get_product(
    product_id: str,
    container: ContainerDep,
    reads: ReadsDep,
    lang: Annotated[str, Query(min_length=2, max_length=8)] = "en",
) -> ProductDetail:
    """A product with every seller's active offer, cheapest first; ``shown`` is its text for a
    reader of ``lang`` (that language, else the product's own, else English)."""
    language = texts.validate_language(lang, "lang")
    with reads() as uow:
        product = catalog.get_product(uow, product_id)
        translated = texts.texts_of(uow, [product_id]).get(product_id, {})
        offer_rows = catalog.list_offers(uow, product_id=product_id)
    ranked = sorted(offer_rows, key=lambda o: (o["currency"], o["price_minor"]))
    view = texts.shown(product, language, translated)
    return ProductDetail(
        **product_out(product, translated).model_dump(),
        shown=ShownTextOut(
            language=view.title_language, title=view.title, description=view.description
        ),
        offers=[offer_out(o) for o in ranked],
    )


class OfferIn(StrictInput):
    product_id: str = Field(max_length=64)
    price_minor: int = Field(ge=1, le=10**12, description="In the shop's currency's minor unit")
    stock: int = Field(ge=0, le=1_000_000)
    condition: Condition = Field(default=Condition.NEW, strict=False)
    shipping_services: list[str] = Field(
        default=["registered_small_packet"], min_length=1, max_length=5
    )
    free_shipping: bool = Field(default=False, description="The shop pays the postage")


class OfferPatch(StrictInput):
    version: int = Field(ge=1, description="The version you read; stale versions get 409")
    price_minor: int | None = Field(default=None, ge=1, le=10**12)
    stock: int | None = Field(default=None, ge=0, le=1_000_000)
    status: OfferStatus | None = Field(default=None, strict=False)


@router.post(
    "/offers",
    response_model=OfferOut,
    status_code=201,
    openapi_extra=key_header_openapi(required=False),
)
def create_offer(
    body: OfferIn, request: Request, principal: PrincipalDep, container: ContainerDep
) -> Response:
    def work(uow: Any) -> OfferOut:
        created = catalog.create_offer(
            uow,
            principal,
            catalog.NewOffer(
                product_id=body.product_id,
                price_minor=body.price_minor,
                stock=body.stock,
                condition=body.condition,
                shipping_services=tuple(body.shipping_services),
                free_shipping=body.free_shipping,
            ),
        )
        return offer_out(catalog.get_offer(uow, created["id"]))

    return run_idempotent(request, container, principal, body, work)


@router.patch("/offers/{offer_id}", response_model=OfferOut)
def update_offer(
    offer_id: str, body: OfferPatch, principal: PrincipalDep, container: ContainerDep
) -> OfferOut:
    with container.uow() as uow:
        row = catalog.update_offer(
            uow,
            principal,
            offer_id,
            catalog.OfferChange(
                version=body.version,
                price_minor=body.price_minor,
                stock=body.stock,
                status=body.status,
            ),
        )
        uow.commit()
    return offer_out(row)


@router.get("/offers", response_model=Page[OfferOut])
def list_offers(
    container: ContainerDep,
    reads: ReadsDep,
    paging: Paging,
    product_id: Annotated[str | None, Query(max_length=64)] = None,
    seller_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[OfferOut]:
    with reads() as uow:
        rows = catalog.list_offers(
            uow, product_id=product_id, seller_id=seller_id, limit=paging.limit, after=paging.after
        )
    return Page[OfferOut](
        items=[offer_out(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/offers/{offer_id}", response_model=OfferOut)
def get_offer(offer_id: str, container: ContainerDep, reads: ReadsDep) -> OfferOut:
    with reads() as uow:
        return offer_out(catalog.get_offer(uow, offer_id))
