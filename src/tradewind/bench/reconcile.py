"""``tradewind bench reconcile``: a simulated month of payments, reconciled day by day.

In one process, on a throwaway database, buyers check out and pay through the sandbox
processor (2.9% fee, one call in eight failing once, webhooks late, duplicated and out of
order), every tenth order is cancelled by its seller and refunded; the outbox, the webhooks
and the ledger run as in production (``run_background_step``, the webhook handler). Then every
day of the month is reconciled: 0 mismatches expected. Then three faults are injected into the
processor's books (one capture settled short, one refund settled twice, one fee nobody
announced) and the month is reconciled again: exactly those three must be reported.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from tradewind.bench.checkout import SHIP_TO, seed_offers
from tradewind.bench.harness import BENCH_SECRET, bench_database
from tradewind.bootstrap import Container, build, report_handlers
from tradewind.config import Settings
from tradewind.db.tables.payments import (
    processor_intents,
    sandbox_psp_balance_moves,
    sandbox_psp_events,
)
from tradewind.escrow import service as escrow
from tradewind.identity import service as identity
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.clock import ManualClock
from tradewind.ordering.checkout import place_checkout
from tradewind.ordering.checkout_plan import CheckoutRequest
from tradewind.ordering.domain import LineRequest, OrderEvent
from tradewind.payments import reconciliation
from tradewind.payments import service as payments
from tradewind.payments.sandbox import CARD_SUCCESS
from tradewind.payments.signing import SIGNATURE_HEADER, verify
from tradewind.worker import run_background_step

MONTH_START = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
DAYS = 30
FEE_BPS = 290


@dataclass
class Month:
    container: Container
    clock: ManualClock
    buyers: list[Principal]
    offers: list[str]
    orders: int = 0
    refunds: int = 0


def _container(url: str, clock: ManualClock) -> Container:
    settings = Settings(
        database_url=url,
        secret_key=BENCH_SECRET,
        sandbox_fee_bps=FEE_BPS,
        sandbox_flaky_every=8,
        log_level="ERROR",
    )
    container = build(settings, clock=clock)

    def receive(_url: str, body: bytes, headers: dict[str, str]) -> int:
        """The webhook route's work, in-process: verify, handle, commit."""
        verify(container.psp_secret, body, headers.get(SIGNATURE_HEADER), _now_s(clock))
        with container.uow() as uow:
            payments.record_event(uow, container.payments, json.loads(body))
            uow.commit()
        return 200

    container.webhook_sender = receive
    return container


def _now_s(clock: ManualClock) -> int:
    return int(clock.now().timestamp())


def _buyers(container: Container, count: int) -> list[Principal]:
    with container.uow() as uow:
        ids = [
            identity.register_account(
                uow,
                identity.NewAccount(
                    email=f"month.buyer{n}@bench.test",
                    password="month-buyer-password",  # noqa: S106 - throwaway bench DB
                    display_name=f"Buyer {n}",
                    role=Role.BUYER,
                    country="US",
                ),
            )
            for n in range(count)
        ]
        principals = [identity.principal_for_account(uow, i) for i in ids]
        uow.commit()
    return principals


def _settle(month: Month) -> None:
    """Let the outside world catch up: calls made, webhooks delivered (jitter, retries)."""
    for _ in range(30):
        month.clock.advance(timedelta(seconds=4))
        if run_background_step(month.container) == 0 and _quiet(month.container):
            return
    raise RuntimeError("the processor's calls and webhooks did not settle")


def _quiet(container: Container) -> bool:
    """No processor call pending and no webhook left to deliver."""
    events = sandbox_psp_events
    with container.uow(read_only=True) as uow:
        calls = uow.conn.scalar(
            select(func.count())
            .select_from(processor_intents)
            .where(processor_intents.c.status == "pending")
        )
        webhooks = uow.conn.scalar(
            select(func.count())
            .select_from(events)
            .where(events.c.deliveries_done < events.c.deliveries_wanted)
        )
    return calls == 0 and webhooks == 0


