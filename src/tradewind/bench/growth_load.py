"""Bulk loaders for ``tradewind bench growth``: a marketplace grown step by step, fast.

They bypass the request path (no HTTP, no per-order use case) but write the rows the engine
writes: products and offers from Chorus records (each pass over the catalog made distinct by a
deterministic variant suffix, price change and no GTIN), indexed by the search context's own
``index_products``; sellers and buyers; orders through their life (paid, shipped, confirmed,
released: ``FINALIZED``; one in five still ``AWAITING_SHIPMENT`` with its money in escrow), their
lines, events and escrow terms; the ledger transactions the engine posts for them, built by the
ledger's own domain functions (capture, release, payout), with their accounts and the running
balances (``ledger_balances``) kept beside them, so ``tradewind ledger check`` finds them clean.
Every statement is an executemany (psycopg pipelines them on PostgreSQL), a chunk per
transaction. History is dated in the past, one simulated day per chunk, so a ledger check
counts it as settled.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.bench.fixtures import bulk_buyers
from tradewind.bootstrap import Container
from tradewind.catalog import service as catalog
from tradewind.catalog.chorus_import import ImportReport, to_new_product
from tradewind.db.tables.catalog import offers, products, sellers
from tradewind.db.tables.escrow import escrow_terms, payouts
from tradewind.db.tables.identity import accounts
from tradewind.db.tables.ledger import (
    ledger_accounts,
    ledger_balances,
    ledger_entries,
    ledger_transactions,
)
from tradewind.db.tables.ordering import checkouts, order_events, order_lines, orders
from tradewind.identity.service import hash_password
from tradewind.kernel.ids import new_id
from tradewind.ledger import domain as ledger
from tradewind.money.amount import Money
from tradewind.search import service as search

CHUNK = 2000
COMMISSION_BPS = 800  # the default (escrow policy), as the engine's release uses it
VARIANTS = ("", "Edition B", "Edition C", "Edition D", "Edition E", "Edition F", "Edition G")
SHIP_TO = {
    "full_name": "Growth Buyer",
    "line1": "1 Load St",
    "city": "Austin",
    "region": "TX",
    "postal_code": "78701",
    "country": "US",
}
FX_USD = {
    "quote_id": None,
    "base": "USD",
    "quote": "USD",
    "rate": "1",
    "spread_bps": 0,
    "source": "identity",
    "quoted_at": None,
}


@dataclass(frozen=True)
class Shape:
    """What one size unit (1x) holds."""

    offers: int
    sellers: int
    buyers: int
    orders: int

    @classmethod
    def of(cls, base: int) -> Shape:
        return cls(base, max(2, base // 100), max(2, base // 10), max(2, base // 2))


@dataclass
class Loaded:
    """What is in the database so far (what the measurements use and the counts check)."""

    sellers: list[tuple[str, str]] = field(default_factory=list)  # (seller id, account id)
    buyers: list[str] = field(default_factory=list)
    offers: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    orders: int = 0
    finalized: int = 0
    transactions: int = 0
    entries: int = 0
    payouts: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


class Grower:
    """Grows one marketplace to ``size`` times ``shape``; the first seller is the big shop
    (a tenth of every step's offers), the one whose listings page is measured."""

    def __init__(self, container: Container, records: list[dict[str, Any]], shape: Shape):
        self.container = container
        self.records = records
        self.shape = shape
        self.size = 0
        self.day = 0
        self.loaded = Loaded()

    def grow_to(self, size: int) -> dict[str, float]:
        step = size - self.size
        started = time.perf_counter()
        self._timed("sellers", self._sellers, step * self.shape.sellers)
        self._timed("buyers", self._buyers, step * self.shape.buyers)
        self._timed("offers_and_index", self._offers, step * self.shape.offers)
        self._timed("orders_and_ledger", self.orders, step * self.shape.orders)
        self.size = size
        return {"load_s": round(time.perf_counter() - started, 1)}

    def _timed(self, name: str, fn: Any, count: int) -> None:
        started = time.perf_counter()
        fn(count)
        self.loaded.seconds[name] += time.perf_counter() - started

    def _sellers(self, count: int) -> None:
        shared = hash_password("growth-seller-password")
        now = self.container.clock.now()
        account_rows: list[dict[str, Any]] = []
        seller_rows: list[dict[str, Any]] = []
        for _ in range(count):
            account_id, seller_id = new_id("acct"), new_id("slr")
            n = len(self.loaded.sellers) + len(seller_rows) + 1
            account_rows.append(_seller_account(account_id, n, shared, now))
            seller_rows.append(_seller_row(seller_id, account_id, n, now))
            self.loaded.sellers.append((seller_id, account_id))
        with self.container.uow() as uow:
            uow.conn.execute(insert(accounts), account_rows)
            uow.conn.execute(insert(sellers), seller_rows)
            uow.commit()

    def _buyers(self, count: int) -> None:
        prefix = f"growth{len(self.loaded.buyers)}n"
        bulk_buyers(self.container.uow, count, prefix=prefix)
        with self.container.uow(read_only=True) as uow:
            found = uow.conn.scalars(
                select(accounts.c.id).where(accounts.c.email.like(f"{prefix}%"))
            )
            self.loaded.buyers += sorted(found)

    def _offers(self, count: int) -> None:
        first = len(self.loaded.offers)
        for start in range(first, first + count, CHUNK):
            picked = [self._variant(i) for i in range(start, min(first + count, start + CHUNK))]
            with self.container.uow() as uow:
                now = uow.clock.now()
                product_rows = [
                    catalog.product_values(p, created_by=None, now=now, source_ref=ref)
                    for p, ref, _ in picked
                ]
                offer_rows = [
                    self._offer_row(values, price, start + j, now)
                    for j, (values, (_, _, price)) in enumerate(
                        zip(product_rows, picked, strict=True)
                    )
                ]
                uow.conn.execute(insert(products), product_rows)
                uow.conn.execute(insert(offers), offer_rows)
                search.index_products(uow, [row["id"] for row in product_rows])
                uow.commit()

    def _variant(self, i: int) -> tuple[catalog.NewProduct, str, int]:
        """Offer ``i``: Chorus record ``i mod n`` in pass ``i div n``, made distinct."""
        raw = self.records[i % len(self.records)]
        lap = i // len(self.records)
        product = to_new_product(raw, ImportReport(files=0))
        price = max(100, int(raw.get("price") or 0)) * (100 + lap % 7) // 100
        if lap:
            suffix = VARIANTS[lap % len(VARIANTS)] or f"Lot {lap}"
            title = f"{product.title[: 490 - len(suffix)]} {suffix} {lap}"
            product = catalog.NewProduct(**{**_fields(product), "title": title, "gtin": None})
        return product, f"growth:{raw['id']}:{lap}", price

    def _offer_row(
        self, values: dict[str, Any], price: int, i: int, now: datetime
    ) -> dict[str, Any]:
        seller_id = self._seller_for(i)
        offer_id = new_id("ofr")
        self.loaded.offers.append((offer_id, seller_id, values["id"], values["title"], price))
        return {
            "id": offer_id,
            "product_id": values["id"],
            "seller_id": seller_id,
            "price_minor": price,
            "currency": "USD",
            "stock": 1000,
            "condition": "new",
            "status": "active",
            "shipping_services": ["registered_small_packet", "ems"],
            "free_shipping": False,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }

    def _seller_for(self, i: int) -> str:
        if i % 10 == 0:
            return self.loaded.sellers[0][0]
        return self.loaded.sellers[1 + i % (len(self.loaded.sellers) - 1)][0]

    def orders(self, count: int, *, pay_out: bool = True) -> int:
        """Adds ``count`` orders with their ledger, an hour of history per chunk, each chunk's
        releases paid out (unless not ``pay_out``); returns the ledger entries written."""
        written = 0
        first = self.loaded.orders
        for start in range(first, first + count, CHUNK):
            self.day += 1
            when = self.container.clock.now() - timedelta(days=400) + timedelta(hours=self.day)
            written += self._order_chunk(
                range(start, min(first + count, start + CHUNK)), when, pay_out
            )
        return written

    def _order_chunk(self, numbers: range, when: datetime, pay_out: bool) -> int:
        rows = _OrderRows(when)
        for n in numbers:
            offer_id, seller_id, product_id, title, price = self.loaded.offers[
                (n * 7919) % len(self.loaded.offers)
            ]
            buyer = self.loaded.buyers[n % len(self.loaded.buyers)]
            seller_account = self._account_of(seller_id)
            rows.order(n, buyer, (offer_id, seller_id, seller_account, product_id, title, price))
        if pay_out:
            rows.payouts_for_released()
        with self.container.uow() as uow:
            rows.write(uow.conn, self._next_tx_id(uow.conn))
            uow.commit()
        self.loaded.orders += len(numbers)
        self.loaded.finalized += rows.finalized
        self.loaded.transactions += len(rows.transactions)
        self.loaded.entries += rows.entry_count
        self.loaded.payouts += len(rows.payout_rows)
        return rows.entry_count

    def _account_of(self, seller_id: str) -> str:
        if not hasattr(self, "_accounts"):
            self._accounts: dict[str, str] = {}
        if seller_id not in self._accounts:
            self._accounts = dict(self.loaded.sellers)
        return self._accounts[seller_id]

    @staticmethod
    def _next_tx_id(conn: Connection) -> int:
        return (
            int(conn.scalar(select(func.coalesce(func.max(ledger_transactions.c.id), 0))) or 0) + 1
        )


def _fields(product: catalog.NewProduct) -> dict[str, Any]:
    return {name: getattr(product, name) for name in product.__dataclass_fields__}


def _seller_account(account_id: str, n: int, password_hash: str, now: datetime) -> dict[str, Any]:
    return {
        "id": account_id,
        "email": f"growth.seller{n}.{account_id[-6:].lower()}@bulk.test",
        "display_name": f"Growth Seller {n}",
        "role": "seller",
        "password_hash": password_hash,
        "country": "US",
        "currency": "USD",
        "locale": "en",
        "created_at": now,
    }


def _seller_row(seller_id: str, account_id: str, n: int, now: datetime) -> dict[str, Any]:
    return {
        "id": seller_id,
        "account_id": account_id,
        "name": f"Growth Shop {n} {seller_id[-6:]}",
        "country": "US",
        "currency": "USD",
        "status": "active",
        "ship_from": {"line1": "1 Dock", "city": "Austin", "postal_code": "", "country": "US"},
        "handling_days": 2,
        "commission_bps": None,
        "rating_sum": 0,
        "rating_count": 0,
        "created_at": now,
        "approved_at": now,
    }


class _OrderRows:
    """One chunk's rows: orders and their ledger transactions (built by the ledger's domain)."""

    def __init__(self, when: datetime) -> None:
        self.when = when
        self.checkouts: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.terms: list[dict[str, Any]] = []
        self.transactions: list[
            tuple[ledger.LedgerTransaction, str | None, str | None, str | None]
        ] = []
        self.payout_rows: list[dict[str, Any]] = []
        self.released: dict[str, int] = defaultdict(int)
        self.finalized = 0
        self.entry_count = 0

    def order(self, n: int, buyer: str, offer: tuple[str, str, str, str, str, int]) -> None:
        offer_id, seller_id, seller_account, product_id, title, price = offer
        order_id, checkout_id = new_id("ord"), new_id("chk")
        quantity = 1 + n % 3
        items = price * quantity
        done = n % 5 != 0
        status = "FINALIZED" if done else "AWAITING_SHIPMENT"
        at = self.when
        self.checkouts.append(_checkout_row(checkout_id, buyer, items, at))
        self.orders.append(
            _order_row(order_id, checkout_id, buyer, (seller_id, seller_account), status, items, at)
        )
        self.lines.append(_line_row(order_id, offer_id, product_id, title, quantity, price))
        self.events += _event_rows(order_id, done, at)
        amount = Money(items, "USD")
        ref = f"pi_growth_{order_id}"
        capture = ledger.capture(order_id, amount, f"capture:{ref}")
        self.transactions.append((capture, order_id, None, f"capture:{ref}"))
        if done:
            self.finalized += 1
            self.terms.append(_terms_row(order_id, at))
            key = f"release:{order_id}"
            tx = ledger.release(order_id, seller_id, amount, COMMISSION_BPS, key)
            self.transactions.append((tx, order_id, seller_id, None))
            self.released[seller_id] += -next(
                p.amount_minor for p in tx.postings if p.account == ledger.seller_payable(seller_id)
            )

    def payouts_for_released(self) -> None:
        """The day's payout batch: each seller paid what this chunk released to them."""
        for seller_id, owed in sorted(self.released.items()):
            key = f"payout:{seller_id}:USD:growth-{self.when.isoformat()}"
            tx = ledger.payout(seller_id, Money(owed, "USD"), key)
            self.transactions.append((tx, None, seller_id, f"payout:{key}"))
            self.payout_rows.append(
                {
                    "id": new_id("po"),
                    "seller_id": seller_id,
                    "currency": "USD",
                    "amount_minor": owed,
                    "netted_minor": 0,
                    "status": "paid",
                    "batch_key": key,
                    "created_at": self.when,
                }
            )

    def write(self, conn: Connection, first_tx_id: int) -> None:
        conn.execute(insert(checkouts), self.checkouts)
        conn.execute(insert(orders), self.orders)
        conn.execute(insert(order_lines), self.lines)
        conn.execute(insert(order_events), self.events)
        if self.terms:
            conn.execute(insert(escrow_terms), self.terms)
        if self.payout_rows:
            conn.execute(insert(payouts), self.payout_rows)
        self._write_ledger(conn, first_tx_id)

    def _write_ledger(self, conn: Connection, first_tx_id: int) -> None:
        tx_rows, entry_rows = [], []
        deltas: dict[str, list[int]] = {}
        names: dict[str, str] = {}
        for offset, (tx, order_id, seller_id, processor_ref) in enumerate(self.transactions):
            tx_id = first_tx_id + offset
            tx_rows.append(_tx_row(tx_id, tx, order_id, seller_id, processor_ref, self.when))
            for p in tx.postings:
                entry_rows.append(
                    {
                        "transaction_id": tx_id,
                        "account": p.account,
                        "currency": p.currency,
                        "amount_minor": p.amount_minor,
                        "created_at": self.when,
                    }
                )
                names[p.account] = p.currency
                delta = deltas.setdefault(p.account, [0, 0])
                delta[0] += p.amount_minor
                delta[1] += 1
        _ensure_accounts(conn, names, self.when)
        conn.execute(insert(ledger_transactions), tx_rows)
        conn.execute(insert(ledger_entries), entry_rows)
        _add_balances(conn, deltas)
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('ledger_transactions', 'id'), "
                    "(SELECT max(id) FROM ledger_transactions))"
                )
            )
        self.entry_count = len(entry_rows)


