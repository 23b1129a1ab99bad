"""The fraud injected into the simulated month: each pattern of issue 18, in variants."""

from __future__ import annotations

from datetime import timedelta

from tradewind.bench.risk_sim import (
    BUYER_COUNTRIES,
    MONTH_DAYS,
    MONTH_START,
    Simulator,
    _Buyer,
    _Seller,
)
from tradewind.risk.domain import EventKind, SubjectKind

ORDER = SubjectKind.ORDER


def inject(sim: Simulator, sellers: list[_Seller]) -> None:
    _velocity(sim, sellers)
    _new_accounts(sim, sellers)
    _country_mismatch(sim, sellers)
    _not_received(sim, sellers)
    _non_delivery(sim)
    _takeover(sim, sellers)
    _collusion(sim)


def _velocity(sim: Simulator, sellers: list[_Seller]) -> None:
    """Stolen cards spent fast: one account, one card, one device, or many fresh accounts
    behind one device or card, placing many checkouts within hours."""
    r = sim.rng
    for n in range(40):
        start = sim._at(1, MONTH_DAYS - 2)
        variant = n % 4
        base = sim.buyer(start - timedelta(days=r.uniform(5, 200)))
        card, device = sim._token("card"), sim._token("dev")
        for i in range(r.randint(7, 14)):
            buyer = (
                base if variant in (0, 1) else sim.buyer(start - timedelta(days=r.uniform(4, 40)))
            )
            at = start + timedelta(minutes=25 * i + r.uniform(0, 20))
            order = sim.order(
                buyer,
                r.choice(sellers),
                at,
                r.uniform(40, 300),
                card=card if variant in (0, 2) else sim._token("card"),
                device=device if variant in (1, 3) else None,
            )
            sim.label(ORDER, order, "buyer_velocity")


def _new_accounts(sim: Simulator, sellers: list[_Seller]) -> None:
    """A fresh account's first order is an expensive one, within hours of signing up."""
    r = sim.rng
    for _ in range(60):
        signed = sim._at(0, MONTH_DAYS - 2)
        buyer = sim.buyer(signed)
        at = signed + timedelta(hours=r.uniform(0.2, 40))
        order = sim.order(buyer, r.choice(sellers), at, r.uniform(450, 2500))
        sim.label(ORDER, order, "new_account_high_value")


def _country_mismatch(sim: Simulator, sellers: list[_Seller]) -> None:
    """A card from one country, shipped to a second, paid from a third (a proxy)."""
    r = sim.rng
    for _ in range(60):
        buyer = sim.buyer(MONTH_START - timedelta(days=r.uniform(5, 300)))
        others = [c for c in BUYER_COUNTRIES if c != buyer.country]
        billing = r.choice(others)
        client = r.choice(["RU", "NG", "VN", "BR", "UA", "ID"])
        order = sim.order(
            buyer,
            r.choice(sellers),
            sim._at(0, MONTH_DAYS - 1),
            r.uniform(30, 400),
            card=sim._token("card"),
            billing=billing,
            client=client,
        )
        sim.label(ORDER, order, "country_mismatch")


