"""The waitlist, and units coming back from cancelled or expired flash-sale orders.

When a flash-sale order is cancelled (its hold expired unpaid, or the buyer or seller cancelled
it), ordering publishes ``StockReturning`` and :func:`on_stock_returning` (subscribed in
``tradewind.bootstrap``) marks its claim ``releasing`` and schedules a ``flash.release`` timer,
in the same transaction. :func:`release_claim` runs that timer: it moves the claim to
``released`` with a conditional update (so a timer that runs twice returns the units once),
gives the buyer's allowance back, and hands the units to the waitlist in join order, one unit
per place, each as a new claim with its own order and hold. Only what nobody waiting can take
goes back to the pool. Every step runs under the sale's row lock, like the claim writer, so the
waitlist is always served before a new claim can take the units.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, select, update

from tradewind.db.tables.flash import flash_buyers, flash_claims, flash_sales, flash_waitlist
from tradewind.db.uow import UnitOfWork
from tradewind.flash._orders import NewClaim, insert_claims, quotes_by_currency
from tradewind.flash.claims import buyer_units, lock_sale, write_counts
from tradewind.flash.domain import (
    MAX_WAITLIST_PER_SALE,
    BuyerLimitReached,
    ClaimStatus,
    NotSoldOut,
    Waiting,
    WaitStatus,
    refusal,
    serve_waitlist,
)
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import LimitExceeded, NotFound
from tradewind.money.fx import FxQuote
from tradewind.ordering.orders import StockReturning
from tradewind.timers.service import schedule

RELEASE_KIND = "flash.release"
MAX_WAITLIST_SCAN = 200  # places looked at per release; skipped ones do not block the line


def join_waitlist(
    uow: UnitOfWork, principal: Principal, sale_id: str, ship_to: Mapping[str, str]
) -> dict[str, Any]:
    """Take a place in line for released units (one per buyer and sale; joining twice returns
    the same place). Open only while the sale runs and its pool is empty."""
    require_role(principal, Role.BUYER)
    sale = lock_sale(uow, sale_id)  # serialises with releases: no unit slips past the line
    if sale is None:
        raise NotFound("flash sale not found")
    existing = waitlist_entry(uow, sale_id, principal.account_id)
    if existing is not None:
        return existing
    now = uow.clock.now()
    closed = refusal(now, sale["starts_at"], sale["ends_at"], sold_out=False)
    if closed is not None:
        raise closed
    if sale["remaining_units"] > 0:
        raise NotSoldOut(f"{sale['remaining_units']} units are still available: claim one")
    held = buyer_units(uow, sale_id, {principal.account_id}).get(principal.account_id, 0)
    if held + 1 > sale["per_buyer_limit"]:
        raise BuyerLimitReached(f"you already hold or bought {held} units, the limit")
    if waiting_count(uow, sale_id) >= MAX_WAITLIST_PER_SALE:
        raise LimitExceeded(f"the waitlist is full ({MAX_WAITLIST_PER_SALE} places)")
    uow.conn.execute(
        insert(flash_waitlist).values(
            sale_id=sale_id,
            buyer_id=principal.account_id,
            currency=principal.currency,
            ship_to=dict(ship_to),
            status=WaitStatus.WAITING.value,
            claim_id=None,
            joined_at=now,
            decided_at=None,
        )
    )
    entry = waitlist_entry(uow, sale_id, principal.account_id)
    assert entry is not None
    return entry


def waitlist_entry(uow: UnitOfWork, sale_id: str, buyer_id: str) -> dict[str, Any] | None:
    """The buyer's place: status, and (while waiting) how many are ahead of them plus one."""
    row = uow.conn.execute(
        select(flash_waitlist).where(
            flash_waitlist.c.sale_id == sale_id, flash_waitlist.c.buyer_id == buyer_id
        )
    ).first()
    if row is None:
        return None
    position = None
    if row.status == WaitStatus.WAITING.value:
        position = waiting_count(uow, sale_id, up_to_id=row.id)
    keys = ("id", "sale_id", "status", "claim_id", "joined_at", "decided_at")
    return {**{k: row._mapping[k] for k in keys}, "position": position}


def waiting_count(uow: UnitOfWork, sale_id: str, up_to_id: int | None = None) -> int:
    """Places still waiting (up to and including ``up_to_id``: a buyer's position)."""
    query = (
        select(func.count())
        .select_from(flash_waitlist)
        .where(
            flash_waitlist.c.sale_id == sale_id,
            flash_waitlist.c.status == WaitStatus.WAITING.value,
        )
    )
    if up_to_id is not None:
        query = query.where(flash_waitlist.c.id <= up_to_id)
    return int(uow.conn.scalar(query) or 0)


