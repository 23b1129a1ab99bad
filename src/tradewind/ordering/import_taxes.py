"""What one order's import taxes cost the buyer, and when: the one reading of a parcel's quote.

Every page and the API show the same figures because they all come from here: the product
page's shipping rows, the checkout's shipping choices, the checkout result, the order page and
``import_taxes`` in the API's checkouts and orders. ``collected_now_minor`` is what the order's
total already holds (DDP, or a low-value regime such as EU IOSS, where the marketplace is the
deemed supplier); ``due_on_delivery_minor`` is the estimate the buyer pays the carrier (DAP),
never part of what is charged at checkout. Pure: it reads the quote summary that
:mod:`tradewind.ordering.parcels` produced and the order stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_TAX_PARTS = ("duty", "excise", "vat", "fees")
_ALWAYS_EXPLAINED = ("duty", "vat")


class TaxesPaid(StrEnum):
    """When the buyer pays the import taxes of one parcel."""

    AT_CHECKOUT = "at_checkout"  # DDP or a low-value regime: in the order's total
    ON_DELIVERY = "on_delivery"  # DAP: to the carrier, not in the total
    NONE = "none"  # nothing to pay (a de minimis, a zero rate)
    NO_CUSTOMS = "no_customs"  # a domestic parcel crosses no border
    NOT_QUOTED = "not_quoted"  # no customs rules for the destination


@dataclass(frozen=True, slots=True)
class ImportTaxes:
    collected_now_minor: int
    due_on_delivery_minor: int
    paid: TaxesPaid
    duty_terms: str | None
    regime: str | None
    rule_id: str | None
    reasons: tuple[str, ...]  # the basis of each tax figure, e.g. "VAT 18% on customs value ..."

    def as_dict(self) -> dict[str, Any]:
        return {
            "collected_now_minor": self.collected_now_minor,
            "due_on_delivery_minor": self.due_on_delivery_minor,
            "paid": self.paid.value,
            "duty_terms": self.duty_terms,
            "regime": self.regime,
            "rule_id": self.rule_id,
            "reasons": list(self.reasons),
        }


def import_taxes(landed_cost: Mapping[str, Any] | None, collected_minor: int) -> ImportTaxes:
    """Read a parcel's quote summary (``landed_cost``; None for a domestic parcel) and the
    taxes its order collects (duty + excise + fees + VAT already in the total)."""
    if landed_cost is None:
        return ImportTaxes(collected_minor, 0, TaxesPaid.NO_CUSTOMS, None, None, None, ())
    if not landed_cost.get("available"):
        return ImportTaxes(collected_minor, 0, TaxesPaid.NOT_QUOTED, None, None, None, ())
    collect = bool(landed_cost["collect_at_checkout"])
    due = 0 if collect else int(landed_cost["taxes_minor"])
    if collect and collected_minor:
        paid = TaxesPaid.AT_CHECKOUT
    elif due:
        paid = TaxesPaid.ON_DELIVERY
    else:
        paid = TaxesPaid.NONE
    return ImportTaxes(
        collected_now_minor=collected_minor if collect else 0,
        due_on_delivery_minor=due,
        paid=paid,
        duty_terms=landed_cost.get("duty_terms"),
        regime=landed_cost.get("regime"),
        rule_id=landed_cost.get("rule_id"),
        reasons=_reasons(landed_cost.get("components", [])),
    )


def order_import_taxes(order: Mapping[str, Any]) -> ImportTaxes:
    """:func:`import_taxes` of a stored (or planned) order row."""
    return import_taxes(order["landed_cost"], int(order["duty_minor"]) + int(order["vat_minor"]))


def due_on_delivery_minor(orders: Iterable[Mapping[str, Any]]) -> int:
    """What the buyer of these orders pays the carriers on delivery, over all parcels."""
    return sum(order_import_taxes(o).due_on_delivery_minor for o in orders)


def _reasons(components: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Each tax's basis. Duty and VAT always (a zero is explained); excise and fees only when
    charged or waived by a threshold, not where the country has none ("no fees")."""
    return tuple(
        str(c["basis"])
        for c in components
        if c["name"] in _ALWAYS_EXPLAINED
        or (c["name"] in _TAX_PARTS and (c["amount_minor"] or "at or below" in c["basis"]))
    )
