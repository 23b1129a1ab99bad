"""Random sequences of money operations keep every ledger invariant, on SQLite and PostgreSQL.

A Hypothesis state machine drives the real HTTP API (in process): checkouts across sellers and
buyers in JPY, KWD, ILS, USD and EUR, payments through the sandbox processor's hosted page and
its signed webhooks, shipping, receipt, the timers (payment timeout, ship-by, auto-confirm,
finalize) as the clock moves, buyer and seller cancellations, disputes an operator resolves,
after-sales refunds and payout runs, and checkouts with a platform coupon (5% off the cart,
platform-funded: paid into escrow at release, clawed back in proportion by refunds after
release; decision 45). A model of the brief's rules ("Ledger") predicts every
order's status and every ledger account's balance. After every step:

- ``check_ledger`` finds nothing, and every currency's balances sum to zero;
- the PSP clearing account equals what the processor captured, less refunds, less payouts;
- Tradewind's payments agree with the processor's own records;
- no timer failed, every order is in the predicted state and every balance is the predicted one.

Refused operations must answer problem+json and leave the ledger exactly as it was.

Each example runs on a fresh clone of a marketplace prepared once per test (a file copy on
SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), so examples never see each other and a
failing sequence replays the same way.

The tests after the machine are the smallest reproductions of what it found.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.support.api import assert_problem, register
from tests.support.market import (
    SHIP_TO,
    Shop,
    add_fx,
    list_product,
    open_shop,
    operator_headers,
)
from tests.support.money_flow import assert_ledger_ok, buy, deliver_all, pay
from tradewind.bootstrap import Container, build, send_intents
from tradewind.config import Settings
from tradewind.db.migrate import upgrade
from tradewind.db.tables.escrow import escrow_terms
from tradewind.db.tables.escrow import payouts as payouts_table
from tradewind.db.tables.ledger import ledger_entries
from tradewind.db.tables.ordering import checkouts as checkouts_table
from tradewind.db.tables.ordering import orders as orders_table
from tradewind.db.tables.payments import payments as payments_table
from tradewind.db.tables.payments import sandbox_psp_events, sandbox_psp_payments
from tradewind.db.tables.timers import timers
from tradewind.db.uow import UnitOfWork
from tradewind.escrow.checks import check_ledger
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.money.allocation import allocate, split_commission
from tradewind.money.rounding import apply_bps
from tradewind.payments.sandbox import CARD_DECLINED, CARD_SUCCESS
from tradewind.timers.service import run_due
from tradewind.web.app import create_app

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "test-secret"
COMMISSION_BPS = 800  # the platform default (Settings.commission_bps); no seller overrides it
AFTER_SALES = timedelta(days=15)  # Settings.after_sales_days
# Settings.payout_minimum is 10 major units: in minor units, per ISO 4217 minor unit.
PAYOUT_MINIMUM_MINOR = {"JPY": 10, "KWD": 10_000, "ILS": 1_000, "USD": 1_000, "EUR": 1_000}
# Value of one unit in USD, for FX quotes between every pair (with a 1.5% spread).
USD_VALUE = {"JPY": "0.0067", "KWD": "3.26", "ILS": "0.27", "USD": "1", "EUR": "1.08"}
# One shop per currency: (country, currency, price of its one offer in minor units).
SHOPS = (
    ("JP", "JPY", 12_345),
    ("KW", "KWD", 4_567),
    ("IL", "ILS", 2_999),
    ("US", "USD", 1_999),
    ("DE", "EUR", 1_050),
)
BUYERS = (("JP", "JPY"), ("KW", "KWD"), ("IL", "ILS"), ("US", "USD"), ("FR", "EUR"))
COUPON_BPS = 500  # the platform coupon in every buyer currency: 5% off the cart

AWAITING_PAYMENT = "AWAITING_PAYMENT"
AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
AWAITING_RECEIPT = "AWAITING_RECEIPT"
IN_DISPUTE = "IN_DISPUTE"
COMPLETED = "COMPLETED"
FINALIZED = "FINALIZED"
CANCELLED = "CANCELLED"
CANCELLED_REFUNDED = "CANCELLED_REFUNDED"
REFUNDED = "REFUNDED"


# --- the marketplace every example starts from -------------------------------------------------


@dataclass(frozen=True)
class Seller:
    headers: dict[str, str]
    seller_id: str
    currency: str
    offer_id: str
    price_minor: int


@dataclass(frozen=True)
class Buyer:
    headers: dict[str, str]
    currency: str


@dataclass(frozen=True)
class Market:
    ops: dict[str, str]
    sellers: tuple[Seller, ...]
    buyers: tuple[Buyer, ...]


@dataclass
class World:
    container: Container
    client: TestClient
    clock: ManualClock


@contextmanager
def open_world(url: str) -> Iterator[World]:
    clock = ManualClock(START, frozen=True)
    # The clock moves by weeks: API tokens issued at the start must outlive it.
    # Risk scoring off: the machine's few buyers place many checkouts a day, which the risk
    # rules hold for review (test_risk.py); the model here expects every authorised payment
    # to be captured.
    settings_ = Settings(
        database_url=url,
        secret_key=SECRET,
        clock="manual",
        api_token_ttl_days=366,
        risk_mode="off",
    )
    container = build(settings_, clock=clock)
    try:
        with TestClient(create_app(container, access_log=False)) as client:
            yield World(container, client, clock)
    finally:
        container.engine.dispose()


def open_market(world: World) -> Market:
    container, client = world.container, world.client
    assert container.settings.payout_minimum == "10"
    assert container.settings.commission_bps == COMMISSION_BPS
    assert container.settings.after_sales_days == AFTER_SALES.days
    ops = operator_headers(client, container)
    sellers = []
    for country, currency, price_minor in SHOPS:
        shop = open_shop(client, ops, f"shop-{currency.lower()}@example.com", country)
        assert shop.currency == currency
        _, offer_id = list_product(client, shop, price_minor=price_minor, stock=10_000)
        sellers.append(Seller(shop.headers, shop.seller_id, currency, offer_id, price_minor))
    buyers = [
        Buyer(register(client, f"buyer-{cur.lower()}@example.com", country=c, currency=cur), cur)
        for c, cur in BUYERS
    ]
    add_fx_quotes(container)
    for _, currency in BUYERS:
        made = client.post(
            "/api/v1/promotions",
            headers=ops,
            json={
                "kind": "platform_coupon",
                "name": f"Five off {currency}",
                "code": f"PROP{currency}",
                "percent_bps": COUPON_BPS,
                "currency": currency,
                "per_buyer_limit": 10_000,
                "starts_at": "2026-01-01T00:00:00Z",
                "ends_at": "2027-01-01T00:00:00Z",
            },
        )
        assert made.status_code == 201, made.text
    return Market(ops, tuple(sellers), tuple(buyers))


def add_fx_quotes(container: Container) -> None:
    for base, quote in itertools.permutations(USD_VALUE, 2):
        rate = Decimal(USD_VALUE[base]) / Decimal(USD_VALUE[quote])
        add_fx(container, base, quote, f"{rate:.6g}", spread_bps=150)


class Clones:
    """Fresh copies of one prepared database: a file copy on SQLite, a template clone on
    PostgreSQL (both take milliseconds, so every example can have its own)."""

    def __init__(self, db_url: str, folder: Path) -> None:
        self._url = make_url(db_url)
        self._folder = folder
        self._numbers = itertools.count()
        self.is_sqlite = self._url.get_backend_name() == "sqlite"
        self._admin = None
        if self.is_sqlite:
            self.base_url = db_url
        else:
            self._admin = create_engine(db_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            self._base = f"tw_props_{uuid.uuid4().hex[:12]}"
            self._sql(f"CREATE DATABASE {self._base}")
            self.base_url = self._url_of(self._base)

    def _url_of(self, database: str) -> str:
        return self._url.set(database=database).render_as_string(hide_password=False)

    def _sql(self, statement: str) -> None:
        assert self._admin is not None
        with self._admin.connect() as conn:
            conn.execute(text(statement))

    def new(self) -> str:
        number = next(self._numbers)
        if self.is_sqlite:
            target = self._folder / f"example-{number}.db"
            for suffix in ("", "-wal"):  # SQLite folds the WAL in on close; copy it if it stayed
                source = Path(f"{self._url.database}{suffix}")
                if source.exists():
                    shutil.copyfile(source, f"{target}{suffix}")
            return f"sqlite:///{target}"
        name = f"{self._base}_{number}"
        self._sql(f"CREATE DATABASE {name} TEMPLATE {self._base}")
        return self._url_of(name)

    def drop(self, url: str) -> None:
        if self.is_sqlite:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)
        else:
            self._sql(f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")

    def close(self) -> None:
        if self._admin is not None:
            self._sql(f"DROP DATABASE IF EXISTS {self._base} WITH (FORCE)")
            self._admin.dispose()


@contextmanager
def prepared_market(db_url: str, folder: Path) -> Iterator[tuple[Clones, Market]]:
    clones = Clones(db_url, folder)
    try:
        with open_world(clones.base_url) as world:
            upgrade(world.container.engine)
            market = open_market(world)
        yield clones, market
    finally:
        clones.close()


# --- the model: what the brief's rules say must happen -----------------------------------------


@dataclass
class Order:
    id: str
    buyer: Buyer
    seller: Seller
    currency: str  # the buyer's
    total_minor: int
    seller_total_minor: int  # the seller's own price, in the seller's currency
    status: str = AWAITING_PAYMENT
    refunded_after_release_minor: int = 0
    platform_minor: int = 0  # the platform-funded discount on the order
    funded_minor: int = 0  # what the platform paid into escrow at release
    released_goods_minor: int = 0  # what escrow held for the goods at release

    @property
    def fx(self) -> bool:
        return self.currency != self.seller.currency


@dataclass
class Checkout:
    id: str
    buyer: Buyer
    orders: list[Order]
    status: str = "awaiting_payment"  # paid, expired


@dataclass
class Books:
    """Every ledger account's balance (debit positive), as the brief's money movements make it."""

    balances: Counter[str] = field(default_factory=Counter)
    batches_paid: set[tuple[str, str]] = field(default_factory=set)

    def nonzero(self) -> dict[str, int]:
        return {account: amount for account, amount in self.balances.items() if amount}

    def owed_by_or_to_sellers(self) -> bool:
        return any(
            amount and account.startswith("seller:") for account, amount in self.balances.items()
        )

    def held(self, order: Order) -> int:
        return -self.balances[ledger.order_escrow(order.id)]

    def capture(self, order: Order) -> None:
        self.balances[ledger.psp_clearing(order.currency)] += order.total_minor
        self.balances[ledger.order_escrow(order.id)] -= order.total_minor

    def refund_from_escrow(self, order: Order, amount_minor: int) -> None:
        assert 0 < amount_minor <= self.held(order)
        self.balances[ledger.order_escrow(order.id)] += amount_minor
        self.balances[ledger.psp_clearing(order.currency)] -= amount_minor

    def release(self, order: Order) -> None:
        """What escrow still holds goes to the seller, in the seller's currency, less commission.

        Across currencies the seller gets its own price for the part of the order not refunded
        (largest remainder) and the platform's FX accounts take the difference.
        """
        held = self.held(order)
        if held == 0:
            return
        order.released_goods_minor = held
        if order.platform_minor:  # the platform pays in its share of the goods released
            weights = [held, order.total_minor - held]
            order.funded_minor = allocate(order.platform_minor, weights)[0]
            self.balances[ledger.platform_promotions(order.currency)] += order.funded_minor
            self.balances[ledger.order_escrow(order.id)] -= order.funded_minor
            held += order.funded_minor
        self.balances[ledger.order_escrow(order.id)] += held
        share = held
        if order.fx:
            paid = order.total_minor + order.platform_minor
            share = allocate(order.seller_total_minor, [held, paid - held])[0]
            self.balances[ledger.platform_fx(order.currency)] -= held
            self.balances[ledger.platform_fx(order.seller.currency)] += share
        to_seller, commission = split_commission(share, COMMISSION_BPS)
        self.balances[ledger.seller_payable(order.seller.seller_id)] -= to_seller
        self.balances[ledger.platform_commission(order.seller.currency)] -= commission

    def refund_after_release(self, order: Order, amount_minor: int) -> None:
        """The buyer is paid back; the seller owes it back (receivable, netted at payout).

        Across currencies the refunds of one order claw back, together, the largest-remainder
        share of the seller's price for all that was refunded so far: refunding an order in
        pieces claws back exactly what refunding it at once would.
        """
        before = order.refunded_after_release_minor
        after = before + amount_minor
        assert after <= order.total_minor
        self.balances[ledger.psp_clearing(order.currency)] -= amount_minor
        clawback = amount_minor
        if order.fx:
            clawback = self._seller_part(order, after) - self._seller_part(order, before)
            self.balances[ledger.platform_fx(order.currency)] += amount_minor
            self.balances[ledger.platform_fx(order.seller.currency)] -= clawback
        self.balances[ledger.seller_receivable(order.seller.seller_id)] += clawback
        order.refunded_after_release_minor = after
        self._claw_back_funding(order, before, after)

    def _claw_back_funding(self, order: Order, before: int, after: int) -> None:
        """The refunds take back their share of what the platform funded, from the seller."""
        goods, funded = order.released_goods_minor, order.funded_minor
        if funded == 0:
            return

        def share(refunded: int) -> int:
            part = min(refunded, goods)
            return allocate(funded, [part, goods - part])[0]

        back = share(after) - share(before)
        if back == 0:
            return
        self.balances[ledger.platform_promotions(order.currency)] -= back
        if not order.fx:
            self.balances[ledger.seller_receivable(order.seller.seller_id)] += back
            return
        seller_back = allocate(order.seller_total_minor, [back, goods + funded - back])[0]
        self.balances[ledger.platform_fx(order.currency)] += back
        self.balances[ledger.seller_receivable(order.seller.seller_id)] += seller_back
        self.balances[ledger.platform_fx(order.seller.currency)] -= seller_back

    @staticmethod
    def _seller_part(order: Order, refunded_minor: int) -> int:
        weights = [refunded_minor, order.total_minor - refunded_minor]
        return allocate(order.seller_total_minor, weights)[0]

    def run_payouts(self, sellers: tuple[Seller, ...], batch: str) -> list[tuple[Any, ...]]:
        """Per seller: set off what it owes, then pay the rest if it reaches the minimum.
        A batch pays a seller at most once, however often it is run."""
        made = []
        for seller in sellers:
            payable = ledger.seller_payable(seller.seller_id)
            receivable = ledger.seller_receivable(seller.seller_id)
            if (seller.seller_id, batch) in self.batches_paid:
                continue
            owed_to_seller = max(0, -self.balances[payable])
            owed_by_seller = max(0, self.balances[receivable])
            netted = min(owed_to_seller, owed_by_seller)
            available = owed_to_seller - netted
            paid = available if available >= PAYOUT_MINIMUM_MINOR[seller.currency] else 0
            if paid == 0 and netted == 0:
                continue
            self.balances[payable] += paid + netted
            self.balances[receivable] -= netted
            self.balances[ledger.psp_clearing(seller.currency)] -= paid
            self.batches_paid.add((seller.seller_id, batch))
            made.append((seller.seller_id, seller.currency, paid, netted))
        return sorted(made)


# --- reading the truth -----------------------------------------------------------------------


def ledger_balances(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.conn.execute(
        select(ledger_entries.c.account, func.sum(ledger_entries.c.amount_minor)).group_by(
            ledger_entries.c.account
        )
    )
    return {account: int(total) for account, total in rows if int(total)}


def sums_by_currency(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.conn.execute(
        select(ledger_entries.c.currency, func.sum(ledger_entries.c.amount_minor)).group_by(
            ledger_entries.c.currency
        )
    )
    return {currency: int(total) for currency, total in rows}


def processor_net_by_currency(uow: UnitOfWork) -> Counter[str]:
    """Per currency: what the processor says it captured less what it refunded, less what
    Tradewind paid out to sellers. This is what PSP clearing must hold."""
    net: Counter[str] = Counter()
    for currency, captured, refunded in uow.conn.execute(
        select(
            sandbox_psp_payments.c.currency,
            func.sum(sandbox_psp_payments.c.captured_minor),
            func.sum(sandbox_psp_payments.c.refunded_minor),
        ).group_by(sandbox_psp_payments.c.currency)
    ):
        net[currency] += int(captured) - int(refunded)
    for currency, paid in uow.conn.execute(
        select(payouts_table.c.currency, func.sum(payouts_table.c.amount_minor)).group_by(
            payouts_table.c.currency
        )
    ):
        net[currency] -= int(paid)
    return net


def payments_disagreeing_with_processor(uow: UnitOfWork) -> list[str]:
    rows = uow.conn.execute(
        select(
            payments_table.c.checkout_id,
            payments_table.c.status,
            payments_table.c.captured_minor,
            payments_table.c.refunded_minor,
            sandbox_psp_payments.c.captured_minor.label("psp_captured"),
            sandbox_psp_payments.c.refunded_minor.label("psp_refunded"),
        ).join(
            sandbox_psp_payments,
            sandbox_psp_payments.c.id == payments_table.c.provider_payment_id,
        )
    )
    return [
        f"checkout {r.checkout_id}: Tradewind's payment is {r.status} with captured "
        f"{r.captured_minor}, refunded {r.refunded_minor}; the processor captured "
        f"{r.psp_captured}, refunded {r.psp_refunded}"
        for r in rows
        if (r.captured_minor, r.refunded_minor) != (r.psp_captured, r.psp_refunded)
    ]


def failing_timers(uow: UnitOfWork) -> list[str]:
    rows = uow.conn.execute(
        select(timers.c.kind, timers.c.payload, timers.c.status, timers.c.last_error).where(
            timers.c.last_error.is_not(None)
        )
    )
    return [f"{r.kind} {r.payload} ({r.status}): {r.last_error}" for r in rows]


# --- the state machine -----------------------------------------------------------------------


# Where each order action is legal; anywhere else it must be refused, with this code.
LEGAL_IN = {
    "ship": ({AWAITING_SHIPMENT}, "illegal_transition"),
    "confirm": ({AWAITING_RECEIPT}, "illegal_transition"),
    "seller_cancels": ({AWAITING_SHIPMENT}, "illegal_transition"),
    "buyer_cancels": ({AWAITING_PAYMENT}, "illegal_transition"),
    "dispute": ({AWAITING_RECEIPT}, "illegal_transition"),
    "refund": ({COMPLETED, FINALIZED}, "not_released"),
}
ANY = st.integers(0, 1000)  # picks one of the candidates for a step: see nth()
MAX_CHECKOUTS = 5  # per example: enough orders to interleave, few enough to see them through
BUYER = st.integers(0, len(BUYERS) - 1)
CART = st.lists(  # (shop, quantity): one order per shop
    st.tuples(st.integers(0, len(SHOPS) - 1), st.integers(1, 3)),
    min_size=1,
    max_size=3,
    unique_by=lambda pick: pick[0],
)


def nth(candidates: list[Any], pick: int) -> Any:
    return candidates[pick % len(candidates)]


class LedgerMachine(RuleBasedStateMachine):
    clones: ClassVar[Clones]
    market: ClassVar[Market]

    def __init__(self) -> None:
        super().__init__()
        self._exit = ExitStack()
        url = self.clones.new()
        self._exit.callback(self.clones.drop, url)
        world = self._exit.enter_context(open_world(url))
        self.container, self.client, self.clock = world.container, world.client, world.clock
        self.books = Books()
        self.checkouts: dict[str, Checkout] = {}
        self.orders: dict[str, Order] = {}
        self.disputes: dict[str, Order] = {}
        self.resolved: set[str] = set()
        self.batches: list[str] = []
        self._keys = itertools.count()

    def teardown(self) -> None:
        self._exit.close()

    # --- helpers ---

    def _in(self, *statuses: str) -> list[Order]:
        return [order for order in self.orders.values() if order.status in statuses]

    def _payable(self) -> list[Checkout]:
        return [c for c in self.checkouts.values() if c.status == "awaiting_payment"]

    def _open_disputes(self) -> list[str]:
        return [d for d in self.disputes if d not in self.resolved]

    def _key(self) -> str:
        return f"prop-{next(self._keys)}"

    def _ledger(self) -> dict[str, int]:
        with self.container.uow(read_only=True) as uow:
            return ledger_balances(uow)

    def _send(self, action: str, order: Order, amount_minor: int = 1, key: str = "") -> Any:
        url = f"/api/v1/orders/{order.id}"
        seller, buyer = order.seller.headers, order.buyer.headers
        if action == "ship":
            return self.client.post(f"{url}/ship", headers=seller, json={})
        if action == "confirm":
            return self.client.post(f"{url}/confirm-receipt", headers=buyer)
        if action == "seller_cancels":
            return self.client.post(f"{url}/cancel", headers=seller, json={"reason": "no stock"})
        if action == "buyer_cancels":
            return self.client.post(f"{url}/cancel", headers=buyer, json={"reason": "changed"})
        if action == "dispute":
            body = {"reason": "damaged", "message": "The box was crushed."}
            return self.client.post(f"{url}/disputes", headers=buyer, json=body)
        assert action == "refund"
        return self.client.post(
            f"{url}/refunds",
            headers={**self.market.ops, "Idempotency-Key": key or self._key()},
            json={"amount_minor": amount_minor, "reason": "parts missing"},
        )

    def _pay(self, checkout: Checkout, card: str) -> tuple[Any, Any]:
        started = self.client.post(
            f"/api/v1/checkouts/{checkout.id}/payment",
            headers={**checkout.buyer.headers, "Idempotency-Key": self._key()},
        )
        if started.status_code != 201:
            return started, None
        page = self.client.post(
            started.json()["redirect_url"], data={"card_number": card}, follow_redirects=False
        )
        deliver_all(self.client, self.container, self.clock)
        return started, page

    def _refused(self, response: Any, before: dict[str, int], status: int, code: str) -> None:
        """A refusal is problem+json with the expected status and code, and moves no money."""
        assert_problem(response, status, code)
        assert self._ledger() == before, f"a refused request moved money: {response.text}"

    def _place(self, buyer: Buyer, picks: list[tuple[int, int]], coupon: bool = False) -> Checkout:
        lines = [
            {"offer_id": self.market.sellers[shop].offer_id, "quantity": quantity}
            for shop, quantity in picks
        ]
        codes = [f"PROP{buyer.currency}"] if coupon else []
        response = self.client.post(
            "/api/v1/checkouts",
            headers={**buyer.headers, "Idempotency-Key": self._key()},
            json={"ship_to": SHIP_TO, "lines": lines, "coupon_codes": codes},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["currency"] == buyer.currency
        assert body["total_minor"] == sum(o["total_minor"] for o in body["orders"])
        with self.container.uow(read_only=True) as uow:
            seller_totals = dict(
                uow.conn.execute(
                    select(
                        orders_table.c.id,
                        orders_table.c.seller_items_minor + orders_table.c.seller_shipping_minor,
                    ).where(orders_table.c.checkout_id == body["id"])
                ).all()
            )
        sellers = {s.seller_id: s for s in self.market.sellers}
        quantities = {self.market.sellers[shop].seller_id: q for shop, q in picks}
        orders = []
        for placed in body["orders"]:
            seller = sellers[placed["seller_id"]]
            order = Order(
                placed["id"],
                buyer,
                seller,
                placed["currency"],
                placed["total_minor"],
                int(seller_totals[placed["id"]]),
                platform_minor=sum(d["platform_minor"] for d in placed["discounts"]),
            )
            assert order.seller_total_minor == seller.price_minor * quantities[seller.seller_id]
            assert order.total_minor + order.platform_minor == placed["items_minor"]
            if not order.fx:
                assert placed["items_minor"] == order.seller_total_minor
            orders.append(order)
            self.orders[order.id] = order
        assert len(orders) == len(picks)
        items = sum(o["items_minor"] for o in body["orders"])
        assert sum(o.platform_minor for o in orders) == (
            apply_bps(items, COUPON_BPS) if coupon else 0
        )
        checkout = self.checkouts[body["id"]] = Checkout(body["id"], buyer, orders)
        return checkout

    def _settle(self, checkout: Checkout, card: str) -> None:
        """Pay on the processor's page; its webhooks make Tradewind capture and book it."""
        live = [o for o in checkout.orders if o.status == AWAITING_PAYMENT]
        cancelled = [o.id for o in checkout.orders if o.status == CANCELLED]
        before = self._ledger()
        started, page = self._pay(checkout, card)
        if not live or (cancelled and started.status_code != 201):
            # Nothing is left to pay for; or the buyer cancelled an order, and refusing to
            # charge for the rest is as sound as charging just for it.
            self._refused(started, before, 409, "checkout_not_payable")
            return
        assert started.status_code == 201, started.text
        payment = self.client.get(
            f"/api/v1/checkouts/{checkout.id}/payment", headers=checkout.buyer.headers
        ).json()
        if card == CARD_DECLINED:
            assert page.status_code == 402, page.text
            assert (payment["status"], payment["captured_minor"]) == ("failed", 0)
            return
        assert page.status_code == 303, page.text
        expected = sum(o.total_minor for o in live)
        assert (payment["status"], payment["captured_minor"]) == ("captured", expected), (
            f"paying checkout {checkout.id} should capture {expected} {checkout.buyer.currency} "
            f"(orders the buyer cancelled before paying: {cancelled}) and book it in the "
            f"ledger; the payment is {payment}"
        )
        checkout.status = "paid"
        for order in live:
            order.status = AWAITING_SHIPMENT
            self.books.capture(order)

    # --- rules: what buyers, sellers, operators and the clock do ---

    @initialize(purchases=st.lists(st.tuples(BUYER, CART, st.booleans()), min_size=1, max_size=2))
    def paid_checkouts(self, purchases: list[tuple[int, list[tuple[int, int]], bool]]) -> None:
        """Every example starts with a paid checkout or two (with the platform coupon or
        without), so that orders get far."""
        for buyer, picks, coupon in purchases:
            placed = self._place(self.market.buyers[buyer], picks, coupon=coupon)
            self._settle(placed, CARD_SUCCESS)

    @precondition(lambda self: len(self.checkouts) < MAX_CHECKOUTS)
    @rule(buyer=BUYER, picks=CART)
    def checkout(self, buyer: int, picks: list[tuple[int, int]]) -> None:
        self._place(self.market.buyers[buyer], picks)

    @precondition(lambda self: len(self.checkouts) < MAX_CHECKOUTS)
    @rule(buyer=BUYER, picks=CART)
    def checkout_with_platform_coupon(self, buyer: int, picks: list[tuple[int, int]]) -> None:
        self._place(self.market.buyers[buyer], picks, coupon=True)

    @precondition(lambda self: self._payable())
    @rule(pick=ANY, card=st.sampled_from([CARD_SUCCESS, CARD_DECLINED]))
    def pay(self, pick: int, card: str) -> None:
        self._settle(nth(self._payable(), pick), card)

    @precondition(lambda self: self._in(AWAITING_SHIPMENT))
    @rule(pick=ANY)
    def seller_ships(self, pick: int) -> None:
        order = nth(self._in(AWAITING_SHIPMENT), pick)
        response = self._send("ship", order)
        assert response.status_code == 201, response.text
        order.status = AWAITING_RECEIPT

    @precondition(lambda self: self._in(AWAITING_RECEIPT))
    @rule(pick=ANY)
    def buyer_confirms_receipt(self, pick: int) -> None:
        order = nth(self._in(AWAITING_RECEIPT), pick)
        response = self._send("confirm", order)
        assert response.json() == {"id": order.id, "status": COMPLETED}, response.text
        order.status = COMPLETED
        self.books.release(order)

    @precondition(lambda self: self._in(AWAITING_SHIPMENT))
    @rule(pick=ANY)
    def seller_accepts_cancellation(self, pick: int) -> None:
        order = nth(self._in(AWAITING_SHIPMENT), pick)
        response = self._send("seller_cancels", order)
        assert response.json() == {"id": order.id, "status": CANCELLED_REFUNDED}, response.text
        order.status = CANCELLED_REFUNDED
        self.books.refund_from_escrow(order, self.books.held(order))

    @precondition(lambda self: self._in(AWAITING_PAYMENT))
    @rule(pick=ANY)
    def buyer_cancels_unpaid_order(self, pick: int) -> None:
        order = nth(self._in(AWAITING_PAYMENT), pick)
        response = self._send("buyer_cancels", order)
        assert response.json() == {"id": order.id, "status": CANCELLED}, response.text
        order.status = CANCELLED

    @precondition(lambda self: self._in(AWAITING_RECEIPT))
    @rule(pick=ANY)
    def buyer_opens_dispute(self, pick: int) -> None:
        order = nth(self._in(AWAITING_RECEIPT), pick)
        response = self._send("dispute", order)
        assert response.status_code == 201, response.text
        order.status = IN_DISPUTE
        self.disputes[str(response.json()["id"])] = order

    @precondition(lambda self: self._open_disputes())
    @rule(
        pick=ANY,
        resolution=st.sampled_from(["refund_full", "refund_partial", "release"]),
        portion=st.sampled_from(["one", "half", "all_but_one", "all"]),
    )
    def operator_resolves_dispute(self, pick: int, resolution: str, portion: str) -> None:
        dispute = nth(self._open_disputes(), pick)
        order = self.disputes[dispute]
        held = self.books.held(order)
        partial = {"one": 1, "half": held // 2, "all_but_one": held - 1, "all": held}[portion]
        body: dict[str, Any] = {"resolution": resolution, "note": "decided"}
        if resolution == "refund_partial":
            body["refund_minor"] = max(1, partial)
        before = self._ledger()
        response = self.client.post(
            f"/api/v1/disputes/{dispute}/resolve", headers=self.market.ops, json=body
        )
        if resolution == "refund_partial" and not 0 < partial < held:
            self._refused(response, before, 422, "invalid_refund_amount")
            return
        refund = {"refund_full": held, "release": 0}.get(resolution, partial)
        assert response.status_code == 200, (
            f"resolving the dispute on order {order.id} ({order.currency} {order.total_minor}, "
            f"seller paid in {order.seller.currency}) by {resolution} of {refund} was refused: "
            f"{response.text}"
        )
        assert (response.json()["status"], response.json()["refund_minor"]) == ("resolved", refund)
        self.resolved.add(dispute)
        if refund:
            self.books.refund_from_escrow(order, refund)
        self.books.release(order)
        order.status = COMPLETED if resolution == "release" else REFUNDED

    @precondition(lambda self: self._in(COMPLETED, FINALIZED))
    @rule(
        pick=ANY,
        portion=st.sampled_from(["one", "half", "rest", "too_much"]),
        replay=st.booleans(),
    )
    def operator_refunds_after_sale(self, pick: int, portion: str, replay: bool) -> None:
        order = nth(self._in(COMPLETED, FINALIZED), pick)
        left = order.total_minor - order.refunded_after_release_minor
        amount = {"one": 1, "half": left // 2, "rest": left, "too_much": left + 1}[portion]
        amount = max(1, amount)
        before = self._ledger()
        key = self._key()
        response = self._send("refund", order, amount, key)
        if amount > left:
            self._refused(response, before, 422, "invalid_refund_amount")
            return
        assert response.status_code == 201, (
            f"an after-sales refund of {amount} on order {order.id} ({order.currency} "
            f"{order.total_minor}, {left} refundable; seller paid {order.seller_total_minor} "
            f"{order.seller.currency}) was refused: {response.text}"
        )
        assert response.json() == {"id": order.id, "status": "refunded"}
        self.books.refund_after_release(order, amount)
        if replay:
            again = self._send("refund", order, amount, key)
            assert again.status_code == 201, again.text
            assert again.headers["idempotent-replayed"] == "true"
            assert again.json() == response.json()

    @precondition(lambda self: self.books.owed_by_or_to_sellers())
    @rule(rerun=st.booleans())
    def operator_runs_payouts(self, rerun: bool) -> None:
        """A rerun of a batch pays nobody twice (but pays whoever it had nothing for yet)."""
        if not (rerun and self.batches):
            self.batches.append(f"batch-{len(self.batches)}")
        expected = self.books.run_payouts(self.market.sellers, self.batches[-1])
        response = self.client.post(
            "/api/v1/ops/payouts/run", headers=self.market.ops, json={"batch": self.batches[-1]}
        )
        assert response.status_code == 200, response.text
        made = [
            (p["seller_id"], p["currency"], p["amount_minor"], p["netted_minor"])
            for p in response.json()
        ]
        assert sorted(made) == expected

    @precondition(lambda self: self.orders)
    @rule(hours=st.sampled_from([1, 26, 6 * 24, 16 * 24, 31 * 24]))
    def time_passes(self, hours: int) -> None:
        """The worker runs every timer that fell due: unpaid checkouts expire, unshipped orders
        are cancelled and refunded, protection ends with a release (its deadline comes sooner
        when the post delivers the parcel meanwhile), completed orders finalize. Disputed
        orders stay frozen."""
        self.clock.advance(timedelta(hours=hours))
        for _ in range(50):
            if run_due(self.container.uow, self.container.timer_handlers) == 0:
                break
        send_intents(self.container)  # and, as the worker does, makes the processor calls
        now = self.clock.now()
        with self.container.uow(read_only=True) as uow:
            payment_due = dict(
                uow.conn.execute(
                    select(checkouts_table.c.id, checkouts_table.c.payment_due_at)
                ).all()
            )
            ship_by = dict(
                uow.conn.execute(select(orders_table.c.id, orders_table.c.ship_by_at)).all()
            )
            terms = {r.order_id: r for r in uow.conn.execute(select(escrow_terms)).all()}
        for checkout in self._payable():
            if payment_due[checkout.id] <= now:
                checkout.status = "expired"
                for order in checkout.orders:
                    if order.status == AWAITING_PAYMENT:
                        order.status = CANCELLED
        for order in self.orders.values():
            if order.status == AWAITING_SHIPMENT and ship_by[order.id] <= now:
                order.status = CANCELLED_REFUNDED
                self.books.refund_from_escrow(order, self.books.held(order))
            elif order.status == AWAITING_RECEIPT and terms[order.id].auto_confirm_at <= now:
                order.status = COMPLETED
                self.books.release(order)
            elif order.status == COMPLETED and terms[order.id].released_at + AFTER_SALES <= now:
                order.status = FINALIZED

    # --- rules: what must be refused, and move nothing ---

    @precondition(lambda self: self.orders)
    @rule(action=st.sampled_from([*sorted(LEGAL_IN), "pay", "resolve"]), pick=ANY)
    def something_refused(self, action: str, pick: int) -> None:
        """What an order's state forbids: refused with problem+json, and no money moves."""
        before = self._ledger()
        if action == "pay":
            done = [c for c in self.checkouts.values() if c.status != "awaiting_payment"]
            if done:
                started, _ = self._pay(nth(done, pick), CARD_SUCCESS)
                self._refused(started, before, 409, "checkout_not_payable")
        elif action == "resolve":
            if self.resolved:
                dispute = nth(sorted(self.resolved), pick)
                response = self.client.post(
                    f"/api/v1/disputes/{dispute}/resolve",
                    headers=self.market.ops,
                    json={"resolution": "release"},
                )
                self._refused(response, before, 409, "dispute_resolved")
        else:
            legal_in, code = LEGAL_IN[action]
            candidates = [o for o in self.orders.values() if o.status not in legal_in]
            if candidates:
                response = self._send(action, nth(candidates, pick))
                self._refused(response, before, 409, code)

    # --- after every step ---

    @invariant()
    def the_books_are_whole(self) -> None:
        with self.container.uow(read_only=True) as uow:
            breaches = check_ledger(uow)
            by_currency = sums_by_currency(uow)
            processor = processor_net_by_currency(uow)
            disagreeing = payments_disagreeing_with_processor(uow)
            failing = failing_timers(uow)
            statuses = dict(
                uow.conn.execute(select(orders_table.c.id, orders_table.c.status)).all()
            )
            balances = ledger_balances(uow)
        assert breaches == []
        assert {c: total for c, total in by_currency.items() if total} == {}
        clearing = {
            currency: balances.get(ledger.psp_clearing(currency), 0) for currency in USD_VALUE
        }
        assert clearing == {currency: processor[currency] for currency in USD_VALUE}, (
            "PSP clearing must equal what the processor captured, less refunds, less payouts"
        )
        assert disagreeing == []
        assert failing == []
        assert statuses == {o.id: o.status for o in self.orders.values()}
        assert balances == self.books.nonzero()


SETTINGS = settings(
    max_examples=15,
    stateful_step_count=30,
    deadline=None,
    # No shrinking: one replay takes about a second, so shrinking takes minutes. A failure
    # prints its whole sequence (at most 30 steps), every step says what it expected, the
    # example database replays it first on the next run, and the tests below keep the
    # smallest reproductions of what this machine found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_random_money_operations_keep_the_books_whole(db_url: str, tmp_path: Path) -> None:
    with prepared_market(db_url, tmp_path) as (clones, market):

        class Machine(LedgerMachine):
            pass

        Machine.clones, Machine.market = clones, market
        run_state_machine_as_test(Machine, settings=SETTINGS)


# --- what the machine found, as the smallest reproductions ------------------------------------


def _received_order(
    client: TestClient,
    container: Container,
    clock: ManualClock,
    shop_country: str,
    price_minor: int,
    buyer_currency: str,
) -> tuple[dict[str, str], Shop, dict[str, str], dict[str, Any]]:
    """One order from a shop in ``shop_country``, paid in ``buyer_currency``, shipped."""
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", shop_country)
    _, offer_id = list_product(client, shop, price_minor=price_minor, stock=10)
    add_fx_quotes(container)
    buyer = register(client, "buyer@example.com", country="IL", currency=buyer_currency)
    checkout = buy(client, buyer, offer_id)
    assert pay(client, container, clock, buyer, checkout["id"])["status"] == "captured"
    order = checkout["orders"][0]
    shipped = client.post(f"/api/v1/orders/{order['id']}/ship", headers=shop.headers, json={})
    assert shipped.status_code == 201, shipped.text
    return ops, shop, buyer, order


def _after_sales_refund(
    client: TestClient, ops: dict[str, str], order_id: str, amount_minor: int, key: str
) -> Any:
    return client.post(
        f"/api/v1/orders/{order_id}/refunds",
        headers={**ops, "Idempotency-Key": key},
        json={"amount_minor": amount_minor, "reason": "parts missing"},
    )


def test_paying_after_the_buyer_cancelled_one_order_books_what_the_processor_took(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    kept_shop = open_shop(client, ops, "kept@example.com", "US")
    dropped_shop = open_shop(client, ops, "dropped@example.com", "US")
    _, kept_offer = list_product(client, kept_shop, price_minor=2000, stock=5)
    _, dropped_offer = list_product(client, dropped_shop, price_minor=1000, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    lines = [{"offer_id": kept_offer, "quantity": 1}, {"offer_id": dropped_offer, "quantity": 1}]
    checkout = client.post(
        "/api/v1/checkouts",
        headers={**buyer, "Idempotency-Key": "checkout"},
        json={"ship_to": SHIP_TO, "lines": lines},
    ).json()
    order_of = {o["seller_id"]: o["id"] for o in checkout["orders"]}
    dropped = order_of[dropped_shop.seller_id]
    cancelled = client.post(f"/api/v1/orders/{dropped}/cancel", headers=buyer, json={})
    assert cancelled.json() == {"id": dropped, "status": "CANCELLED"}

    started = client.post(
        f"/api/v1/checkouts/{checkout['id']}/payment",
        headers={**buyer, "Idempotency-Key": "pay"},
    )
    if started.status_code == 201:  # paying the rest is fine; so would be refusing to
        page = started.json()["redirect_url"]
        client.post(page, data={"card_number": CARD_SUCCESS}, follow_redirects=False)
        deliver_all(client, container, clock)
    with container.uow(read_only=True) as uow:
        taken = processor_net_by_currency(uow)["USD"]
        booked = ledger_balances(uow).get(ledger.psp_clearing("USD"), 0)
        refused = uow.conn.execute(
            select(sandbox_psp_events.c.type, sandbox_psp_events.c.last_error).where(
                sandbox_psp_events.c.last_error.is_not(None)
            )
        ).all()
    kept = client.get(f"/api/v1/orders/{order_of[kept_shop.seller_id]}", headers=buyer).json()
    assert (taken, booked, kept["status"]) in {
        (2000, 2000, AWAITING_SHIPMENT),
        (0, 0, AWAITING_PAYMENT),
    }, (
        f"BUG: the buyer cancelled the 10.00 order of an unpaid 30.00 checkout, then paid: the "
        f"processor took {taken} (the cancelled order included), the ledger booked {booked}, "
        f"the kept order is {kept['status']}; webhook deliveries refused: {refused} "
        f"(payment.captured gets 409: mark_paid applies PAY to the cancelled order)"
    )
    assert_ledger_ok(container)


def test_a_checkout_whose_only_order_the_buyer_cancelled_is_not_payable(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "us@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=2500, stock=5)
    buyer = register(client, "noa@example.com", country="US")
    checkout = buy(client, buyer, offer_id)
    order_id = checkout["orders"][0]["id"]
    client.post(f"/api/v1/orders/{order_id}/cancel", headers=buyer, json={})
    started = client.post(
        f"/api/v1/checkouts/{checkout['id']}/payment",
        headers={**buyer, "Idempotency-Key": "pay"},
    )
    assert started.status_code == 409, (
        f"BUG: the buyer cancelled the checkout's only order, yet its payment page opens "
        f"({started.status_code}) to charge {checkout['total_minor']} for nothing: {started.text}"
    )
    assert_problem(started, 409, "checkout_not_payable")


def test_a_small_after_sales_refund_across_currencies_is_not_refused(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops, _, buyer, order = _received_order(client, container, clock, "JP", 12_345, "KWD")
    client.post(f"/api/v1/orders/{order['id']}/confirm-receipt", headers=buyer)
    refund = _after_sales_refund(client, ops, order["id"], 1, "tiny")
    assert refund.status_code == 201, (
        f"BUG: an after-sales refund of KWD 0.001 on a KWD {order['total_minor'] / 1000} order "
        f"of a JPY seller is refused: the seller's share of it rounds to 0 JPY and "
        f"ledger.refund_after_payout_with_fx rejects a zero amount: {refund.text}"
    )
    assert_ledger_ok(container)


def test_a_partial_dispute_refund_leaving_a_little_across_currencies_is_not_refused(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops, _, buyer, order = _received_order(client, container, clock, "JP", 12_345, "KWD")
    dispute = client.post(
        f"/api/v1/orders/{order['id']}/disputes",
        headers=buyer,
        json={"reason": "damaged", "message": "Only the box arrived."},
    ).json()
    resolved = client.post(
        f"/api/v1/disputes/{dispute['id']}/resolve",
        headers=ops,
        json={"resolution": "refund_partial", "refund_minor": order["total_minor"] - 1},
    )
    assert resolved.status_code == 200, (
        f"BUG: refunding all but KWD 0.001 of a KWD {order['total_minor'] / 1000} order of a JPY "
        f"seller is refused: the seller's share of the rest rounds to 0 JPY and "
        f"ledger.release_with_fx rejects a zero amount: {resolved.text}"
    )
    assert_ledger_ok(container)


def test_refunding_an_order_in_pieces_across_currencies_claws_back_the_sellers_price(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops, shop, buyer, order = _received_order(client, container, clock, "DE", 1_050, "JPY")
    client.post(f"/api/v1/orders/{order['id']}/confirm-receipt", headers=buyer)
    total = order["total_minor"]
    for number, amount in enumerate([1, 1, total - 2]):
        refund = _after_sales_refund(client, ops, order["id"], amount, f"piece-{number}")
        assert refund.status_code == 201, refund.text
    with container.uow(read_only=True) as uow:
        owed = ledger_balances(uow)[ledger.seller_receivable(shop.seller_id)]
    assert owed == 1_050, (
        f"BUG: the JPY {total} order of a EUR 10.50 seller was refunded in full, in pieces of "
        f"1, 1 and {total - 2} yen; the seller now owes back {owed} cents, not its price of "
        f"1050: each piece's share is rounded on its own instead of the refunds' running total"
    )
    assert_ledger_ok(container)
