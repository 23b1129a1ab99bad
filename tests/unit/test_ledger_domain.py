"""The pure double-entry ledger: postings, transactions, builders, balances and invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tradewind.kernel.errors import InvalidInput
from tradewind.ledger.domain import (
    MAX_IDEMPOTENCY_KEY_LEN,
    MAX_POSTINGS,
    LedgerInvariantError,
    LedgerTransaction,
    PayoutPlan,
    Posting,
    TxKind,
    UnbalancedTransaction,
    balances,
    capture,
    check_invariants,
    credit,
    debit,
    net_payout,
    net_receivable,
    order_escrow,
    payout,
    platform_commission,
    platform_fx,
    psp_clearing,
    refund_after_payout,
    refund_after_payout_with_fx,
    refund_from_escrow,
    release,
    release_with_fx,
    reverse,
    seller_payable,
    seller_receivable,
    settle_payout,
)
from tradewind.money.amount import CurrencyMismatch, Money
from tradewind.money.fx import FxQuote, convert

CURRENCIES = ["JPY", "KWD", "ILS", "USD", "EUR"]


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def postings(tx: LedgerTransaction) -> list[tuple[str, str, int]]:
    return [(p.account, p.currency, p.amount_minor) for p in tx.postings]


# --- accounts ------------------------------------------------------------------------------


def test_account_names() -> None:
    assert psp_clearing("USD") == "psp:clearing:USD"
    assert order_escrow("ord_01JD3K") == "order:ord_01JD3K:escrow"
    assert seller_payable("shp_7") == "seller:shp_7:payable"
    assert seller_receivable("shp_7") == "seller:shp_7:receivable"
    assert platform_commission("KWD") == "platform:commission:KWD"
    assert platform_fx("JPY") == "platform:fx:JPY"


@pytest.mark.parametrize("bad", ["", "a:b", "a b", "x" * 65, "ord/1", "é"])
def test_ids_in_account_names_are_checked(bad: str) -> None:
    with pytest.raises(LedgerInvariantError):
        order_escrow(bad)
    with pytest.raises(LedgerInvariantError):
        seller_payable(bad)


def test_currency_named_accounts_refuse_unknown_currencies() -> None:
    with pytest.raises(InvalidInput):
        psp_clearing("usd")
    with pytest.raises(InvalidInput):
        platform_commission("XXX")


# --- postings and transactions -------------------------------------------------------------


def test_debit_is_positive_and_credit_negative() -> None:
    assert debit("psp:clearing:USD", usd(500)) == Posting("psp:clearing:USD", "USD", 500)
    assert credit("order:o1:escrow", usd(500)) == Posting("order:o1:escrow", "USD", -500)
    assert credit("order:o1:escrow", usd(500)).money == usd(-500)
    assert debit("order:o1:escrow", usd(1)).key == ("order:o1:escrow", "USD")


@pytest.mark.parametrize("account", ["", "escrow", "Order:o1:escrow", "order::escrow", "a:b c"])
def test_posting_refuses_malformed_account_names(account: str) -> None:
    with pytest.raises(LedgerInvariantError):
        Posting(account, "USD", 1)


def test_posting_to_a_currency_named_account_must_match_it() -> None:
    with pytest.raises(LedgerInvariantError, match="holds USD"):
        Posting("psp:clearing:USD", "EUR", 1)
    with pytest.raises(LedgerInvariantError):
        Posting("platform:commission:KWD", "BHD", 1)


@pytest.mark.parametrize("amount", [1.0, True, Decimal(1)])
def test_posting_amounts_are_ints(amount: object) -> None:
    with pytest.raises(TypeError, match="amount_minor must be an int"):
        Posting("order:o1:escrow", "USD", amount)  # type: ignore[arg-type]


def balanced(*lines: Posting, key: str = "k1") -> LedgerTransaction:
    return LedgerTransaction(key, "test", lines, "memo")


def test_transaction_must_balance_per_currency() -> None:
    with pytest.raises(UnbalancedTransaction, match=r"USD \+5"):
        balanced(Posting("psp:clearing:USD", "USD", 10), Posting("order:o1:escrow", "USD", -5))
    # the grand total is zero, but each currency is off: still unbalanced
    with pytest.raises(UnbalancedTransaction, match=r"EUR -5, USD \+5"):
        balanced(Posting("psp:clearing:USD", "USD", 5), Posting("order:o1:escrow", "EUR", -5))


def test_unbalanced_is_a_ledger_invariant_error_not_a_domain_error() -> None:
    assert issubclass(UnbalancedTransaction, LedgerInvariantError)
    assert not issubclass(LedgerInvariantError, (InvalidInput, AssertionError))


def test_transaction_shape_rules() -> None:
    one = Posting("psp:clearing:USD", "USD", 5)
    with pytest.raises(LedgerInvariantError, match=r"2\.\.100 postings"):
        balanced(one)
    with pytest.raises(LedgerInvariantError, match="zero"):
        balanced(one, Posting("order:o1:escrow", "USD", -5), Posting("order:o2:escrow", "USD", 0))
    with pytest.raises(LedgerInvariantError, match="tuple"):
        LedgerTransaction("k", "test", [one, one], "")  # type: ignore[arg-type]
    many = tuple(Posting(f"order:o{i}:escrow", "USD", 1 if i % 2 else -1) for i in range(102))
    assert len(many) > MAX_POSTINGS
    with pytest.raises(LedgerInvariantError):
        balanced(*many)


def test_an_account_holds_one_currency_within_a_transaction() -> None:
    with pytest.raises(LedgerInvariantError, match="two currencies"):
        balanced(
            Posting("order:o1:escrow", "USD", 5),
            Posting("psp:clearing:USD", "USD", -5),
            Posting("order:o1:escrow", "EUR", 5),
            Posting("psp:clearing:EUR", "EUR", -5),
        )


@pytest.mark.parametrize("key", ["", "   ", "k" * (MAX_IDEMPOTENCY_KEY_LEN + 1)])
def test_idempotency_key_is_required_and_bounded(key: str) -> None:
    with pytest.raises(LedgerInvariantError, match="idempotency key"):
        capture("o1", usd(100), key)
    assert capture("o1", usd(100), "k" * MAX_IDEMPOTENCY_KEY_LEN).idempotency_key


@pytest.mark.parametrize("kind", ["", "Capture", "two words", "x" * 51])
def test_kind_is_a_snake_case_word(kind: str) -> None:
    with pytest.raises(LedgerInvariantError):
        LedgerTransaction("k", kind, capture("o1", usd(1), "k").postings)


def test_memo_is_bounded() -> None:
    with pytest.raises(LedgerInvariantError, match="memo"):
        LedgerTransaction("k", "capture", capture("o1", usd(1), "k").postings, "m" * 501)


# --- builders, worked examples -------------------------------------------------------------


def test_capture() -> None:
    tx = capture("o1", Money(12345, "JPY"), "pay:o1")
    assert tx.kind == TxKind.CAPTURE.value == "capture"
    assert tx.idempotency_key == "pay:o1"
    assert postings(tx) == [
        ("psp:clearing:JPY", "JPY", 12345),
        ("order:o1:escrow", "JPY", -12345),
    ]
    assert "o1" in tx.memo


def test_release_100_usd_at_8_percent() -> None:
    tx = release("o1", "s1", usd(10000), 800, "rel:o1")
    assert tx.kind == "release"
    assert postings(tx) == [
        ("order:o1:escrow", "USD", 10000),
        ("seller:s1:payable", "USD", -9200),
        ("platform:commission:USD", "USD", -800),
    ]


def test_release_kwd_rounds_commission_half_to_even() -> None:
    # 1.005 KWD at 50%: 502.5 fils -> 502 commission, 503 to the seller
    tx = release("o1", "s1", Money(1005, "KWD"), 5000, "rel:o1")
    assert postings(tx)[1:] == [
        ("seller:s1:payable", "KWD", -503),
        ("platform:commission:KWD", "KWD", -502),
    ]


def test_release_without_commission_leaves_the_zero_posting_out() -> None:
    tx = release("o1", "s1", usd(999), 0, "rel:o1")
    assert postings(tx) == [("order:o1:escrow", "USD", 999), ("seller:s1:payable", "USD", -999)]


def test_release_with_fx_balances_each_currency_on_its_own() -> None:
    # The seller lists at 12,345 JPY; the buyer paid 295.71 ILS (0.0236 + 150 bps spread).
    tx = release_with_fx("o1", "s1", Money(29571, "ILS"), Money(12345, "JPY"), 500, "rel:o1")
    assert tx.kind == "release_fx"
    assert postings(tx) == [
        ("order:o1:escrow", "ILS", 29571),
        ("platform:fx:ILS", "ILS", -29571),
        ("platform:fx:JPY", "JPY", 12345),
        ("seller:s1:payable", "JPY", -11728),  # 12345 - 617 (617.25 commission)
        ("platform:commission:JPY", "JPY", -617),
    ]


def test_release_with_fx_needs_two_currencies() -> None:
    with pytest.raises(InvalidInput) as info:
        release_with_fx("o1", "s1", usd(100), usd(100), 800, "k")
    assert info.value.code == "same_currency"


def test_refund_from_escrow() -> None:
    tx = refund_from_escrow("o1", Money(1234, "KWD"), "ref:1")
    assert tx.kind == "refund_from_escrow"
    assert postings(tx) == [("order:o1:escrow", "KWD", 1234), ("psp:clearing:KWD", "KWD", -1234)]


def test_refund_after_payout_claws_back_from_the_seller() -> None:
    tx = refund_after_payout("o1", "s1", Money(5000, "EUR"), "ref:2")
    assert tx.kind == "refund_after_payout"
    assert postings(tx) == [
        ("seller:s1:receivable", "EUR", 5000),
        ("psp:clearing:EUR", "EUR", -5000),
    ]


def test_refund_after_payout_with_fx() -> None:
    tx = refund_after_payout_with_fx("o1", "s1", Money(29571, "ILS"), Money(12345, "JPY"), "ref:3")
    assert postings(tx) == [
        ("platform:fx:ILS", "ILS", 29571),
        ("psp:clearing:ILS", "ILS", -29571),
        ("seller:s1:receivable", "JPY", 12345),
        ("platform:fx:JPY", "JPY", -12345),
    ]


def test_payout_and_netting() -> None:
    assert postings(payout("s1", usd(9200), "po:1")) == [
        ("seller:s1:payable", "USD", 9200),
        ("psp:clearing:USD", "USD", -9200),
    ]
    assert postings(payout("s1", usd(7000), "po:2", netted=usd(2200))) == [
        ("seller:s1:payable", "USD", 9200),
        ("seller:s1:receivable", "USD", -2200),
        ("psp:clearing:USD", "USD", -7000),
    ]
    assert postings(net_receivable("s1", usd(300), "net:1")) == [
        ("seller:s1:payable", "USD", 300),
        ("seller:s1:receivable", "USD", -300),
    ]
    with pytest.raises(CurrencyMismatch):
        payout("s1", usd(1), "po:3", netted=Money(1, "EUR"))
    with pytest.raises(InvalidInput):
        payout("s1", usd(1), "po:4", netted=usd(-1))


@pytest.mark.parametrize(
    "build",
    [
        lambda m: capture("o1", m, "k"),
        lambda m: release("o1", "s1", m, 800, "k"),
        lambda m: refund_from_escrow("o1", m, "k"),
        lambda m: refund_after_payout("o1", "s1", m, "k"),
        lambda m: payout("s1", m, "k"),
        lambda m: net_receivable("s1", m, "k"),
        lambda m: release_with_fx("o1", "s1", m, Money(1, "EUR"), 800, "k"),
    ],
)
@pytest.mark.parametrize("amount", [usd(0), usd(-1)])
def test_builders_refuse_amounts_that_are_not_positive(build: object, amount: Money) -> None:
    with pytest.raises(InvalidInput) as info:
        build(amount)  # type: ignore[operator]
    assert info.value.code == "amount_not_positive"


def test_a_seller_share_that_rounds_to_zero_still_empties_the_escrow() -> None:
    # One fils of a KWD order, against a JPY price: the seller's share rounds to 0 yen.
    tx = release_with_fx("o1", "s1", Money(1, "KWD"), Money(0, "JPY"), 800, "k")
    assert [(p.account, p.amount_minor) for p in tx.postings] == [
        ("order:o1:escrow", 1),
        ("platform:fx:KWD", -1),
    ]
    back = refund_after_payout_with_fx("o1", "s1", Money(1, "KWD"), Money(0, "JPY"), "r")
    assert [(p.account, p.amount_minor) for p in back.postings] == [
        ("platform:fx:KWD", 1),
        ("psp:clearing:KWD", -1),
    ]
    with pytest.raises(InvalidInput) as info:
        release_with_fx("o1", "s1", Money(1, "KWD"), Money(-1, "JPY"), 800, "k")
    assert info.value.code == "amount_not_positive"


def test_reverse_flips_every_posting() -> None:
    original = release("o1", "s1", usd(10000), 800, "rel:o1")
    undo = reverse(original, "rev:rel:o1", "released the wrong order")
    assert undo.kind == "reversal"
    assert undo.memo == "reversal of rel:o1: released the wrong order"
    assert [p.amount_minor for p in undo.postings] == [-10000, 9200, 800]
    assert all(v == 0 for v in balances([original, undo]).values())


# --- payout planning -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payable", "receivable", "minimum", "plan"),
    [
        (10000, 0, 1000, (10000, 0, 0, 0)),
        (10000, 2500, 1000, (7500, 2500, 0, 0)),
        (10000, 9500, 1000, (0, 9500, 500, 0)),  # 500 left is below the minimum: kept
        (3000, 5000, 0, (0, 3000, 0, 2000)),  # seller still owes 2000
        (999, 0, 1000, (0, 0, 999, 0)),
        (1000, 0, 1000, (1000, 0, 0, 0)),  # exactly the minimum is paid
        (0, 0, 0, (0, 0, 0, 0)),
        (1, 0, 0, (1, 0, 0, 0)),
    ],
)
def test_net_payout(
    payable: int, receivable: int, minimum: int, plan: tuple[int, int, int, int]
) -> None:
    result = net_payout(usd(payable), usd(receivable), minimum)
    got = (result.pay, result.net, result.payable_left, result.receivable_left)
    assert tuple(m.amount_minor for m in got) == plan
    assert result.is_empty == (plan[0] == plan[1] == 0)


def test_net_payout_refuses_bad_inputs() -> None:
    with pytest.raises(LedgerInvariantError):
        net_payout(usd(-1), usd(0), 0)
    with pytest.raises(ValueError, match="minimum"):
        net_payout(usd(1), usd(0), -1)
    with pytest.raises(CurrencyMismatch):
        net_payout(usd(1), Money(0, "EUR"), 0)


def test_settle_payout() -> None:
    pay_and_net = settle_payout("s1", net_payout(usd(10000), usd(2500), 1000), "po:1")
    assert pay_and_net is not None
    assert pay_and_net.kind == "payout"
    assert postings(pay_and_net)[0] == ("seller:s1:payable", "USD", 10000)
    net_only = settle_payout("s1", net_payout(usd(10000), usd(9500), 1000), "po:2")
    assert net_only is not None
    assert net_only.kind == "receivable_netting"
    assert settle_payout("s1", net_payout(usd(999), usd(0), 1000), "po:3") is None
    empty = PayoutPlan(usd(0), usd(0), usd(0), usd(0))
    assert settle_payout("s1", empty, "po:4") is None


# --- balances and invariants ---------------------------------------------------------------


def test_a_full_order_life_in_usd() -> None:
    ledger = [
        capture("o1", usd(10000), "k1"),
        refund_from_escrow("o1", usd(1000), "k2"),
        release("o1", "s1", usd(9000), 800, "k3"),
        payout("s1", usd(8280), "k4"),
        refund_after_payout("o1", "s1", usd(500), "k5"),
    ]
    assert check_invariants(ledger) == []
    assert balances(ledger) == {
        ("psp:clearing:USD", "USD"): 220,  # 10000 - 1000 - 8280 - 500
        ("order:o1:escrow", "USD"): 0,
        ("seller:s1:payable", "USD"): 0,
        ("platform:commission:USD", "USD"): -720,
        ("seller:s1:receivable", "USD"): 500,
    }


def test_check_invariants_reports_duplicate_keys() -> None:
    ledger = [capture("o1", usd(100), "k1"), capture("o2", usd(100), "k1")]
    assert check_invariants(ledger) == ["idempotency key k1 is used by more than one transaction"]


def test_check_invariants_reports_an_account_in_two_currencies() -> None:
    ledger = [capture("o1", usd(100), "k1"), capture("o1", Money(100, "EUR"), "k2")]
    assert check_invariants(ledger) == ["account order:o1:escrow holds USD but k2 posts EUR"]


def test_check_invariants_reports_overdrawn_escrow_payable_and_receivable() -> None:
    ledger = [
        capture("o1", usd(100), "k1"),
        refund_from_escrow("o1", usd(150), "k2"),
        payout("s1", usd(10), "k3"),
        net_receivable("s2", usd(5), "k4"),
    ]
    assert check_invariants(ledger) == [
        "order:o1:escrow (USD) is overdrawn after k2: balance +50",
        "seller:s1:payable (USD) is overdrawn after k3: balance +10",
        "seller:s2:payable (USD) is overdrawn after k4: balance +5",
        "seller:s2:receivable (USD) is overdrawn after k4: balance -5",
    ]


def unchecked(key: str, *lines: Posting) -> LedgerTransaction:
    """A transaction as storage might hand it back, without running ``__post_init__``."""
    transaction = object.__new__(LedgerTransaction)
    fields = {"idempotency_key": key, "kind": "capture", "postings": lines, "memo": ""}
    for name, value in fields.items():
        object.__setattr__(transaction, name, value)
    return transaction


def test_check_invariants_rechecks_transactions_loaded_unchecked() -> None:
    unbalanced = unchecked(
        "k9", Posting("psp:clearing:USD", "USD", 10), Posting("order:o1:escrow", "USD", -9)
    )
    assert check_invariants([unbalanced]) == ["transaction k9 does not balance: USD +1"]
    lonely = unchecked("k8", Posting("psp:clearing:USD", "USD", 0))
    assert check_invariants([lonely]) == [
        "transaction k8 is malformed: a transaction has 2..100 postings"
    ]


# --- properties ----------------------------------------------------------------------------

money_strategy = st.builds(
    Money, st.integers(min_value=1, max_value=10**12), st.sampled_from(CURRENCIES)
)


def _assert_balanced(tx: LedgerTransaction) -> None:
    per_currency: dict[str, int] = {}
    for p in tx.postings:
        per_currency[p.currency] = per_currency.get(p.currency, 0) + p.amount_minor
        assert p.amount_minor != 0
        assert type(p.amount_minor) is int
    assert set(per_currency.values()) == {0}


@given(amount=money_strategy, rate_bps=st.integers(min_value=0, max_value=10_000))
def test_every_single_currency_builder_balances(amount: Money, rate_bps: int) -> None:
    for tx in (
        capture("o1", amount, "k"),
        release("o1", "s1", amount, rate_bps, "k"),
        refund_from_escrow("o1", amount, "k"),
        refund_after_payout("o1", "s1", amount, "k"),
        payout("s1", amount, "k"),
        payout("s1", amount, "k", netted=amount),
        net_receivable("s1", amount, "k"),
    ):
        _assert_balanced(tx)
        _assert_balanced(reverse(tx, "r", "undo"))


@given(
    buyer=money_strategy,
    seller=money_strategy,
    rate_bps=st.integers(min_value=0, max_value=10_000),
)
def test_every_fx_builder_balances_per_currency(buyer: Money, seller: Money, rate_bps: int) -> None:
    if buyer.currency == seller.currency:
        return
    _assert_balanced(release_with_fx("o1", "s1", buyer, seller, rate_bps, "k"))
    _assert_balanced(refund_after_payout_with_fx("o1", "s1", buyer, seller, "k"))


AT = datetime(2026, 3, 2, tzinfo=UTC)
# Rough mids, in units of the column currency per one unit of the row currency, via USD.
_USD_VALUE = {
    "JPY": Decimal("0.0067"),
    "KWD": Decimal("3.2552"),
    "ILS": Decimal("0.2715"),
    "USD": Decimal(1),
    "EUR": Decimal("1.0825"),
}


def fx_quote(base: str, to: str) -> FxQuote:
    rate = (_USD_VALUE[base] / _USD_VALUE[to]).quantize(Decimal("0.000001"))
    return FxQuote(base, to, rate, 150, "test", AT, f"fxq_{base}{to}")


@dataclass
class OrderModel:
    buyer_currency: str
    seller_id: str
    held_minor: int
    released_minor: int = 0


class LedgerSequences(RuleBasedStateMachine):
    """Random valid sequences of money movements in five currencies keep the ledger healthy."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger: list[LedgerTransaction] = []
        self.sellers: dict[str, str] = {}
        self.orders: dict[str, OrderModel] = {}

    def _key(self) -> str:
        return f"k{len(self.ledger)}"

    @initialize()
    def one_seller_per_currency(self) -> None:
        for currency in CURRENCIES:
            self.add_seller(currency)

    @rule(currency=st.sampled_from(CURRENCIES))
    def add_seller(self, currency: str) -> None:
        self.sellers[f"s{len(self.sellers)}"] = currency

    @rule(
        data=st.data(),
        currency=st.sampled_from(CURRENCIES),
        amount_minor=st.integers(min_value=1, max_value=10**9),
    )
    def capture(self, data: st.DataObject, currency: str, amount_minor: int) -> None:
        seller_id = data.draw(st.sampled_from(sorted(self.sellers)))
        order_id = f"o{len(self.orders)}"
        self.ledger.append(capture(order_id, Money(amount_minor, currency), self._key()))
        self.orders[order_id] = OrderModel(currency, seller_id, amount_minor)

    def _held(self) -> list[str]:
        return sorted(o for o, m in self.orders.items() if m.held_minor > 0)

    @precondition(lambda self: self._held())
    @rule(data=st.data())
    def refund_from_escrow(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(self._held()))
        order = self.orders[order_id]
        amount_minor = data.draw(st.integers(min_value=1, max_value=order.held_minor))
        money = Money(amount_minor, order.buyer_currency)
        self.ledger.append(refund_from_escrow(order_id, money, self._key()))
        order.held_minor -= amount_minor

    @precondition(lambda self: self._held())
    @rule(data=st.data(), rate_bps=st.integers(min_value=0, max_value=3000))
    def release(self, data: st.DataObject, rate_bps: int) -> None:
        order_id = data.draw(st.sampled_from(self._held()))
        order = self.orders[order_id]
        escrow = Money(order.held_minor, order.buyer_currency)
        seller_currency = self.sellers[order.seller_id]
        if seller_currency == order.buyer_currency:
            tx = release(order_id, order.seller_id, escrow, rate_bps, self._key())
        else:
            seller_amount = convert(escrow, fx_quote(order.buyer_currency, seller_currency))
            if not seller_amount.is_positive():
                return
            tx = release_with_fx(
                order_id, order.seller_id, escrow, seller_amount, rate_bps, self._key()
            )
        self.ledger.append(tx)
        order.released_minor, order.held_minor = order.held_minor, 0

    def _released(self) -> list[str]:
        return sorted(o for o, m in self.orders.items() if m.released_minor > 0)

    @precondition(lambda self: self._released())
    @rule(data=st.data())
    def refund_after_payout(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(self._released()))
        order = self.orders[order_id]
        amount_minor = data.draw(st.integers(min_value=1, max_value=order.released_minor))
        refund = Money(amount_minor, order.buyer_currency)
        seller_currency = self.sellers[order.seller_id]
        if seller_currency == order.buyer_currency:
            tx = refund_after_payout(order_id, order.seller_id, refund, self._key())
        else:
            clawback = convert(refund, fx_quote(order.buyer_currency, seller_currency))
            if not clawback.is_positive():
                return
            tx = refund_after_payout_with_fx(
                order_id, order.seller_id, refund, clawback, self._key()
            )
        self.ledger.append(tx)
        order.released_minor -= amount_minor

    @rule(data=st.data(), minimum_minor=st.sampled_from([0, 1, 500, 10**6]))
    def pay_out(self, data: st.DataObject, minimum_minor: int) -> None:
        seller_id = data.draw(st.sampled_from(sorted(self.sellers)))
        currency = self.sellers[seller_id]
        totals = balances(self.ledger)
        payable = Money(-totals.get((seller_payable(seller_id), currency), 0), currency)
        receivable = Money(totals.get((seller_receivable(seller_id), currency), 0), currency)
        plan = net_payout(payable, receivable, minimum_minor)
        tx = settle_payout(seller_id, plan, self._key())
        if tx is not None:
            self.ledger.append(tx)

    @invariant()
    def ledger_is_healthy(self) -> None:
        assert check_invariants(self.ledger) == []

    @invariant()
    def escrow_matches_the_model_and_is_never_negative(self) -> None:
        totals = balances(self.ledger)
        for order_id, order in self.orders.items():
            held = -totals.get((order_escrow(order_id), order.buyer_currency), 0)
            assert held == order.held_minor >= 0

    @invariant()
    def every_currency_sums_to_zero(self) -> None:
        per_currency: dict[str, int] = {}
        for (_, currency), amount in balances(self.ledger).items():
            per_currency[currency] = per_currency.get(currency, 0) + amount
        assert all(total == 0 for total in per_currency.values())


LedgerSequences.TestCase.settings = settings(max_examples=100, stateful_step_count=50)
TestLedgerSequences = LedgerSequences.TestCase
