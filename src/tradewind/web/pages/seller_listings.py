"""The seller center's listings: search, filters, keyset pages, bulk edit and CSV export.

The reads and writes are ``tradewind.catalog.listings``; this module turns the form fields
into its queries and changes and shows the result (or the form again, input kept, with the
error next to its field).
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradewind.catalog import listings as catalog_listings
from tradewind.catalog import service as catalog
from tradewind.catalog.domain import CATEGORY_RULES, DEFAULT_CATEGORY, OfferStatus, SellerStatus
from tradewind.catalog.listings import BulkChange, ListingFilter, ListingQuery
from tradewind.db.uow import UnitOfWork
from tradewind.flash import service as flash
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.errors import DomainError, FieldError, InvalidInput, NotFound
from tradewind.kernel.i18n import N_, _
from tradewind.logistics.shipping import SERVICES
from tradewind.money.amount import Money
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import seller_csv
from tradewind.web.pages.common import PAGE_SIZE, Redirect, need, page, problem_text, render

router = APIRouter(prefix="/seller", include_in_schema=False)

BULK_ACTIONS = ("price", "percent", "stock", "activate", "pause")


def shop_of(uow: UnitOfWork, seller: Principal) -> dict[str, Any] | None:
    try:
        return catalog.seller_of(uow, seller)
    except NotFound:
        return None


def active_shop(uow: UnitOfWork, seller: Principal) -> dict[str, Any]:
    shop = shop_of(uow, seller)
    if shop is None or shop["status"] != SellerStatus.ACTIVE.value:
        raise Redirect("/seller")  # the dashboard explains: apply, or wait for approval
    return shop


def catalog_categories() -> list[tuple[str, str]]:
    """The catalog's categories with their usual HS code, for the listing form's list."""
    rules = sorted({(r.category, r.hs_code) for r in (*CATEGORY_RULES, DEFAULT_CATEGORY)})
    # The names are marked for translation where the catalog defines them (catalog.domain).
    return [(name, f"{_(name)} ({code})") for name, code in rules]


@dataclass(frozen=True, slots=True)
class BulkForm:
    """What the bulk form sent, kept to show it again."""

    action: str = "price"
    value: str = ""
    scope: str = "selected"
    errors: dict[str, str] | None = None
    changed: int | None = None
    replayed: bool = False


def _query(q: str, filter_: str, after: str | None) -> ListingQuery:
    chosen = filter_ if filter_ in {f.value for f in ListingFilter} else ListingFilter.ALL.value
    return ListingQuery(
        text=q[: catalog_listings.MAX_QUERY_LEN],
        filter=ListingFilter(chosen),
        after=after or None,
        limit=PAGE_SIZE,
    )


def listings_page(
    request: Request,
    container: ContainerDep,
    seller: Principal,
    query: ListingQuery | None = None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The listings page for ``query`` (first page of everything by default)."""
    query = query or ListingQuery(limit=PAGE_SIZE)
    with container.uow(read_only=True) as uow:
        shop = active_shop(uow, seller)
        on_sale = flash.shop_offers_on_sale(uow, shop["id"])
        found = catalog_listings.seller_listings(uow, seller, query, on_sale)
    result = extra.get("result")
    failed = bool(extra.get("image_errors") or extra.get("form_errors")) or bool(
        result is not None and result.errors and not result.applied
    )
    context = {
        "principal": seller,
        "shop": shop,
        "listings": found.rows,
        "next_after": found.next_after,
        "counts": found.counts,
        "on_sale": on_sale,
        "query": query,
        "filters": [f.value for f in ListingFilter],
        "services": SERVICES,
        "columns": seller_csv.COLUMNS,
        "optional_columns": seller_csv.OPTIONAL_COLUMNS,
        "max_image_bytes": container.image_limits.max_bytes,
        "bulk_key": secrets.token_urlsafe(16),
        "bulk_actions": BULK_ACTIONS,
        "bulk": BulkForm(),
        "image_errors": {},
        "result": None,
        "form": None,
        "form_errors": {},
        "categories": catalog_categories(),
        **extra,
    }
    return render(
        request,
        "seller/listings.html",
        context,
        status_code=422 if failed and status_code == 200 else status_code,
    )


@router.get("/listings")
@page
def listings(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    q: str = "",
    filter: str = ListingFilter.ALL.value,
    after: str | None = None,
) -> Response:
    seller = need(principal, Role.SELLER)
    return listings_page(request, container, seller, _query(q, filter, after))