def on_stock_returning(uow: UnitOfWork, event: StockReturning) -> bool:
    """Subscriber: a cancelled flash-sale order's units go back to its sale, not the offer.

    False for an order that is no claim. Why a timer and not the release itself: the units go
    to the waitlist first, which creates orders in their own transaction; the timer runs it
    exactly once (the claim moves releasing -> released conditionally).
    """
    claim_id = uow.conn.scalar(
        select(flash_claims.c.id).where(flash_claims.c.order_id == event.order_id)
    )
    if claim_id is None:
        return False
    uow.conn.execute(
        update(flash_claims)
        .where(flash_claims.c.id == claim_id, flash_claims.c.status == ClaimStatus.ACTIVE.value)
        .values(status=ClaimStatus.RELEASING.value)
    )
    schedule(
        uow,
        kind=RELEASE_KIND,
        dedupe_key=f"{RELEASE_KIND}:{claim_id}",
        due_at=uow.clock.now(),
        payload={"claim_id": claim_id},
    )
    return True


def release_claim(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
    """Timer handler for ``flash.release``: the claim's units go back, exactly once."""
    claim = uow.conn.execute(
        select(flash_claims).where(flash_claims.c.id == str(payload["claim_id"]))
    ).first()
    if claim is None:
        return
    sale = lock_sale(uow, claim.sale_id)
    assert sale is not None  # a claim's sale is never deleted
    now = uow.clock.now()
    changed = uow.conn.execute(
        update(flash_claims)
        .where(flash_claims.c.id == claim.id, flash_claims.c.status == ClaimStatus.RELEASING.value)
        .values(status=ClaimStatus.RELEASED.value, released_at=now)
    ).rowcount
    if changed != 1:
        return  # already released by an earlier run of this timer
    uow.conn.execute(
        update(flash_buyers)
        .where(flash_buyers.c.sale_id == sale["id"], flash_buyers.c.buyer_id == claim.buyer_id)
        .values(units=flash_buyers.c.units - claim.quantity)
    )
    live = refusal(now, sale["starts_at"], sale["ends_at"], sold_out=False) is None
    served = _serve(uow, sale, claim.quantity) if live else 0
    uow.conn.execute(
        update(flash_sales)
        .where(flash_sales.c.id == sale["id"])
        .values(
            remaining_units=flash_sales.c.remaining_units + (claim.quantity - served),
            claim_seq=flash_sales.c.claim_seq + served,
            version=flash_sales.c.version + 1,
            updated_at=now,
        )
    )


def _serve(uow: UnitOfWork, sale: dict[str, Any], units: int) -> int:
    """Hand up to ``units`` units to the waitlist; returns how many were handed out."""
    rows = uow.conn.execute(
        select(flash_waitlist)
        .where(
            flash_waitlist.c.sale_id == sale["id"],
            flash_waitlist.c.status == WaitStatus.WAITING.value,
        )
        .order_by(flash_waitlist.c.id)
        .limit(MAX_WAITLIST_SCAN)
    ).all()
    if not rows:
        return 0
    now = uow.clock.now()
    quotes = quotes_by_currency(uow, sale["currency"], {r.currency for r in rows}, now)
    payable = [r for r in rows if isinstance(quotes[r.currency], FxQuote)]
    before = buyer_units(uow, sale["id"], {r.buyer_id for r in payable})
    plan = serve_waitlist(
        units, [Waiting(r.id, r.buyer_id) for r in payable], before, sale["per_buyer_limit"]
    )
    by_id = {r.id: r for r in rows}
    chosen = [by_id[w.entry_id] for w in plan.served]
    claims = insert_claims(
        uow,
        sale,
        [NewClaim(r.buyer_id, r.currency, r.ship_to, 1, "waitlist") for r in chosen],
        {c: q for c, q in quotes.items() if isinstance(q, FxQuote)},
        first_seq=int(sale["claim_seq"]) + 1,
        now=now,
    )
    write_counts(uow, sale, {r.buyer_id: before.get(r.buyer_id, 0) + 1 for r in chosen})
    for row, claim in zip(chosen, claims, strict=True):
        _decide(uow, row.id, WaitStatus.SERVED, claim["id"])
    for waiting in plan.skipped:
        _decide(uow, waiting.entry_id, WaitStatus.SKIPPED, None)
    return len(chosen)


def _decide(uow: UnitOfWork, entry_id: int, status: WaitStatus, claim_id: str | None) -> None:
    uow.conn.execute(
        update(flash_waitlist)
        .where(flash_waitlist.c.id == entry_id)
        .values(status=status.value, claim_id=claim_id, decided_at=uow.clock.now())
    )
