"""Pure flash-sale rules: campaign terms, the claim decision, waitlist service, refusals.

No I/O here. The claim writer feeds :func:`decide_claims` the truth it read under the sale's row
lock and writes back what it decided; the per-process gate asks :func:`refusal` whether it may
answer without the database. Keeping the decision pure is what lets one writer judge hundreds of
claims in one transaction and lets the tests try every interleaving without a server.

Exception tree (every one a ``Conflict``, answered 409 with a stable ``code``)::

    Conflict
    ├── NotStarted          not_started          the sale has not begun (server time)
    ├── SaleEnded           ended                the sale is over
    ├── SoldOut             sold_out             the pool has fewer units than asked for
    ├── BuyerLimitReached   buyer_limit_reached  the buyer would hold more than the per-buyer limit
    └── NotSoldOut          not_sold_out         the waitlist opens only once the pool is empty
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tradewind.kernel.errors import Conflict, FieldError, IdempotencyKeyReused, InvalidInput
from tradewind.kernel.problems import ProblemCode

MAX_POOL_UNITS = 1_000_000
MAX_UNITS_PER_CLAIM = 10
MIN_HOLD_S = 60
MAX_HOLD_S = 24 * 3600
MAX_SALE_DURATION_S = 7 * 24 * 3600
MAX_START_AHEAD_S = 90 * 24 * 3600
START_GRACE_S = 300  # a sale may start up to this far in the past ("now-ish")
MAX_WAITLIST_PER_SALE = 100_000


class NotStarted(Conflict):
    code = ProblemCode.NOT_STARTED
    title = "The sale has not started"


class SaleEnded(Conflict):
    code = ProblemCode.ENDED
    title = "The sale has ended"


class SoldOut(Conflict):
    code = ProblemCode.SOLD_OUT
    title = "Sold out"


class BuyerLimitReached(Conflict):
    code = ProblemCode.BUYER_LIMIT_REACHED
    title = "Per-buyer limit reached"


class NotSoldOut(Conflict):
    code = ProblemCode.NOT_SOLD_OUT
    title = "Units are still available"


class Phase(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    SOLD_OUT = "sold_out"
    ENDED = "ended"


class ClaimStatus(StrEnum):
    """A claim's units: ``active`` (held or paid), ``releasing`` (order cancelled, units on their
    way back), ``released`` (back in the pool or handed to the waitlist, exactly once)."""

    ACTIVE = "active"
    RELEASING = "releasing"
    RELEASED = "released"


class WaitStatus(StrEnum):
    WAITING = "waiting"
    SERVED = "served"
    SKIPPED = "skipped"  # the buyer reached the limit meanwhile


@dataclass(frozen=True, slots=True)
class Terms:
    """What a seller or operator asks for when creating a campaign."""

    price_minor: int
    pool_units: int
    per_buyer_limit: int
    hold_s: int
    starts_at: datetime
    ends_at: datetime


def validate_terms(terms: Terms, *, now: datetime, offer_price_minor: int) -> Terms:
    """Refuse terms that break a limit; the sale price may not exceed the offer's price."""
    problems: list[FieldError] = []

    def check(ok: bool, field: str, message: str) -> None:
        if not ok:
            problems.append(FieldError(field, message, "out_of_range"))

    check(1 <= terms.price_minor <= offer_price_minor, "price_minor", "1 to the offer's price")
    check(1 <= terms.pool_units <= MAX_POOL_UNITS, "pool_units", f"1 to {MAX_POOL_UNITS}")
    check(
        1 <= terms.per_buyer_limit <= terms.pool_units,
        "per_buyer_limit",
        "1 to the pool size",
    )
    check(MIN_HOLD_S <= terms.hold_s <= MAX_HOLD_S, "hold_s", f"{MIN_HOLD_S} to {MAX_HOLD_S}")
    check(
        now - timedelta(seconds=START_GRACE_S)
        <= terms.starts_at
        <= now + timedelta(seconds=MAX_START_AHEAD_S),
        "starts_at",
        f"from {START_GRACE_S} s ago to {MAX_START_AHEAD_S // 86400} days ahead",
    )
    duration_s = (terms.ends_at - terms.starts_at).total_seconds()
    check(
        0 < duration_s <= MAX_SALE_DURATION_S,
        "ends_at",
        f"after starts_at, at most {MAX_SALE_DURATION_S // 86400} days later",
    )
    if problems:
        raise InvalidInput("the flash-sale terms break a rule; see errors", errors=problems)
    return terms


def phase(now: datetime, starts_at: datetime, ends_at: datetime, remaining_units: int) -> Phase:
    if now < starts_at:
        return Phase.SCHEDULED
    if now >= ends_at:
        return Phase.ENDED
    return Phase.SOLD_OUT if remaining_units == 0 else Phase.LIVE


def refusal(
    now: datetime, starts_at: datetime, ends_at: datetime, *, sold_out: bool
) -> Conflict | None:
    """The answer that needs no database: not started, ended, or (by a fresh flag) sold out."""
    if now < starts_at:
        seconds = seconds_until(now, starts_at)
        return NotStarted(f"the sale starts in {seconds} s (server time {now.isoformat()})")
    if now >= ends_at:
        return SaleEnded("the sale has ended")
    if sold_out:
        return SoldOut("every unit is claimed; join the waitlist to get released holds")
    return None