def _change(
    uow: UnitOfWork, shop: dict[str, Any], ids: tuple[str, ...], action: str, value: str
) -> BulkChange:
    """The form's action and value as a change; the value is read as the action needs it."""
    if action == "activate":
        return BulkChange(ids, status=OfferStatus.ACTIVE)
    if action == "pause":
        return BulkChange(ids, status=OfferStatus.PAUSED)
    if action == "price":
        return BulkChange(ids, price_minor=Money.from_major(value, shop["currency"]).amount_minor)
    number = value.strip().removesuffix("%").strip()
    sign = -1 if number.startswith("-") else 1
    digits = number.lstrip("+-")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 7):
        raise _bad_number()
    if action == "percent":
        return BulkChange(ids, price_percent=sign * int(digits))
    if sign < 0:
        raise _bad_number()
    return BulkChange(ids, stock=int(digits))


def _bad_number() -> InvalidInput:
    return InvalidInput(
        "the value must be a whole number",
        errors=[FieldError("value", N_("enter a whole number, such as 25"), "not_a_number")],
    )


_FORM_FIELDS = ("offer_ids", "action")
_OWN_MESSAGES = ("offer_ids", "action", "value", "price_percent")


def _bulk_errors(exc: DomainError) -> dict[str, str]:
    """The refusal's field errors on the bulk form's fields: the rest are about ``value``."""
    if not exc.errors:
        field = "offer_ids" if isinstance(exc, NotFound) else "value"
        return {field: problem_text(exc)}
    errors: dict[str, str] = {}
    for f in exc.errors:
        name = f.field if f.field in _FORM_FIELDS else "value"
        text = _(f.message) if f.field in _OWN_MESSAGES else problem_text(exc)
        errors.setdefault(name, text)
    return errors


def _scope_ids(
    uow: UnitOfWork,
    seller: Principal,
    shop: dict[str, Any],
    scope: str,
    chosen: list[str],
    query: ListingQuery,
) -> tuple[str, ...]:
    if scope != "matching":
        return tuple(chosen)
    on_sale = flash.shop_offers_on_sale(uow, shop["id"])
    return catalog_listings.matching_ids(uow, seller, query, on_sale)


@router.post("/listings/bulk")
@page
def bulk_edit(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    key: Annotated[str, Form(min_length=1, max_length=64)],
    action: Annotated[str, Form(max_length=20)],
    value: Annotated[str, Form(max_length=40)] = "",
    scope: Annotated[str, Form(max_length=20)] = "selected",
    offer_ids: Annotated[list[str] | None, Form(max_length=catalog_listings.MAX_PAGE_SIZE)] = None,
    q: Annotated[str, Form(max_length=200)] = "",
    filter: Annotated[str, Form(max_length=20)] = ListingFilter.ALL.value,
) -> Response:
    """Change the ticked listings, or every listing the search and filter match, at once."""
    seller = need(principal, Role.SELLER)
    query = _query(q, filter, None)
    form = BulkForm(action=action if action in BULK_ACTIONS else "price", value=value, scope=scope)
    try:
        with container.uow() as uow:
            shop = active_shop(uow, seller)
            ids = _scope_ids(uow, seller, shop, scope, offer_ids or [], query)
            change = _change(uow, shop, ids, form.action, value)
            done = catalog_listings.bulk_update_offers.within(uow, seller, change, key)
            uow.commit()
    except DomainError as exc:
        bad = BulkForm(form.action, value, scope, errors=_bulk_errors(exc))
        return listings_page(request, container, seller, query, status_code=422, bulk=bad)
    shown = BulkForm(form.action, value, scope, changed=done.changed, replayed=done.replayed)
    return listings_page(request, container, seller, query, bulk=shown)


def _csv_response(rows: list[list[str]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/listings.csv")
@page
def export_listings(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """Every listing of the shop in the upload's columns: edit it and upload it back."""
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        shop = active_shop(uow, seller)
        rows = catalog_listings.export_rows(uow, seller)
        translated = seller_csv.translations_of(uow, [r["product_id"] for r in rows])
    header = [*seller_csv.COLUMNS, *seller_csv.OPTIONAL_COLUMNS]
    body = [seller_csv.export_line(r, shop, translated.get(r["product_id"], {})) for r in rows]
    return _csv_response([header, *body], f"listings-{shop['id']}.csv")


@router.get("/listings/template.csv")
@page
def listings_template(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """The upload's header and one example row, in the shop's currency and country."""
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        shop = active_shop(uow, seller)
    header = [*seller_csv.COLUMNS, *seller_csv.OPTIONAL_COLUMNS]
    return _csv_response([header, seller_csv.example_line(shop)], "listings-template.csv")
