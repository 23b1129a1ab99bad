"""The no-first-scan sweep, live, on both databases: parcels that never get a carrier scan
raise a seller case on the timer (no later event needed), the case holds the seller's payouts,
a seller whose parcels were scanned is left alone, and the timer re-arms itself."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tradewind.bootstrap import Container
from tradewind.db.tables.risk import risk_cases
from tradewind.db.tables.timers import timers
from tradewind.kernel.clock import ManualClock
from tradewind.risk import service as risk
from tradewind.risk import sweeps
from tradewind.risk.domain import EventKind, RiskEvent
from tradewind.timers.service import run_due


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"risk_mode": "enforce"}


def _ship(container: Container, seller: str, n: int, *, scanned: bool) -> None:
    now = container.clock.now()
    events = []
    for i in range(n):
        order = f"ord_{seller}_{i}"
        common = {"order_id": order, "buyer_id": f"acc_buyer_{seller}_{i}", "seller_id": seller}
        events.append(
            RiskEvent(EventKind.SHIPMENT, now, seller, tracking_number=f"RR47312482{i}GB", **common)
        )
        if scanned:
            later = now + timedelta(hours=20)
            events.append(RiskEvent(EventKind.TRACKING, later, seller, **common))
    with container.uow() as uow:
        risk.record_many(uow, events)
        sweeps.schedule_sweep(uow, now)
        uow.commit()


def _cases(container: Container) -> list[tuple[str, str, list[str]]]:
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(select(risk_cases).order_by(risk_cases.c.id)).all()
    return [(r.subject_kind, r.subject_id, json.loads(r.rules)) for r in rows]


def test_unscanned_parcels_raise_a_case_on_the_timer_and_hold_payouts(
    container: Container, clock: ManualClock
) -> None:
    _ship(container, "acc_silent", 3, scanned=False)
    _ship(container, "acc_honest", 3, scanned=True)
    clock.advance(timedelta(days=4))  # within the rule's 5 days: nothing yet
    run_due(container.uow, container.timer_handlers, limit=100)
    assert _cases(container) == []

    clock.advance(timedelta(days=2))
    run_due(container.uow, container.timer_handlers, limit=100)
    assert _cases(container) == [("seller", "acc_silent", ["seller.no_first_scan"])]
    with container.uow(read_only=True) as uow:
        assert risk.payout_restrictions(uow, ["acc_silent", "acc_honest"]) == {
            "acc_silent": risk.PayoutRestriction(held=True, reserve_bps=0)
        }
        pending = uow.conn.scalars(
            select(timers.c.due_at).where(
                timers.c.kind == sweeps.SWEEP_KIND, timers.c.status == "pending"
            )
        ).all()
    assert len(pending) == 1
    assert pending[0] > clock.now()

    # Another run finds the same seller and opens nothing new.
    with container.uow() as uow:
        sweeps.no_first_scan_sweep(uow, {}, mode="enforce")
        uow.commit()
    assert len(_cases(container)) == 1


def test_the_sweep_judges_nobody_with_risk_off(container: Container, clock: ManualClock) -> None:
    _ship(container, "acc_silent", 3, scanned=False)
    clock.advance(timedelta(days=6))
    with container.uow() as uow:
        assert sweeps.overdue_sellers(uow, clock.now()) == ["acc_silent"]
        assert sweeps.no_first_scan_sweep(uow, {}, mode="off") == 0
        uow.commit()
    assert _cases(container) == []
