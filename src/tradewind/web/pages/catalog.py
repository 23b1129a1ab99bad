"""The storefront's browsing pages: home, search with facets, and the product page.

Anyone may browse. Prices are shown in the viewer's currency (anonymous viewers: USD) and
postage and duties for delivery to the viewer's country.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from tradewind.catalog import reads as catalog_reads
from tradewind.catalog import service as catalog
from tradewind.catalog import texts
from tradewind.db.uow import UnitOfWork
from tradewind.flash import service as flash
from tradewind.identity import service as identity
from tradewind.identity.domain import Role
from tradewind.kernel.errors import DomainError, NotFound
from tradewind.kernel.i18n import N_, _
from tradewind.money.amount import Money
from tradewind.ordering.pricing import unit_price_for_buyer
from tradewind.search import service as search
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import flash_sale
from tradewind.web.pages.common import (
    image_src,
    page,
    render,
    viewer_country,
    viewer_currency,
)
from tradewind.web.pages.content import reader_language
from tradewind.web.pages.offers_view import (
    SORTS,
    PageFacts,
    compare_offers,
    deals,
    from_price,
    open_graph,
    product_json_ld,
    quotes_into,
    rank_offers,
)
from tradewind.web.reads import ReadsDep

router = APIRouter(include_in_schema=False)
FEATURED_COUNT = 8
MAX_SALES = 3
SHOWN_PHASES = frozenset({"live", "sold_out"})


@router.get("/")
@page
def home(request: Request, principal: OptionalPrincipalDep, container: ContainerDep) -> Response:
    currency = viewer_currency(principal)
    with container.uow(read_only=True) as uow:
        now = uow.clock.now()
        sales = [
            _priced_sale(uow, sale, currency, now)
            for sale in flash.running_sales(uow, limit=MAX_SALES)
            if sale["phase"] in SHOWN_PHASES
        ]
        featured = catalog_reads.featured_products(uow, FEATURED_COUNT)
        offers = catalog_reads.offers_by_product(uow, [p["id"] for p in featured])
        for product in featured:
            product["from_minor"] = from_price(uow, offers.get(product["id"], []), currency, now)
    return render(
        request,
        "home.html",
        {"principal": principal, "featured": featured, "currency": currency, "sales": sales},
    )


def _priced_sale(
    uow: UnitOfWork, sale: dict[str, Any], currency: str, now: datetime
) -> dict[str, Any]:
    quote = quotes_into(uow, {sale["currency"]}, currency, now)[sale["currency"]]
    buyer_price = (
        None
        if quote is None
        else unit_price_for_buyer(sale["price_minor"], sale["currency"], quote)
    )
    return {**sale, "buyer_price_minor": buyer_price, "buyer_currency": currency}


@router.get("/flash/{sale_id}")
@page
def flash_sale_block(
    sale_id: Annotated[str, Path(max_length=64)],
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
) -> Response:
    """One sale's block, re-fetched by htmx now and then: fresh % claimed, and a countdown
    re-synchronised to the server clock."""
    currency = viewer_currency(principal)
    with container.uow(read_only=True) as uow:
        sale = _priced_sale(uow, flash.get_sale(uow, sale_id), currency, uow.clock.now())
    return render(request, "_flash_sale.html", {"principal": principal, "sale": sale})


SEARCH_PAGE_SIZE = 20


def _link(current: dict[str, str], **change: str) -> str:
    """The search URL with some parameters changed (an empty value drops the parameter)."""
    params = {**current, **change}
    if "offset" not in change:
        params["offset"] = ""  # a new filter starts again from the first page
    return "/search?" + urlencode({k: v for k, v in params.items() if v})


def _facet(current: dict[str, str], name: str, values: list[Any]) -> list[dict[str, object]]:
    chosen = current.get(name, "")
    return [
        {
            "value": v.value,
            "count": v.count,
            "selected": v.value.lower() == chosen.lower(),
            "href": _link(current, **{name: "" if v.value.lower() == chosen.lower() else v.value}),
        }
        for v in values
    ]


SEARCH_SORTS = {
    search.Sort.RELEVANCE: N_("Best match"),
    search.Sort.PRICE: N_("Lowest price delivered"),
    search.Sort.RATING: N_("Best-rated seller"),
}


def _price_bound(raw: str, currency: str, errors: dict[str, str], name: str) -> int | None:
    if not raw:
        return None
    try:
        return Money.from_major(raw, currency).amount_minor
    except DomainError:
        errors[name] = _("Enter an amount in %(currency)s, like 25 or 25.50") % {
            "currency": currency
        }
        return None


def _search_request(
    current: dict[str, str], principal: Any, language: str, errors: dict[str, str]
) -> search.SearchRequest:
    currency = viewer_currency(principal)
    low = _price_bound(current["min_price"], currency, errors, "min_price")
    high = _price_bound(current["max_price"], currency, errors, "max_price")
    if low is not None and high is not None and low > high:
        errors["max_price"] = _("The highest price must not be below the lowest")
        high = None
    return search.SearchRequest(
        text=current["q"],
        currency=currency,
        filters=search.SearchFilters(
            brands=(current["brand"],) if current["brand"] else (),
            categories=(current["category"],) if current["category"] else (),
            ship_from=(current["ship_from"].upper(),) if current["ship_from"] else (),
            in_stock=bool(current["in_stock"]),
            free_shipping=bool(current["free_shipping"]),
            min_price_minor=low,
            max_price_minor=high,
        ),
        limit=SEARCH_PAGE_SIZE,
        offset=int(current["offset"] or 0),
        language=language,
        sort=search.Sort(current["sort"] or search.Sort.RELEVANCE),
        destination=viewer_country(principal),
    )


@router.get("/search")
@page
def search_page(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    reads: ReadsDep,
    q: Annotated[str, Query(max_length=search.MAX_QUERY_CHARS)] = "",
    brand: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str, Query(max_length=100)] = "",
    ship_from: Annotated[str, Query(max_length=2)] = "",
    in_stock: Annotated[str, Query(max_length=1)] = "",
    free_shipping: Annotated[str, Query(max_length=1)] = "",
    sort: Annotated[str, Query(pattern="^(relevance|price|rating)?$")] = "",
    min_price: Annotated[str, Query(max_length=20)] = "",
    max_price: Annotated[str, Query(max_length=20)] = "",
    offset: Annotated[int, Query(ge=0, lt=search.MAX_CANDIDATES)] = 0,
) -> Response:
    """Ranked results from the search context: sort, price range, free shipping and facets
    (category, brand, ship-from) whose other values stay listed when one is chosen."""
    current = {
        "q": q,
        "brand": brand,
        "category": category,
        "ship_from": ship_from,
        "in_stock": in_stock,
        "free_shipping": free_shipping,
        "sort": sort,
        "min_price": min_price,
        "max_price": max_price,
        "offset": str(offset) if offset else "",
    }
    errors: dict[str, str] = {}
    request_ = _search_request(current, principal, reader_language(request), errors)
    with reads() as uow:
        found = search.search(uow, request_)
        shown = [h.product_id for h in found.hits]
        on_deal = deals(uow, principal, shown, request_.currency, uow.clock.now())
    context = _search_context(principal, current, found, errors)
    return render(request, "search.html", {**context, "deals": on_deal})


def _search_context(
    principal: Any, current: dict[str, str], found: search.SearchResult, errors: dict[str, str]
) -> dict[str, Any]:
    facets = found.facets
    offset = int(current["offset"] or 0)
    return {
        "principal": principal,
        "q": current["q"],
        "current": current,
        "result": found,
        "errors": errors,
        "currency": viewer_currency(principal),
        "country": viewer_country(principal),
        "sorts": {s.value: label for s, label in SEARCH_SORTS.items()},
        "facets": {
            N_("Category"): _facet(current, "category", facets.category if facets else []),
            N_("Brand"): _facet(current, "brand", facets.brand if facets else []),
            N_("Ships from"): _facet(current, "ship_from", facets.ship_from if facets else []),
        },
        "in_stock_href": _link(current, in_stock="" if current["in_stock"] else "1"),
        "free_shipping_href": _link(current, free_shipping="" if current["free_shipping"] else "1"),
        "corrected_href": None if found.corrected is None else _link(current, q=found.corrected),
        "next_href": None
        if found.next_offset is None
        else _link(current, offset=str(found.next_offset)),
        "previous_href": None
        if offset == 0
        else _link(current, offset=str(max(0, offset - SEARCH_PAGE_SIZE))),
    }


@router.get("/products/{product_id}")
@page
def product_page(
    product_id: Annotated[str, Path(max_length=64)],
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    reads: ReadsDep,
    sort: Annotated[str, Query(max_length=16)] = "delivered",
) -> Response:
    """Every offer for the product, ranked by what it costs delivered to the viewer (or by
    delivery time or the shop's rating), priced by the functions checkout uses."""
    currency = viewer_currency(principal)
    country = viewer_country(principal)
    sort = sort if sort in SORTS else "delivered"
    with reads() as uow:
        product = catalog.get_product(uow, product_id)
        translated = texts.texts_of(uow, [product_id]).get(product_id, {})
        listed = catalog.list_offers(uow, product_id=product_id)
        rows = compare_offers(
            uow,
            product,
            listed,
            viewer=principal,
            currency=currency,
            country=country,
            at=uow.clock.now(),
        )
        sales = flash_sale.product_sales(
            uow, principal, [o["id"] for o in listed], (currency, country)
        )
        saved = (
            identity.list_addresses(uow, principal)
            if sales and principal is not None and principal.role is Role.BUYER
            else []
        )
    facts = _page_facts(request, container, product, currency, country)
    return render(
        request,
        "product.html",
        {
            "principal": principal,
            "product": product,
            "shown": texts.shown(product, reader_language(request), translated),
            "offers": rank_offers(rows, sort),
            "sort": sort,
            "sorts": SORTS,
            "currency": currency,
            "country": country,
            "json_ld": product_json_ld(product, rows, facts),
            "open_graph": open_graph(product, rows, facts),
            "return_days": facts.return_days,
            "surface_days": container.settings.auto_confirm_surface_days,
            "sales": sales,
            "saved_addresses": saved,
        },
    )


def _page_facts(
    request: Request, container: ContainerDep, product: dict[str, Any], currency: str, country: str
) -> PageFacts:
    base = (container.settings.public_base_url or str(request.base_url)).rstrip("/")
    image = image_src(product.get("image_url"))
    return PageFacts(
        url=f"{base}/products/{product['id']}",
        image=f"{base}{image}" if image.startswith("/") else image,
        currency=currency,
        country=country,
        return_days=container.settings.auto_confirm_express_days,
    )


SHOP_PAGE_SIZE = 24


def _title_in(
    row: dict[str, Any], translations: dict[str, tuple[str, str]], language: str
) -> dict[str, str]:
    """A listed offer's title in the reader's language where the product has one."""
    if language in translations and translations[language][0]:
        return {"title": translations[language][0], "title_language": language}
    return {"title": row["title"], "title_language": row.get("language") or "en"}


@router.get("/shops/{seller_id}")
@page
def shop_page(
    seller_id: Annotated[str, Path(max_length=64)],
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    reads: ReadsDep,
    after: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """A shop's public page: who it is, its rating, and its offers, a page at a time."""
    currency = viewer_currency(principal)
    with reads() as uow:
        shop = catalog.get_seller(uow, seller_id)
        if shop["status"] != "active":
            raise NotFound("seller not found")
        listed = catalog.shop_offers(uow, seller_id, limit=SHOP_PAGE_SIZE + 1, after=after or None)
        quotes = quotes_into(uow, {o["currency"] for o in listed}, currency, uow.clock.now())
        translated = texts.texts_of(uow, {o["product_id"] for o in listed[:SHOP_PAGE_SIZE]})
    language = reader_language(request)
    rows = [
        {
            **o,
            **_title_in(o, translated.get(o["product_id"], {}), language),
            "buyer_price_minor": None
            if (quote := quotes[o["currency"]]) is None
            else unit_price_for_buyer(o["price_minor"], o["currency"], quote),
        }
        for o in listed[:SHOP_PAGE_SIZE]
    ]
    count = shop["rating_count"]
    return render(
        request,
        "shop.html",
        {
            "principal": principal,
            "shop": shop,
            "rating": round(shop["rating_sum"] / count, 1) if count else None,
            "offers": rows,
            "currency": currency,
            "next_after": rows[-1]["id"] if len(listed) > SHOP_PAGE_SIZE else None,
            "first_page": not after,
        },
    )
