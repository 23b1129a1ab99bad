"""Judging a batch of checkouts against locked offers (catalog.stock.domain.StockLedger)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tradewind.catalog.stock.domain import OfferStock, PricedUnits, StockLedger
from tradewind.kernel.errors import Conflict, NotFound, OutOfStock


def _ledger() -> StockLedger:
    return StockLedger(
        {
            "ofr_a": OfferStock(stock=5, price_minor=1000, currency="USD", active=True),
            "ofr_b": OfferStock(stock=1, price_minor=250, currency="USD", active=True),
            "ofr_c": OfferStock(stock=9, price_minor=700, currency="USD", active=False),
        }
    )


def test_checkouts_take_in_arrival_order_all_or_nothing() -> None:
    ledger = _ledger()
    assert ledger.take([PricedUnits("ofr_a", 2, 1000, "USD")]) is None
    short = ledger.take([PricedUnits("ofr_a", 1, 1000, "USD"), PricedUnits("ofr_b", 2, 250, "USD")])
    assert isinstance(short, OutOfStock)
    assert str(short) == "offer ofr_b does not have 2 units available"
    assert ledger.taken == {"ofr_a": 2}  # the refused checkout took nothing, not even ofr_a
    assert (
        ledger.take([PricedUnits("ofr_b", 1, 250, "USD"), PricedUnits("ofr_a", 3, 1000, "USD")])
        is None
    )
    assert ledger.taken == {"ofr_a": 5, "ofr_b": 1}
    assert isinstance(ledger.take([PricedUnits("ofr_a", 1, 1000, "USD")]), OutOfStock)


def test_a_changed_price_or_currency_and_a_withdrawn_offer_are_refused() -> None:
    ledger = _ledger()
    repriced = ledger.take([PricedUnits("ofr_a", 1, 900, "USD")])
    assert isinstance(repriced, Conflict)
    assert repriced.code == "offer_price_changed"
    recurrenced = ledger.take([PricedUnits("ofr_a", 1, 1000, "EUR")])
    assert isinstance(recurrenced, Conflict)
    assert recurrenced.code == "offer_price_changed"
    for offer_id in ("ofr_c", "ofr_missing"):
        withdrawn = ledger.take([PricedUnits(offer_id, 1, 700, "USD")])
        assert isinstance(withdrawn, NotFound)
        assert withdrawn.code == "offer_unavailable"
    assert ledger.taken == {}


@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from(["ofr_a", "ofr_b"]), st.integers(1, 4)),
            min_size=1,
            max_size=2,
            unique_by=lambda line: line[0],
        ),
        max_size=30,
    )
)
def test_never_takes_more_than_the_offers_hold(checkouts: list[list[tuple[str, int]]]) -> None:
    ledger = _ledger()
    accepted: dict[str, int] = {}
    for lines in checkouts:
        wanted = [PricedUnits(o, q, 1000 if o == "ofr_a" else 250, "USD") for o, q in lines]
        if ledger.take(wanted) is None:
            for offer_id, quantity in lines:
                accepted[offer_id] = accepted.get(offer_id, 0) + quantity
    assert ledger.taken == accepted
    assert ledger.taken.get("ofr_a", 0) <= 5
    assert ledger.taken.get("ofr_b", 0) <= 1
