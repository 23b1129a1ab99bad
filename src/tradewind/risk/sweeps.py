"""Risk signals that no event carries: time passing. A parcel that never gets a first carrier
scan sends nothing, so ``seller.no_first_scan`` (a seller's shipments left without a scan for
``within_s``) would fire only when that seller's next event arrives. The sweep, a durable timer
every :data:`SWEEP_EVERY_H` hours, finds the sellers with shipments older than ``within_s``
and still unscanned (within the rule's ``window_s``) and judges each at the sweep's time
(:class:`~tradewind.risk.domain.EventKind` ``SWEEP``), live: in enforce mode a case holds the
seller's payouts as any other case does. At most :data:`MAX_SELLERS` sellers per run; the
rest are taken by the next run (the oldest shipments first).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tradewind.db.tables.risk import risk_events
from tradewind.db.uow import UnitOfWork
from tradewind.risk.domain import EventKind, RiskEvent
from tradewind.risk.service import active_rules, on_event
from tradewind.timers.service import schedule

SWEEP_KIND = "risk.no_first_scan_sweep"
SWEEP_EVERY_H = 6
MAX_SELLERS = 500
RULE = "seller.no_first_scan"
_SCANS = (EventKind.TRACKING.value, EventKind.DELIVERED.value)


def overdue_sellers(uow: UnitOfWork, now: datetime) -> list[str]:
    """Sellers with a shipment past the rule's ``within_s`` and no carrier scan yet, oldest
    shipment first; ``[]`` when the active rules have no such rule."""
    rule = active_rules(uow).by_code().get(RULE)
    if rule is None:
        return []
    t = risk_events.c
    scanned = select(t.order_id).where(t.kind.in_(_SCANS), t.order_id.is_not(None))
    oldest = func.min(t.at)
    rows = uow.conn.execute(
        select(t.seller_id, oldest)
        .where(
            t.kind == EventKind.SHIPMENT.value,
            t.seller_id.is_not(None),
            t.at >= now - timedelta(seconds=int(rule.param("window_s"))),
            t.at <= now - timedelta(seconds=int(rule.param("within_s"))),
            t.order_id.not_in(scanned),
        )
        .group_by(t.seller_id)
        .order_by(oldest, t.seller_id)
        .limit(MAX_SELLERS)
    )
    return [str(seller) for seller, _ in rows]


def no_first_scan_sweep(uow: UnitOfWork, payload: Mapping[str, Any], *, mode: str) -> int:
    """Timer: judge every overdue seller now, then arm the next run. Returns sellers judged."""
    now = uow.clock.now()
    judged = 0
    if mode != "off":
        for seller in overdue_sellers(uow, now):
            on_event(uow, RiskEvent(EventKind.SWEEP, now, seller, seller_id=seller), mode=mode)
            judged += 1
    schedule_sweep(uow, now)
    return judged


def schedule_sweep(uow: UnitOfWork, now: datetime) -> None:
    """Keep one pending sweep timer, at the next multiple of :data:`SWEEP_EVERY_H` hours UTC."""
    start = now.replace(minute=0, second=0, microsecond=0)
    due = start + timedelta(hours=SWEEP_EVERY_H - start.hour % SWEEP_EVERY_H)
    schedule(
        uow,
        kind=SWEEP_KIND,
        dedupe_key=f"{SWEEP_KIND}:{due.isoformat()}",
        due_at=due,
        payload={},
    )