def seconds_until(now: datetime, then: datetime) -> int:
    """Whole seconds from ``now`` until ``then``, rounded up, never negative."""
    micros = (then - now) // timedelta(microseconds=1)
    return max(0, -(-micros // 1_000_000))


def claimed_percent(pool_units: int, remaining_units: int) -> float:
    """Share of the pool held or sold, rounded down to 0.1 so 100.0 means truly none left."""
    if pool_units <= 0:
        raise ValueError("pool_units must be positive")
    permille = (pool_units - remaining_units) * 1000 // pool_units
    return permille / 10


@dataclass(frozen=True, slots=True)
class Buyer:
    account_id: str
    currency: str  # what the buyer pays in


@dataclass(frozen=True, slots=True)
class Ask:
    """One claim request as the writer sees it."""

    buyer_id: str
    quantity: int
    idempotency_key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class Window:
    """The sale's truth at decision time, read under its row lock."""

    starts_at: datetime
    ends_at: datetime
    remaining_units: int
    per_buyer_limit: int


@dataclass(frozen=True, slots=True)
class Granted:
    quantity: int


@dataclass(frozen=True, slots=True)
class Replay:
    """Same buyer, same key, same request: answer with the claim made the first time (in an
    earlier transaction, or earlier in this very batch)."""

    idempotency_key: str


@dataclass(frozen=True, slots=True)
class Refused:
    error: Conflict


Decision = Granted | Replay | Refused


@dataclass(frozen=True, slots=True)
class Decided:
    decisions: list[Decision]
    remaining_units: int
    units_by_buyer: dict[str, int]  # only buyers whose count changed


def decide_claims(
    window: Window,
    units_by_buyer: Mapping[str, int],
    asks: Sequence[Ask],
    *,
    now: datetime,
    earlier: Mapping[tuple[str, str], str],
) -> Decided:
    """Judge ``asks`` in arrival order against one consistent view of the sale.

    ``units_by_buyer`` holds the units each buyer already holds or bought; ``earlier`` maps
    (buyer, key) to the request hash of a claim already stored. The limit check and the stock
    take happen together per ask, so no interleaving can oversell or pass the limit.
    """
    remaining = window.remaining_units
    held = dict(units_by_buyer)
    changed: dict[str, int] = {}
    seen: dict[tuple[str, str], tuple[str, int]] = {}  # (buyer, key) -> (hash, index)
    decisions: list[Decision] = []
    for index, ask in enumerate(asks):
        identity = (ask.buyer_id, ask.idempotency_key)
        stored_hash = earlier.get(identity)
        if stored_hash is not None:
            same = stored_hash == ask.request_hash
            decisions.append(Replay(ask.idempotency_key) if same else Refused(_key_reused()))
            continue
        if identity in seen:  # a twin in this very batch shares the first one's fate
            first_hash, first_index = seen[identity]
            first = decisions[first_index]
            if first_hash != ask.request_hash:
                decisions.append(Refused(_key_reused()))
            else:
                decisions.append(
                    Replay(ask.idempotency_key) if isinstance(first, Granted) else first
                )
            continue
        seen[identity] = (ask.request_hash, index)
        decision = _judge(window, remaining, held.get(ask.buyer_id, 0), ask, now)
        if isinstance(decision, Granted):
            remaining -= decision.quantity
            held[ask.buyer_id] = held.get(ask.buyer_id, 0) + decision.quantity
            changed[ask.buyer_id] = held[ask.buyer_id]
        decisions.append(decision)
    if remaining < 0:
        raise AssertionError("decide_claims granted more units than the pool had")
    return Decided(decisions, remaining, changed)


def _key_reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        "this Idempotency-Key was used for a different claim; use a new key"
    )


def _judge(window: Window, remaining: int, held: int, ask: Ask, now: datetime) -> Decision:
    if not 1 <= ask.quantity <= MAX_UNITS_PER_CLAIM:
        raise ValueError(f"quantity must be 1 to {MAX_UNITS_PER_CLAIM}")
    early_or_late = refusal(now, window.starts_at, window.ends_at, sold_out=remaining == 0)
    if early_or_late is not None:
        return Refused(early_or_late)
    if remaining < ask.quantity:
        return Refused(SoldOut(f"only {remaining} units are left"))
    if held + ask.quantity > window.per_buyer_limit:
        return Refused(
            BuyerLimitReached(
                f"at most {window.per_buyer_limit} units per buyer; you hold or bought {held}"
            )
        )
    return Granted(ask.quantity)


@dataclass(frozen=True, slots=True)
class Waiting:
    entry_id: int
    buyer_id: str


@dataclass(frozen=True, slots=True)
class Served:
    """Released units handed out: one unit per served entry, the rest back to the pool."""

    served: list[Waiting]
    skipped: list[Waiting]
    back_to_pool: int


def serve_waitlist(
    units: int, line: Sequence[Waiting], units_by_buyer: Mapping[str, int], limit: int
) -> Served:
    """Give released units to the waitlist in join order, one unit per place.

    A buyer who meanwhile reached the per-buyer limit loses their place (skipped) instead of
    blocking the line. What nobody in ``line`` can take goes back to the pool.
    """
    if units < 0:
        raise ValueError("units must not be negative")
    served: list[Waiting] = []
    skipped: list[Waiting] = []
    for entry in line:
        if len(served) == units:
            break
        if units_by_buyer.get(entry.buyer_id, 0) + 1 > limit:
            skipped.append(entry)
        else:
            served.append(entry)
    return Served(served, skipped, units - len(served))
