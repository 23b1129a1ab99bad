"""Writing planned checkouts, many in one transaction.

Per batch: claim every Idempotency-Key with one INSERT (a key used before replays its stored
answer); lock and read the batch's offers in id order (:mod:`tradewind.catalog.stock.batch`) and
judge each checkout against them in arrival order, all or nothing, at the prices it was quoted
(:mod:`tradewind.catalog.stock.domain`) and the promotions' limits read under the same locks
(:class:`tradewind.promotions.domain.UseLedger`); write the units taken with one UPDATE and
the coupon uses with one per promotion; insert every
checkout, order, line, event and timer of the batch with one statement per table; store the
answers under their keys. A refused checkout (out of stock, price changed, offer withdrawn)
takes nothing and gives its key back inside the transaction, so it changes nothing while its
neighbours commit.

Why claims come before the offer locks: on PostgreSQL a claim of a key that another process's
batch holds waits for that batch to commit, and a batch that already held offer rows while
waiting could deadlock with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert

from tradewind.catalog.stock.batch import lock_offers, write_takes
from tradewind.catalog.stock.domain import StockLedger
from tradewind.db.tables.ordering import checkouts, order_events, order_lines, orders
from tradewind.db.uow import UnitOfWork
from tradewind.idempotency import service as idem
from tradewind.kernel.errors import DomainError
from tradewind.ordering import cart
from tradewind.ordering.checkout_plan import CheckoutPlan
from tradewind.promotions import service as promotions
from tradewind.promotions.domain import UseLedger
from tradewind.risk.domain import RiskEvent, RiskEvents
from tradewind.timers.service import schedule_many


@dataclass(frozen=True, slots=True)
class CheckoutJob:
    plan: CheckoutPlan
    claim: idem.Claim | None = None  # the request's Idempotency-Key, if it sent one
    answer: idem.StoredResult | None = None  # stored under the key when the checkout commits
    risk_events: tuple[RiskEvent, ...] = ()  # appended to the risk log when it commits


@dataclass(frozen=True, slots=True)
class Placed:
    """Written now; ``plan.result`` is the answer."""

    plan: CheckoutPlan


@dataclass(frozen=True, slots=True)
class Replayed:
    """The key was used before by the same request: its first answer, as stored."""

    stored: idem.StoredResult


Settlement = Placed | Replayed | DomainError


def apply_checkouts(uow: UnitOfWork, jobs: Sequence[CheckoutJob]) -> list[Settlement]:
    """Write ``jobs`` in the caller's transaction; one settlement per job, in order.
    The caller commits."""
    settled: list[Settlement | None] = [None] * len(jobs)
    twins = _claim_keys(uow, jobs, settled)
    live = [i for i, s in enumerate(settled) if s is None and i not in twins]
    stock = lock_offers(uow, (r.offer_id for i in live for r in jobs[i].plan.reservations))
    uses = promotions.lock(
        uow, ((jobs[i].plan.buyer_id, jobs[i].plan.promotion_uses) for i in live)
    )
    placed: list[int] = []
    for i in live:
        job = jobs[i]
        refusal = _take(job.plan, stock, uses)
        if refusal is None:
            placed.append(i)
            settled[i] = Placed(job.plan)
            continue
        settled[i] = refusal
        if job.claim is not None:
            idem.release(uow, job.claim.principal_id, job.claim.key)
    write_takes(uow, stock.taken)
    promotions.write_uses(
        uow,
        uses,
        [(p.buyer_id, p.checkout["id"], p.promotion_uses) for p in (jobs[i].plan for i in placed)],
    )
    _insert_plans(uow, [jobs[i].plan for i in placed])
    signals = tuple(e for i in placed for e in jobs[i].risk_events)
    if signals:
        uow.publish(RiskEvents(signals))
    idem.complete_many(
        uow,
        [
            (claim.principal_id, claim.key, answer)
            for claim, answer in ((jobs[i].claim, jobs[i].answer) for i in placed)
            if claim is not None and answer is not None
        ],
    )
    for i, first in twins.items():
        settled[i] = _twin_settlement(jobs[i], jobs[first], settled[first])
    return [s for s in settled if s is not None]


def _take(plan: CheckoutPlan, stock: StockLedger, uses: UseLedger) -> DomainError | None:
    """Take the checkout's promotion uses, then its stock (both in memory, written once per
    batch); a stock refusal gives the uses back, so a refusal keeps nothing."""
    wanted = plan.promotion_uses
    refusal = uses.take(plan.buyer_id, wanted) if wanted else None
    if refusal is not None:
        return refusal
    refusal = stock.take(plan.reservations)
    if refusal is not None and wanted:
        uses.give_back(plan.buyer_id, wanted)
    return refusal


def _claim_keys(
    uow: UnitOfWork, jobs: Sequence[CheckoutJob], settled: list[Settlement | None]
) -> dict[int, int]:
    """Claim each distinct key once; settles replays and reused keys. Returns the twins: a job
    whose key an earlier job of this batch claims (a retry racing its original) -> that job."""
    first_by_key: dict[tuple[str, str], int] = {}
    twins: dict[int, int] = {}
    claims: list[idem.Claim] = []
    for i, job in enumerate(jobs):
        if job.claim is None:
            continue
        key = (job.claim.principal_id, job.claim.key)
        if key in first_by_key:
            twins[i] = first_by_key[key]
        else:
            first_by_key[key] = i
            claims.append(job.claim)
    outcomes = idem.claim_many(uow, claims)
    for i, outcome in zip(first_by_key.values(), outcomes, strict=True):
        if isinstance(outcome, idem.StoredResult):
            settled[i] = Replayed(outcome)
        elif outcome is not None:
            settled[i] = outcome
    return twins


def _twin_settlement(
    job: CheckoutJob, first: CheckoutJob, first_settled: Settlement | None
) -> Settlement:
    assert job.claim is not None
    assert first.claim is not None
    assert first_settled is not None
    if job.claim.request_hash != first.claim.request_hash:
        return idem.key_reused()
    if isinstance(first_settled, Placed) and first.answer is not None:
        return Replayed(first.answer)
    # A replay stays a replay; a refusal changed nothing, and the identical twin, judged at
    # the same instant, gets the same answer.
    return first_settled


def _insert_plans(uow: UnitOfWork, plans: Sequence[CheckoutPlan]) -> None:
    if not plans:
        return
    conn = uow.conn
    conn.execute(insert(checkouts), [p.checkout for p in plans])
    conn.execute(insert(orders), [o for p in plans for o in p.orders])
    conn.execute(insert(order_lines), [line for p in plans for line in p.lines])
    conn.execute(insert(order_events), [e for p in plans for e in p.events])
    promotions.record(uow, [d for p in plans for d in p.discounts])
    schedule_many(uow, [p.payment_timeout for p in plans])
    for plan in plans:
        if plan.cart_offer_ids:
            cart.remove_lines(uow, plan.buyer_id, plan.cart_offer_ids)