def _tx_row(
    tx_id: int,
    tx: ledger.LedgerTransaction,
    order_id: str | None,
    seller_id: str | None,
    processor_ref: str | None,
    when: datetime,
) -> dict[str, Any]:
    return {
        "id": tx_id,
        "idempotency_key": tx.idempotency_key,
        "kind": tx.kind,
        "memo": tx.memo,
        "order_id": order_id,
        "seller_id": seller_id,
        "created_at": when,
        "processor_ref": processor_ref,
    }


def _dialect(conn: Connection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


def _ensure_accounts(conn: Connection, names: dict[str, str], when: datetime) -> None:
    statement = _dialect(conn).insert(ledger_accounts).on_conflict_do_nothing()
    conn.execute(
        statement,
        [{"name": n, "currency": c, "created_at": when} for n, c in sorted(names.items())],
    )


def _add_balances(conn: Connection, deltas: dict[str, list[int]]) -> None:
    """The running balances, as the unit of work applies them at commit (accounts in order)."""
    statement = _dialect(conn).insert(ledger_balances)
    statement = statement.on_conflict_do_update(
        index_elements=[ledger_balances.c.account],
        set_={
            "balance_minor": ledger_balances.c.balance_minor + statement.excluded.balance_minor,
            "entry_count": ledger_balances.c.entry_count + statement.excluded.entry_count,
        },
    )
    rows = [
        {"account": name, "balance_minor": d[0], "entry_count": d[1]}
        for name, d in sorted(deltas.items())
    ]
    conn.execute(statement, rows)


def _checkout_row(checkout_id: str, buyer: str, total: int, at: datetime) -> dict[str, Any]:
    return {
        "id": checkout_id,
        "buyer_id": buyer,
        "status": "paid",
        "currency": "USD",
        "total_minor": total,
        "ship_to": SHIP_TO,
        "payment_due_at": at + timedelta(minutes=30),
        "payment_ref": f"pi_growth_{checkout_id}",
        "created_at": at,
        "paid_at": at,
    }


def _order_row(
    order_id: str,
    checkout_id: str,
    buyer: str,
    seller: tuple[str, str],
    status: str,
    items: int,
    at: datetime,
) -> dict[str, Any]:
    return {
        "id": order_id,
        "checkout_id": checkout_id,
        "buyer_id": buyer,
        "seller_id": seller[0],
        "seller_account_id": seller[1],
        "status": status,
        "version": 5 if status == "FINALIZED" else 2,
        "currency": "USD",
        "items_minor": items,
        "shipping_minor": 0,
        "duty_minor": 0,
        "vat_minor": 0,
        "discount_minor": 0,
        "total_minor": items,
        "seller_currency": "USD",
        "seller_items_minor": items,
        "seller_shipping_minor": 0,
        "fx": {**FX_USD, "quoted_at": at.isoformat()},
        "landed_cost": None,
        "shipping_service": "registered_small_packet",
        "ship_by_at": at + timedelta(days=2),
        "created_at": at,
        "updated_at": at,
    }


def _line_row(
    order_id: str, offer_id: str, product_id: str, title: str, quantity: int, price: int
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "offer_id": offer_id,
        "product_id": product_id,
        "title": title,
        "quantity": quantity,
        "unit_price_minor": price,
        "line_total_minor": price * quantity,
        "seller_unit_price_minor": price,
        "hs_code": "854442",
        "origin_country": "US",
    }


LIFE = (
    ("pay", "AWAITING_PAYMENT", "AWAITING_SHIPMENT"),
    ("ship", "AWAITING_SHIPMENT", "AWAITING_RECEIPT"),
    ("confirm_receipt", "AWAITING_RECEIPT", "COMPLETED"),
    ("finalize", "COMPLETED", "FINALIZED"),
)


def _event_rows(order_id: str, done: bool, at: datetime) -> list[dict[str, Any]]:
    placed = {
        "order_id": order_id,
        "event": "placed",
        "from_status": None,
        "to_status": "AWAITING_PAYMENT",
        "actor_id": None,
        "note": "",
        "at": at,
    }
    steps = LIFE if done else LIFE[:1]
    return [placed] + [
        {
            "order_id": order_id,
            "event": event,
            "from_status": before,
            "to_status": after,
            "actor_id": None,
            "note": "",
            "at": at,
        }
        for event, before, after in steps
    ]


def _terms_row(order_id: str, at: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "shipping_kind": "express",
        "shipped_at": at,
        "auto_confirm_at": at + timedelta(days=20),
        "extended": 0,
        "delivered_at": at,
        "released_at": at,
    }
