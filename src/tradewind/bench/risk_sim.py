"""A seeded simulated month of marketplace traffic with labelled fraud mixed in.

Honest traffic has the awkward cases real traffic has: households sharing an address and a
tablet, travellers paying from abroad, gifts shipped to another country, sellers shipping
through a neighbouring country's post, parcels the post never scans, new accounts that buy
something expensive, sellers who change their bank account from a new laptop, a few honest
item-not-received claims. Fraud is injected by pattern, each in several variants, and every
fraudulent subject (order, buyer or seller) is labelled with its pattern.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tradewind.logistics.s10 import issue_s10
from tradewind.risk.domain import EventKind, RiskEvent, SubjectKind

MONTH_START = datetime(2026, 3, 1, tzinfo=UTC)
MONTH_DAYS = 30
USD_RATE = {"USD": 1.0, "EUR": 0.92, "ILS": 3.7, "GBP": 0.79}
BUYER_COUNTRIES = {"IL": "ILS", "DE": "EUR", "US": "USD", "FR": "EUR", "GB": "GBP"}
SELLER_COUNTRIES = ("CN", "CN", "CN", "US", "DE", "JP", "GB")
NEIGHBOUR_POST = {"CN": "HK", "US": "CA", "DE": "NL", "JP": "KR", "GB": "IE"}


@dataclass
class Month:
    events: list[RiskEvent] = field(default_factory=list)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    honest_checkouts: set[str] = field(default_factory=set)
    orders: int = 0


@dataclass
class _Buyer:
    id: str
    country: str
    device: str
    ip: str
    card: str
    address: str
    signed_up: datetime


@dataclass
class _Seller:
    id: str
    country: str
    device: str
    ip: str
    address: str
    neighbour_post: bool


class Simulator:
    def __init__(self, seed: int, honest_orders: int) -> None:
        self.rng = random.Random(seed)
        self.month = Month()
        self.honest_orders = honest_orders
        self._n = 0
        self._serial = 0

    # -- helpers ---------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_{self._n:07d}"

    def _token(self, prefix: str) -> str:
        return f"{prefix}{self.rng.getrandbits(48):012x}"

    def _ip(self) -> str:
        r = self.rng
        return f"{r.randint(11, 220)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def _tracking(self, country: str) -> str:
        self._serial += 1
        return str(issue_s10("RR", self._serial, country))

    def _at(self, day_from: float = 0, day_to: float = MONTH_DAYS) -> datetime:
        return MONTH_START + timedelta(days=self.rng.uniform(day_from, day_to))

    def emit(self, kind: EventKind, at: datetime, account: str, **fields: object) -> None:
        self.month.events.append(RiskEvent(kind, at, account, **fields))  # type: ignore[arg-type]

    def value_minor(self, usd: float, currency: str) -> int:
        return max(100, int(usd * USD_RATE[currency] * 100))

    def honest_usd(self) -> float:
        return math.exp(self.rng.gauss(math.log(25), 0.9))

    # -- people ----------------------------------------------------------------------------

    def buyer(self, signed_up: datetime, *, household: _Buyer | None = None) -> _Buyer:
        country = household.country if household else self.rng.choice(list(BUYER_COUNTRIES))
        b = _Buyer(
            id=self._id("acc"),
            country=country,
            device=household.device
            if household and self.rng.random() < 0.5
            else self._token("dev"),
            ip=household.ip if household else self._ip(),
            card=self._token("card"),
            address=household.address if household else self._token("addr"),
            signed_up=signed_up,
        )
        self.emit(EventKind.SIGNUP, signed_up, b.id, device=b.device, ip=b.ip)
        self.emit(
            EventKind.ADDRESS_ADDED, signed_up + timedelta(minutes=5), b.id, address=b.address
        )
        return b

    def seller(self) -> _Seller:
        country = self.rng.choice(SELLER_COUNTRIES)
        s = _Seller(
            self._id("sel"),
            country,
            self._token("dev"),
            self._ip(),
            self._token("addr"),
            neighbour_post=self.rng.random() < 0.1,
        )
        at = MONTH_START - timedelta(days=self.rng.uniform(60, 700))
        self.emit(EventKind.SIGNUP, at, s.id, device=s.device, ip=s.ip)
        self.emit(EventKind.ADDRESS_ADDED, at, s.id, address=s.address)
        return s

    # -- one order, end to end -------------------------------------------------------------

    def order(
        self,
        buyer: _Buyer,
        seller: _Seller,
        at: datetime,
        usd: float,
        *,
        card: str | None = None,
        device: str | None = None,
        ip: str | None = None,
        billing: str | None = None,
        client: str | None = None,
        shipping: str | None = None,
        checkout_id: str | None = None,
    ) -> str:
        order_id = self._id("ord")
        self.month.orders += 1
        ship_to = shipping or buyer.country
        currency = BUYER_COUNTRIES.get(buyer.country, "USD")
        self.emit(
            EventKind.LOGIN,
            at - timedelta(minutes=2),
            buyer.id,
            device=device or buyer.device,
            ip=ip or buyer.ip,
        )
        self.emit(
            EventKind.CHECKOUT,
            at,
            buyer.id,
            order_id=order_id,
            checkout_id=checkout_id or order_id,
            seller_id=seller.id,
            amount_minor=self.value_minor(usd, currency),
            currency=currency,
            device=device or buyer.device,
            ip=ip or buyer.ip,
            card=card or buyer.card,
            address=buyer.address,
            billing_country=billing or buyer.country,
            shipping_country=ship_to,
            client_country=client or buyer.country,
            seller_country=seller.country,
        )
        self.emit(
            EventKind.PAYMENT,
            at + timedelta(minutes=1),
            buyer.id,
            order_id=order_id,
            card=card or buyer.card,
            billing_country=billing or buyer.country,
        )
        return order_id

    def ship(
        self,
        seller: _Seller,
        buyer: _Buyer,
        order_id: str,
        at: datetime,
        *,
        number: str | None = None,
        scanned: bool = True,
        delivered: bool = True,
        confirm_after: timedelta | None = None,
        shipping: str | None = None,
    ) -> datetime:
        shipped = at + timedelta(hours=self.rng.uniform(6, 72))
        post = NEIGHBOUR_POST[seller.country] if seller.neighbour_post else seller.country
        number = number or self._tracking(post)
        self.emit(
            EventKind.SHIPMENT,
            shipped,
            seller.id,
            order_id=order_id,
            buyer_id=buyer.id,
            seller_id=seller.id,
            tracking_number=number,
            seller_country=seller.country,
            shipping_country=shipping or buyer.country,
        )
        if not scanned:
            return shipped
        scan = shipped + timedelta(hours=self.rng.uniform(4, 70))
        self.emit(EventKind.TRACKING, scan, seller.id, order_id=order_id, tracking_number=number)
        if not delivered:
            return shipped
        arrival = scan + timedelta(days=self.rng.uniform(4, 18))
        self.emit(EventKind.DELIVERED, arrival, buyer.id, order_id=order_id, buyer_id=buyer.id)
        if confirm_after is None and self.rng.random() < 0.6:
            confirm_after = arrival - shipped + timedelta(hours=self.rng.uniform(1, 96))
        if confirm_after is not None:
            self.emit(EventKind.CONFIRM, shipped + confirm_after, buyer.id, order_id=order_id)
        return shipped

    def label(self, kind: SubjectKind, subject: str, pattern: str) -> None:
        self.month.labels[(kind.value, subject)] = pattern


def simulate(seed: int = 18, honest_orders: int = 20_000) -> Month:
    """The month: honest traffic first, then each fraud pattern; events sorted by time."""
    from tradewind.bench import risk_fraud

    sim = Simulator(seed, honest_orders)
    sellers = [sim.seller() for _ in range(220)]
    buyers = _honest_buyers(sim)
    _honest_orders(sim, buyers, sellers)
    _honest_sellers_life(sim, sellers)
    risk_fraud.inject(sim, sellers)
    sim.month.events.sort(key=lambda e: e.at)
    return sim.month


def _honest_buyers(sim: Simulator) -> list[_Buyer]:
    buyers: list[_Buyer] = []
    while len(buyers) < sim.honest_orders // 3:
        new = sim.rng.random() < 0.12
        signed = sim._at() if new else MONTH_START - timedelta(days=sim.rng.uniform(10, 900))
        first = sim.buyer(signed)
        buyers.append(first)
        if sim.rng.random() < 0.06:  # a household: two or three accounts, one address
            buyers.extend(sim.buyer(signed, household=first) for _ in range(sim.rng.randint(1, 2)))
    return buyers


def _honest_orders(sim: Simulator, buyers: list[_Buyer], sellers: list[_Seller]) -> None:
    r = sim.rng
    popular = sellers[:180]
    for _ in range(sim.honest_orders):
        at = sim._at(0, MONTH_DAYS - 1)
        buyer = r.choice(buyers)
        while buyer.signed_up > at:  # nobody buys before signing up
            buyer = r.choice(buyers)
        seller = r.choice(popular)
        options: dict[str, object] = {}
        roll = r.random()
        if roll < 0.03:  # travelling: paying from abroad
            options["client"] = r.choice(["TR", "TH", "ES", "GR"])
        elif roll < 0.05:  # a gift to someone abroad
            options["shipping"] = r.choice([c for c in BUYER_COUNTRIES if c != buyer.country])
        elif roll < 0.07:  # a second card
            options["card"] = sim._token("card")
        order_id = sim.order(buyer, seller, at, sim.honest_usd(), **options)  # type: ignore[arg-type]
        sim.month.honest_checkouts.add(order_id)
        fate = r.random()
        shipping = options.get("shipping")
        ship_to = shipping if isinstance(shipping, str) else None
        if fate < 0.015:  # the post never scans it
            sim.ship(seller, buyer, order_id, at, scanned=False, shipping=ship_to)
            if r.random() < 0.5:
                sim.emit(
                    EventKind.CLAIM,
                    at + timedelta(days=25),
                    buyer.id,
                    order_id=order_id,
                    reason="item_not_received",
                )
            continue
        sim.ship(seller, buyer, order_id, at, shipping=ship_to)
        if r.random() < 0.01:  # delivered, yet the buyer says it never came
            sim.emit(
                EventKind.CLAIM,
                at + timedelta(days=20),
                buyer.id,
                order_id=order_id,
                reason="item_not_received",
            )


def _honest_sellers_life(sim: Simulator, sellers: list[_Seller]) -> Iterator[None] | None:
    r = sim.rng
    for seller in sellers:
        for week in range(4):
            payout_at = MONTH_START + timedelta(days=7 * week + 6, hours=r.uniform(0, 3))
            sim.emit(EventKind.PAYOUT, payout_at, seller.id, seller_id=seller.id)
        if r.random() < 0.08:  # a new bank account; sometimes set from a new laptop
            at = sim._at()
            device = sim._token("dev") if r.random() < 0.25 else seller.device
            sim.emit(EventKind.LOGIN, at, seller.id, device=device, ip=seller.ip)
            sim.emit(
                EventKind.PAYOUT_DESTINATION,
                at + timedelta(minutes=3),
                seller.id,
                device=device,
                ip=seller.ip,
            )
    return None