def _one_order(month: Month, rng: random.Random) -> None:
    container, buyer = month.container, rng.choice(month.buyers)
    lines = [LineRequest(rng.choice(month.offers), rng.randint(1, 3))]
    with container.uow() as uow:
        checkout = place_checkout(
            uow, buyer, CheckoutRequest(ship_to=SHIP_TO, lines=lines), payment_timeout_s=1800
        )
        uow.commit()
    with container.uow() as uow:
        payment = payments.start_payment(
            uow, buyer, container.payments, checkout["id"], return_url="/"
        )
        container.payments.submit_card(uow, payment["provider_payment_id"], CARD_SUCCESS)
        uow.commit()
    _settle(month)
    month.orders += 1
    if month.orders % 10 == 0:  # the seller cancels it: a full refund from escrow
        with container.uow() as uow:
            escrow.cancel_paid_order(
                uow,
                container.payments,
                checkout["orders"][0]["id"],
                OrderEvent.ACCEPT_CANCELLATION,
                actor_id=None,
                note="cancelled by the seller",
            )
            uow.commit()
        month.refunds += 1
        _settle(month)


def _days() -> list[date]:
    return [MONTH_START.date() + timedelta(days=d) for d in range(DAYS)]


def _reconcile_month(container: Container) -> dict[str, Any]:
    counts: dict[str, int] = dict.fromkeys(reconciliation.KINDS, 0)
    found: list[dict[str, Any]] = []
    for day in _days():
        result = reconciliation.reconcile_day(
            container.uow, container.payments, day, report_handlers()
        )
        for kind, n in result.counts.items():
            counts[kind] += n
        found += [
            {"day": str(day), "kind": f.kind, "ref": f.ref, "reported": str(f.reported)}
            for f in result.mismatches
        ]
    return {"counts": counts, "mismatches": found}


def _inject(container: Container) -> list[dict[str, str]]:
    """One short capture (day 10), one refund settled twice (day 15), one unannounced fee
    (day 20), written into the processor's own books; returns what must be reported."""
    moves = sandbox_psp_balance_moves
    with container.uow() as uow:

        def first(kind: str, day: date) -> Any:
            return uow.conn.execute(
                select(moves)
                .where(moves.c.type == kind, moves.c.settlement_date == day.isoformat())
                .order_by(moves.c.created_at, moves.c.id)
                .limit(1)
            ).one()

        days = _days()
        capture, refund = first("capture", days[9]), first("refund", days[14])
        uow.conn.execute(
            update(moves)
            .where(moves.c.id == capture.id)
            .values(amount_minor=capture.amount_minor - 100)
        )
        uow.conn.execute(insert(moves).values({**refund._mapping, "id": "bm_injected_refund"}))
        fee_day = days[19]
        uow.conn.execute(
            insert(moves).values(
                id="bm_injected_fee",
                type="fee",
                payment_id=None,
                reference="monthly_platform_fee",
                amount_minor=-2500,
                currency="USD",
                created_at=datetime.combine(fee_day, datetime.min.time(), tzinfo=UTC),
                settlement_date=fee_day.isoformat(),
            )
        )
        uow.commit()
    return [
        {"day": str(days[9]), "kind": "amount_differs", "ref": f"capture:{capture.reference}"},
        {"day": str(days[14]), "kind": "missing_ours", "ref": f"refund:{refund.reference}"},
        {"day": str(fee_day), "kind": "missing_ours", "ref": "fee:monthly_platform_fee"},
    ]


def bench_reconcile(*, db_url: str | None, orders_per_day: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with bench_database(db_url) as (url, _base):
        clock = ManualClock(MONTH_START)
        container = _container(url, clock)
        try:
            offers = seed_offers(container.uow, 8, stock=orders_per_day * DAYS * 3)
            month = Month(container, clock, _buyers(container, 20), offers)
            started = time.perf_counter()
            for day in range(DAYS):
                for _ in range(orders_per_day):
                    _one_order(month, rng)
                clock.advance(MONTH_START + timedelta(days=day + 1) - clock.now())
            simulated_s = time.perf_counter() - started
            clean = _reconcile_month(container)
            expected = _inject(container)
            faulty = _reconcile_month(container)
        finally:
            container.engine.dispose()
    reported = [{k: m[k] for k in ("day", "kind", "ref")} for m in faulty["mismatches"]]
    return {
        "orders": month.orders,
        "refunds": month.refunds,
        "days": DAYS,
        "simulate_s": round(simulated_s, 1),
        "clean": clean["counts"],
        "clean_mismatches": len(clean["mismatches"]),
        "injected": expected,
        "reported": reported,
        "exactly_the_injected": sorted(map(str, reported)) == sorted(map(str, expected)),
    }