def _not_received(sim: Simulator, sellers: list[_Seller]) -> None:
    """Buyers who claim 'never arrived' for parcels the post delivered."""
    r = sim.rng
    for _ in range(30):
        buyer = sim.buyer(MONTH_START - timedelta(days=r.uniform(30, 400)))
        count = r.randint(3, 7)
        claims = r.sample(range(count), k=max(2, count // 2))
        for i in range(count):
            seller = r.choice(sellers)
            at = MONTH_START - timedelta(days=40) + timedelta(days=r.uniform(0, 55))
            order = sim.order(buyer, seller, at, sim.honest_usd() * 2)
            sim.ship(seller, buyer, order, at)
            if i in claims:
                sim.emit(
                    EventKind.CLAIM,
                    at + timedelta(days=r.uniform(18, 30)),
                    buyer.id,
                    order_id=order,
                    reason="item_not_received",
                )
        sim.label(SubjectKind.BUYER, buyer.id, "not_received_abuse")


def _fraud_seller(sim: Simulator, country: str) -> _Seller:
    seller = sim.seller()
    seller.country = country
    return seller


def _non_delivery(sim: Simulator) -> None:
    """Sellers who take the money and ship nothing: numbers the post never scans, one number
    on many orders, or a number from the buyer's own country's post."""
    r = sim.rng
    for n in range(18):
        seller = _fraud_seller(sim, r.choice(["CN", "US", "DE"]))
        buyers = [sim.buyer(MONTH_START - timedelta(days=r.uniform(10, 400))) for _ in range(12)]
        reused = sim._tracking(seller.country)
        for i, buyer in enumerate(buyers):
            at = sim._at(0, MONTH_DAYS - 8)
            order = sim.order(buyer, seller, at, r.uniform(20, 150))
            honest_share = i < 3  # a few parcels go out properly, to look alive
            if honest_share or (n % 3 == 0 and i % 2):
                sim.ship(seller, buyer, order, at)
            elif n % 3 == 0:
                sim.ship(seller, buyer, order, at, scanned=False)
            elif n % 3 == 1:
                sim.ship(seller, buyer, order, at, number=reused, scanned=i == 3)
            else:
                sim.ship(
                    seller, buyer, order, at, number=sim._tracking(buyer.country), delivered=False
                )
        sim.label(SubjectKind.SELLER, seller.id, "seller_non_delivery")


def _takeover(sim: Simulator, sellers: list[_Seller]) -> None:
    """Someone else logs in to an established shop and moves its payouts to their account."""
    r = sim.rng
    for seller in r.sample(sellers[180:], k=15):
        week = r.randint(0, 3)
        payout_at = MONTH_START + timedelta(days=7 * week + 6)
        at = payout_at - timedelta(hours=r.uniform(2, 60))
        device, ip = sim._token("dev"), sim._ip()
        sim.emit(EventKind.LOGIN, at, seller.id, device=device, ip=ip)
        sim.emit(
            EventKind.PAYOUT_DESTINATION, at + timedelta(minutes=4), seller.id, device=device, ip=ip
        )
        sim.label(SubjectKind.SELLER, seller.id, "account_takeover")


def _collusion(sim: Simulator) -> None:
    """A seller buying from itself: through accounts sharing its device or address, or a few
    accounts that buy most of its sales and confirm receipt minutes after shipment."""
    r = sim.rng
    for n in range(16):
        seller = _fraud_seller(sim, "CN")
        if n % 2 == 0:
            _self_dealing(sim, seller)
        else:
            _ring(sim, seller)
        sim.label(SubjectKind.SELLER, seller.id, "collusion")
    del r


def _self_dealing(sim: Simulator, seller: _Seller) -> None:
    r = sim.rng
    for _ in range(r.randint(3, 6)):
        buyer = sim.buyer(sim._at(0, 10))
        if r.random() < 0.5:
            buyer.device = seller.device
        else:
            buyer.address = seller.address
        at = buyer.signed_up + timedelta(days=r.uniform(0.5, 15))
        order = sim.order(buyer, seller, at, r.uniform(20, 200))
        sim.ship(seller, buyer, order, at)
        sim.label(ORDER, order, "collusion")


def _ring(sim: Simulator, seller: _Seller) -> None:
    r = sim.rng
    ring = [sim.buyer(MONTH_START - timedelta(days=r.uniform(5, 60))) for _ in range(3)]
    others = [sim.buyer(MONTH_START - timedelta(days=r.uniform(5, 600))) for _ in range(3)]
    for i in range(r.randint(10, 16)):
        buyer: _Buyer = ring[i % 3] if i % 5 else r.choice(others)
        at = sim._at(0, MONTH_DAYS - 3)
        order = sim.order(buyer, seller, at, r.uniform(30, 300))
        quick = timedelta(minutes=r.uniform(3, 40)) if buyer in ring else None
        sim.ship(seller, buyer, order, at, confirm_after=quick)
