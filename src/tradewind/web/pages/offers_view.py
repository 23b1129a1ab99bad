"""How an offer looks to one buyer: price in their currency, postage, duties, delivery dates.

Everything is computed by the same functions checkout uses (``unit_price_for_buyer`` and
``price_parcel``), so the product page shows what the buyer will be charged, not a guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tradewind.catalog import reads as catalog_reads
from tradewind.customs.landed_cost import CustomsLine
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import DomainError
from tradewind.kernel.i18n import N_
from tradewind.logistics.shipping import SERVICES, estimate_delivery_window, transit_days
from tradewind.money.amount import Money
from tradewind.money.fx import FxQuote
from tradewind.money.service import quotes_for
from tradewind.ordering.discounts import ShownUnit, unit_discounts
from tradewind.ordering.import_taxes import import_taxes
from tradewind.ordering.parcels import ParcelPrice, price_parcel
from tradewind.ordering.pricing import unit_price_for_buyer
from tradewind.web.pages.common import problem_text


def quotes_into(
    uow: UnitOfWork, currencies: set[str], target: str, at: datetime
) -> dict[str, FxQuote | None]:
    """The quote from each currency into ``target``; None where no operator set a rate."""
    found: dict[str, FxQuote | None] = {}
    for currency in currencies:
        try:
            found[currency] = quotes_for(uow, {(currency, target)}, at)[(currency, target)]
        except DomainError:
            found[currency] = None
    return found


def from_price(uow: UnitOfWork, rows: list[Any], target: str, at: datetime) -> int | None:
    """The lowest offer price in ``target`` currency (None when nothing converts)."""
    quotes = quotes_into(uow, {r.currency for r in rows}, target, at)
    prices = [
        unit_price_for_buyer(r.price_minor, r.currency, quote)
        for r in rows
        if (quote := quotes[r.currency]) is not None
    ]
    return min(prices) if prices else None


def deals(
    uow: UnitOfWork, viewer: Principal | None, product_ids: list[str], currency: str, at: datetime
) -> dict[str, dict[str, Any]]:
    """Product id -> its cheapest offer to pay for when that is a seller's discount: the unit
    as checkout charges it (``buyer_price_minor``), before the discount (``list_price_minor``)
    and the discount's name; products without a discount are absent."""
    by_product = catalog_reads.offers_by_product(uow, product_ids)
    rows = [r for found in by_product.values() for r in found]
    quotes = quotes_into(uow, {r.currency for r in rows}, currency, at)
    units = {
        r.id: ShownUnit(r.id, r.seller_id, r.currency, price, q)
        for r in rows
        if (q := quotes[r.currency]) is not None
        for price in (unit_price_for_buyer(r.price_minor, r.currency, q),)
    }
    offs = unit_discounts(uow, viewer, currency, list(units.values()), at)
    found: dict[str, dict[str, Any]] = {}
    for product_id, offers in by_product.items():
        priced = [
            (u.unit_minor - (offs[u.offer_id].off_minor if u.offer_id in offs else 0), u)
            for r in offers
            if (u := units.get(r.id)) is not None
        ]
        if not priced:
            continue
        pay, best = min(priced, key=lambda p: (p[0], p[1].offer_id))
        if best.offer_id in offs:
            name = offs[best.offer_id].name
            found[product_id] = {
                "buyer_price_minor": pay,
                "list_price_minor": best.unit_minor,
                "discount_name": name,
            }
    return found


