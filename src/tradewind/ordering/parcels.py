"""Pricing one seller's parcel at checkout: postage by weight and zone, and the landed cost.

Postage comes from the service's rate card (in the card's currency, USD in the demo tariffs)
and is converted twice through the FX quotes in force: into the buyer's currency for what the
buyer pays, and into the seller's currency for what the seller is paid to post it. Duty and VAT
come from the dated customs rules of the destination on the order date; DDP (and low-value
regimes such as EU IOSS) collect them at checkout, DAP shows them as an estimate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tradewind.customs.landed_cost import CustomsLine, LandedCostQuote, quote_landed_cost
from tradewind.customs.service import rule_book
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.shipping import DEMO_RATE_CARDS, SERVICES, quote_parcel
from tradewind.money.amount import Money
from tradewind.money.fx import convert
from tradewind.money.service import quotes_for


@dataclass(frozen=True, slots=True)
class ParcelPrice:
    shipping_minor: int  # buyer currency
    seller_shipping_minor: int  # seller currency
    duty_minor: int  # collected at checkout (duty + excise + fees), buyer currency
    vat_minor: int  # collected at checkout, buyer currency
    landed_cost: dict[str, Any] | None


def _convert(
    uow: UnitOfWork, amount_minor: int, source: str, target: str, at: datetime, *, mid: bool
) -> int:
    if source == target or amount_minor == 0:
        return amount_minor
    quote = quotes_for(uow, {(source, target)}, at)[(source, target)]
    if mid:  # customs thresholds are converted at the reference rate, not the buyer's price
        quote = dataclasses.replace(quote, spread_bps=0)
    return convert(Money(amount_minor, source), quote).amount_minor


def price_parcel(
    uow: UnitOfWork,
    *,
    service_code: str,
    free_shipping: bool,
    weight_g: int,
    origin: str,
    destination: str,
    buyer_currency: str,
    seller_currency: str,
    customs_lines: Sequence[CustomsLine],
    at: datetime,
) -> ParcelPrice:
    service = SERVICES.get(service_code)
    card = DEMO_RATE_CARDS.get(service_code)
    if service is None or card is None:
        raise InvalidInput(
            f"unknown shipping service {service_code!r}",
            code=ProblemCode.SHIPPING_SERVICE_UNAVAILABLE,
        )
    postage = quote_parcel(service, card, weight_g, origin, destination)
    if free_shipping:
        shipping = seller_shipping = 0
    else:
        shipping = _convert(uow, postage, card.currency, buyer_currency, at, mid=False)
        seller_shipping = _convert(uow, postage, card.currency, seller_currency, at, mid=True)
    if origin == destination:
        return ParcelPrice(shipping, seller_shipping, 0, 0, None)
    quote = _landed_cost(
        uow, customs_lines, shipping, buyer_currency, destination, at, service.duty_terms
    )
    if quote is None:
        return ParcelPrice(shipping, seller_shipping, 0, 0, {"available": False})
    collected = quote.collect_at_checkout
    return ParcelPrice(
        shipping,
        seller_shipping,
        quote.duty_minor + quote.excise_minor + quote.fees_minor if collected else 0,
        quote.vat_minor if collected else 0,
        _summary(quote),
    )


def _landed_cost(
    uow: UnitOfWork,
    lines: Sequence[CustomsLine],
    shipping_minor: int,
    currency: str,
    destination: str,
    at: datetime,
    duty_terms: Any,
) -> LandedCostQuote | None:
    def fx(amount_minor: int, source: str, target: str) -> int:
        return _convert(uow, amount_minor, source, target, at, mid=True)

    try:
        return quote_landed_cost(
            lines,
            shipping_minor,
            0,
            currency,
            destination,
            at.date(),
            duty_terms,
            fx,
            rules=rule_book(uow),
        )
    except InvalidInput as exc:
        if exc.code is ProblemCode.NO_CUSTOMS_RULE:
            return None  # no rules configured for this country: no quote, nothing collected
        raise


def _summary(quote: LandedCostQuote) -> dict[str, Any]:
    return {
        "available": True,
        "currency": quote.currency,
        "duty_terms": quote.duty_terms.value,
        "collect_at_checkout": quote.collect_at_checkout,
        "is_estimate": quote.is_estimate,
        "goods_minor": quote.goods_minor,
        "shipping_minor": quote.shipping_minor,
        "customs_value_minor": quote.customs_value_minor,
        "duty_minor": quote.duty_minor,
        "excise_minor": quote.excise_minor,
        "vat_minor": quote.vat_minor,
        "fees_minor": quote.fees_minor,
        "taxes_minor": quote.taxes_minor,
        "regime": quote.regime,
        "rule_id": quote.rule_id,
        "commercial_import": quote.commercial_import,
        "components": [
            {
                "name": c.name,
                "amount_minor": c.amount_minor,
                "basis": c.basis,
                "rule_id": c.rule_id,
                "rule_effective_from": c.rule_effective_from.isoformat(),
            }
            for c in quote.components
        ],
    }