def compare_offers(
    uow: UnitOfWork,
    product: dict[str, Any],
    offer_rows: list[dict[str, Any]],
    *,
    viewer: Principal | None,
    currency: str,
    country: str,
    at: datetime,
) -> list[dict[str, Any]]:
    """One row per offer, cheapest first by price in the buyer's currency. A live item
    discount lowers ``buyer_price_minor`` (what checkout charges a unit; postage and duties are
    quoted on it) and keeps the price before it as ``list_price_minor``."""
    quotes = quotes_into(uow, {o["currency"] for o in offer_rows}, currency, at)
    units = {
        o["id"]: ShownUnit(o["id"], o["seller_id"], o["currency"], price, q)
        for o in offer_rows
        if (q := quotes[o["currency"]]) is not None
        for price in (unit_price_for_buyer(o["price_minor"], o["currency"], q),)
    }
    offs = unit_discounts(uow, viewer, currency, list(units.values()), at)
    rows = []
    for offer in offer_rows:
        shown = units.get(offer["id"])
        off = offs.get(offer["id"])
        unit = None if shown is None else shown.unit_minor - (off.off_minor if off else 0)
        count = offer["rating_count"]
        options = (
            []
            if unit is None
            else _shipping_options(uow, product, offer, unit, currency, country, at)
        )
        rows.append(
            {
                **offer,
                "buyer_price_minor": unit,
                "list_price_minor": None if shown is None else shown.unit_minor,
                "discount_name": off.name if off else None,
                "rating": round(offer["rating_sum"] / count, 1) if count else None,
                "options": options,
                **_best_of(unit, options),
            }
        )
    return rank_offers(rows, "delivered")


SORTS = {
    "delivered": N_("Delivered price"),
    "fastest": N_("Delivery time"),
    "rating": N_("Seller rating"),
}
_FAR = date.max


def _best_of(unit: int | None, options: list[dict[str, Any]]) -> dict[str, Any]:
    """What an offer costs delivered (item + the cheapest postage with its duty and VAT, paid
    now or on delivery) and how soon it can arrive (the fastest service's latest date)."""
    priced = [o for o in options if "shipping_minor" in o]
    for option in priced:
        option["delivered_minor"] = (
            (unit or 0) + option["shipping_minor"] + option["taxes_minor"]
        ) + option["on_delivery_minor"]
    cheapest = min(priced, key=lambda o: (o["delivered_minor"], o["latest"]), default=None)
    fastest = min(priced, key=lambda o: (o["latest"], o["delivered_minor"]), default=None)
    return {
        "delivered_minor": None if cheapest is None else cheapest["delivered_minor"],
        "cheapest_code": None if cheapest is None else cheapest["code"],
        "fastest_latest": None if fastest is None else fastest["latest"],
    }


def rank_offers(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Offers in the buyer's chosen order; those that cannot be delivered come last, and ties
    go to the cheaper delivered price, then the better-rated shop, then the offer id."""

    def delivered(r: dict[str, Any]) -> tuple[bool, int]:
        return (r["delivered_minor"] is None, r["delivered_minor"] or 0)

    def rating(r: dict[str, Any]) -> tuple[bool, float]:
        return (r["rating"] is None, -(r["rating"] or 0.0))

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        if sort == "fastest":
            return (r["fastest_latest"] or _FAR, *delivered(r), *rating(r), r["id"])
        if sort == "rating":
            return (*rating(r), -r["rating_count"], *delivered(r), r["id"])
        return (*delivered(r), *rating(r), r["id"])

    return sorted(rows, key=key)


def _shipping_options(
    uow: UnitOfWork,
    product: dict[str, Any],
    offer: dict[str, Any],
    unit_minor: int,
    currency: str,
    country: str,
    at: datetime,
) -> list[dict[str, Any]]:
    handed_over = (at + timedelta(days=offer["handling_days"])).date()
    options = []
    for code in offer["shipping_services"]:
        service = SERVICES.get(code)
        if service is None:
            continue
        earliest, latest = estimate_delivery_window(
            handed_over, service, offer["ship_from_country"], country
        )
        option: dict[str, Any] = {
            "code": code,
            "name": service.name,
            "kind": service.kind.value,
            "earliest": earliest,
            "latest": latest,
        }
        try:
            parcel = price_parcel(
                uow,
                service_code=code,
                free_shipping=bool(offer.get("free_shipping", False)),
                weight_g=product["weight_g"],
                origin=offer["ship_from_country"],
                destination=country,
                buyer_currency=currency,
                seller_currency=offer["currency"],
                customs_lines=[
                    CustomsLine(product["hs_code"], product["origin_country"], unit_minor)
                ],
                at=at,
            )
        except DomainError as exc:
            option["unavailable"] = problem_text(exc)
        else:
            option |= _priced(parcel)
        options.append(option)
    return options


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What a crawler's copy of the product page needs beyond the offers."""

    url: str  # the product page's absolute URL
    image: str  # absolute, or "" without a picture
    currency: str
    country: str  # where the prices and postage are for
    return_days: int  # buyer protection after shipment (express; surface is longer)


def _amount(minor: int, currency: str) -> str:
    return str(Money(minor, currency).to_decimal())


def _shipping_details(row: dict[str, Any], facts: PageFacts) -> list[dict[str, Any]]:
    """One OfferShippingDetails per service the offer can be sent by, as the page lists them."""
    details = []
    for option in row["options"]:
        if "shipping_minor" not in option:
            continue
        service = SERVICES[option["code"]]
        details.append(
            {
                "@type": "OfferShippingDetails",
                "name": option["name"],
                "shippingRate": {
                    "@type": "MonetaryAmount",
                    "value": _amount(option["shipping_minor"], facts.currency),
                    "currency": facts.currency,
                },
                "shippingDestination": {"@type": "DefinedRegion", "addressCountry": facts.country},
                "shippingOrigin": {
                    "@type": "DefinedRegion",
                    "addressCountry": row["ship_from_country"],
                },
                "deliveryTime": {
                    "@type": "ShippingDeliveryTime",
                    "handlingTime": _days(0, row["handling_days"]),
                    "transitTime": _days(
                        *transit_days(service, row["ship_from_country"], facts.country)
                    ),
                },
            }
        )
    return details


def _days(low: int, high: int) -> dict[str, Any]:
    return {"@type": "QuantitativeValue", "minValue": low, "maxValue": high, "unitCode": "DAY"}


def _offer(row: dict[str, Any], facts: PageFacts) -> dict[str, Any]:
    seller: dict[str, Any] = {"@type": "Organization", "name": row["seller_name"]}
    if row["rating"] is not None:
        seller["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": row["rating"],
            "ratingCount": row["rating_count"],
            "bestRating": 5,
            "worstRating": 1,
        }
    return {
        "@type": "Offer",
        "url": facts.url,
        "price": _amount(row["buyer_price_minor"], facts.currency),
        "priceCurrency": facts.currency,
        "availability": "https://schema.org/" + ("InStock" if row["stock"] > 0 else "OutOfStock"),
        "itemCondition": "https://schema.org/NewCondition"
        if row["condition"] == "new"
        else "https://schema.org/UsedCondition",
        "seller": seller,
        "shippingDetails": _shipping_details(row, facts),
        "hasMerchantReturnPolicy": {
            "@type": "MerchantReturnPolicy",
            "applicableCountry": facts.country,
            "returnPolicyCategory": "https://schema.org/MerchantReturnFiniteReturnWindow",
            "merchantReturnDays": facts.return_days,
            "returnMethod": "https://schema.org/ReturnByMail",
        },
    }


def product_json_ld(product: dict[str, Any], rows: list[dict[str, Any]], facts: PageFacts) -> str:
    """schema.org Product with one Offer per shop (wrapped in an AggregateOffer when several
    shops sell it), from the rows the page shows; safe to embed in a <script> element."""
    offers = [_offer(r, facts) for r in rows if r["buyer_price_minor"] is not None]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product["title"],
        "url": facts.url,
        "brand": {"@type": "Brand", "name": product["brand"]},
        "category": product["category"],
    }
    if product.get("description"):
        data["description"] = product["description"]
    if facts.image:
        data["image"] = facts.image
    if product.get("gtin"):
        data["gtin14"] = product["gtin"]
    if product.get("model"):
        data["mpn"] = product["model"]
    prices = [r["buyer_price_minor"] for r in rows if r["buyer_price_minor"] is not None]
    if len(offers) > 1:
        data["offers"] = {
            "@type": "AggregateOffer",
            "lowPrice": _amount(min(prices), facts.currency),
            "highPrice": _amount(max(prices), facts.currency),
            "priceCurrency": facts.currency,
            "offerCount": len(offers),
            "offers": offers,
        }
    elif offers:
        data["offers"] = offers[0]
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def open_graph(
    product: dict[str, Any], rows: list[dict[str, Any]], facts: PageFacts
) -> list[tuple[str, str]]:
    """OpenGraph ``<meta property content>`` pairs for shared links (the lowest item price)."""
    tags = [
        ("og:type", "product"),
        ("og:site_name", "Tradewind"),
        ("og:title", product["title"]),
        ("og:url", facts.url),
    ]
    if product.get("description"):
        tags.append(("og:description", product["description"][:300]))
    if facts.image:
        tags.append(("og:image", facts.image))
        tags.append(("og:image:alt", f"Picture of {product['title']}"))
    prices = [r["buyer_price_minor"] for r in rows if r["buyer_price_minor"] is not None]
    if prices:
        tags.append(("product:price:amount", _amount(min(prices), facts.currency)))
        tags.append(("product:price:currency", facts.currency))
    return tags


def cart_groups(
    uow: UnitOfWork, cart: dict[str, Any], *, country: str, at: datetime
) -> list[dict[str, Any]]:
    """The cart split the way checkout splits it: one group (one order) per seller, each with
    the shipping services all its lines share and what each would cost to ``country``."""
    lines = cart["lines"]
    shipping = catalog_reads.offer_shipping(uow, [line["offer_id"] for line in lines])
    facts = catalog_reads.product_facts(uow, [line["product_id"] for line in lines])
    groups: dict[str, dict[str, Any]] = {}
    for line in lines:
        group = groups.setdefault(
            line["seller_id"],
            {
                "seller_id": line["seller_id"],
                "seller_name": line["seller_name"],
                "ship_from_country": line["ship_from_country"],
                "seller_currency": line["seller_currency"],
                "lines": [],
                "items_minor": 0,
                "services": shipping[line["offer_id"]].shipping_services,
                "free_shipping": True,
                "handling_days": shipping[line["offer_id"]].handling_days,
            },
        )
        offer = shipping[line["offer_id"]]
        group["lines"].append(line)
        group["items_minor"] += line["line_total_minor"]
        group["services"] = [s for s in group["services"] if s in offer.shipping_services]
        group["free_shipping"] = group["free_shipping"] and bool(offer.free_shipping)
    for group in groups.values():
        group["options"] = [
            _group_option(uow, group, facts, code, cart["currency"], country, at)
            for code in group["services"]
            if code in SERVICES
        ]
    return list(groups.values())


def _group_option(
    uow: UnitOfWork,
    group: dict[str, Any],
    facts: dict[str, Any],
    code: str,
    currency: str,
    country: str,
    at: datetime,
) -> dict[str, Any]:
    service = SERVICES[code]
    option: dict[str, Any] = {"code": code, "name": service.name, "kind": service.kind.value}
    handed_over = (at + timedelta(days=group["handling_days"])).date()
    option["earliest"], option["latest"] = estimate_delivery_window(
        handed_over, service, group["ship_from_country"], country
    )
    lines = group["lines"]
    try:
        parcel = price_parcel(
            uow,
            service_code=code,
            free_shipping=group["free_shipping"],
            weight_g=sum(facts[line["product_id"]].weight_g * line["quantity"] for line in lines),
            origin=group["ship_from_country"],
            destination=country,
            buyer_currency=currency,
            seller_currency=group["seller_currency"],
            customs_lines=[
                CustomsLine(
                    facts[line["product_id"]].hs_code,
                    facts[line["product_id"]].origin_country,
                    line["line_total_minor"],
                )
                for line in lines
            ],
            at=at,
        )
    except DomainError as exc:
        option["unavailable"] = exc.detail
    else:
        option |= _priced(parcel)
    return option


def _priced(parcel: ParcelPrice) -> dict[str, Any]:
    """A shipping option's figures, read as checkout will store them (see import_taxes)."""
    taxes = import_taxes(parcel.landed_cost, parcel.duty_minor + parcel.vat_minor)
    return {
        "shipping_minor": parcel.shipping_minor,
        "taxes": taxes.as_dict(),
        "taxes_minor": taxes.collected_now_minor,
        "on_delivery_minor": taxes.due_on_delivery_minor,
    }
