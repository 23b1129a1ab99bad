"""Tracking ingestion: carrier events in (webhook or poll), a normalized timeline out, and
what the timeline means for the order.

Idempotent and order-independent: events are keyed by (shipment, event id), the status is
recomputed from the whole timeline sorted by event time, and Delivered is terminal. Effects:
Delivered starts the buyer's auto-confirm countdown from delivery; Exception and AttemptFail
notify buyer and seller; a parcel returned to sender refunds the buyer; a parcel with no news
for 30 days expires and opens a dispute for the buyer, so no order is left waiting.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.logistics import shipments, tracking_events
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.escrow import disputes
from tradewind.escrow import service as escrow
from tradewind.escrow.domain import DisputeReason, EscrowPolicy
from tradewind.fulfilment import numbers, postal_sim
from tradewind.identity.domain import Principal, ensure_visible
from tradewind.kernel.errors import FieldError, InvalidInput, NotFound
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.carrier_update import MAX_EVENTS_PER_UPDATE, parse_update
from tradewind.logistics.tracking import Timeline, TrackingEvent, TrackingStatus, check_event_time
from tradewind.notifications.service import notify
from tradewind.ordering.orders import order_header
from tradewind.payments.ports import PaymentProvider
from tradewind.payments.signing import verify
from tradewind.risk.domain import EventKind, RiskEvent
from tradewind.timers.service import reschedule, schedule

EXPIRY_KIND = "tracking.expiry"
POLL_KIND = "tracking.poll"
EXPIRY_DAYS = 30
RETURN_CODES = frozenset({"EDX", "EXX"})
TERMINAL = frozenset({TrackingStatus.DELIVERED, TrackingStatus.EXPIRED})


def start_tracking(
    uow: UnitOfWork, shipment: Mapping[str, Any], webhook_url: str, poll_every_h: int
) -> None:
    """Register the parcel with the carrier and arm the expiry and polling timers."""
    postal_sim.register(
        uow,
        shipment_id=shipment["id"],
        tracking_number=shipment["tracking_number"],
        shipped_at=shipment["shipped_at"],
        webhook_url=webhook_url,
        route=postal_sim.Route(
            shipment["origin_country"], shipment["destination_country"], shipment["service_code"]
        ),
    )
    schedule(
        uow,
        kind=EXPIRY_KIND,
        dedupe_key=f"{EXPIRY_KIND}:{shipment['id']}",
        due_at=shipment["shipped_at"] + timedelta(days=EXPIRY_DAYS),
        payload={"shipment_id": shipment["id"]},
    )
    _schedule_poll(uow, shipment["id"], shipment["shipped_at"], poll_every_h)


def _schedule_poll(uow: UnitOfWork, shipment_id: str, after: datetime, every_h: int) -> None:
    due = after + timedelta(hours=every_h)
    schedule(
        uow,
        kind=POLL_KIND,
        dedupe_key=f"{POLL_KIND}:{shipment_id}:{int(due.timestamp())}",
        due_at=due,
        payload={"shipment_id": shipment_id, "every_h": every_h},
    )


def find_shipment(
    uow: UnitOfWork, reference: str | None, tracking_number: str, now: datetime
) -> dict[str, Any] | None:
    """By our reference when the carrier echoes it (the number must be that shipment's, else
    the update is refused); else the shipment holding the number's claim (numbers are reused
    after twelve months, so only a claim inside the reuse window counts)."""
    if reference:
        row = uow.conn.execute(select(shipments).where(shipments.c.id == reference)).first()
        if row is not None and row.tracking_number != tracking_number:
            raise InvalidInput(
                "the tracking number is not the number of the shipment the update names",
                code=ProblemCode.TRACKING_NUMBER_MISMATCH,
                errors=[
                    FieldError("reference", "names another parcel", "tracking_number_mismatch")
                ],
            )
    else:
        holder = numbers.holder(uow, tracking_number, now)
        if holder is None:
            return None
        row = uow.conn.execute(select(shipments).where(shipments.c.id == holder)).first()
    return dict(row._mapping) if row else None


def ingest(
    uow: UnitOfWork,
    policy: EscrowPolicy,
    provider: PaymentProvider,
    shipment: Mapping[str, Any],
    parsed: Sequence[TrackingEvent],
) -> int:
    """Record events, recompute the status, apply what changed; returns events that were new.

    Every event is checked against the clock and the shipment before anything is written.
    """
    if len(parsed) > MAX_EVENTS_PER_UPDATE:
        raise InvalidInput(
            f"at most {MAX_EVENTS_PER_UPDATE} events per request", code=ProblemCode.TOO_MANY_EVENTS
        )
    now = uow.clock.now()
    for event in parsed:
        check_event_time(event, shipment["shipped_at"], now)
    fresh = (
        insert_ignoring_conflicts(
            uow.conn,
            tracking_events,
            [
                {
                    "shipment_id": shipment["id"],
                    "event_id": e.event_id,
                    "code": e.code,
                    "status": e.status.value,
                    "occurred_at": e.occurred_at,
                    "location": e.location,
                    "description": e.description,
                    "received_at": now,
                }
                for e in parsed
            ],
        )
        if parsed
        else 0
    )
    if not fresh:
        return 0
    timeline = _timeline(uow, shipment)
    previous = TrackingStatus(shipment["status"])
    status = timeline.status
    uow.conn.execute(
        update(shipments)
        .where(shipments.c.id == shipment["id"])
        .values(
            status=status.value,
            last_event_at=timeline.last_event_at,
            delivered_at=timeline.delivered_at,
        )
    )
    expires_at = timeline.expires_at(EXPIRY_DAYS)
    if expires_at is not None:
        reschedule(uow, f"{EXPIRY_KIND}:{shipment['id']}", expires_at)
    if status is not previous:
        _on_change(uow, policy, provider, shipment, timeline, status)
    _tell_risk(uow, shipment, previous, status, now)
    return fresh


def _tell_risk(
    uow: UnitOfWork,
    shipment: Mapping[str, Any],
    previous: TrackingStatus,
    status: TrackingStatus,
    now: datetime,
) -> None:
    """The first carrier scan and the delivery are risk signals (issue 18)."""
    kinds = []
    if previous in (TrackingStatus.PENDING, TrackingStatus.INFO_RECEIVED) and status not in (
        TrackingStatus.PENDING,
        TrackingStatus.INFO_RECEIVED,
    ):
        kinds.append(EventKind.TRACKING)
    if status is TrackingStatus.DELIVERED and previous is not TrackingStatus.DELIVERED:
        kinds.append(EventKind.DELIVERED)
    order = order_header(uow, str(shipment["order_id"])) if kinds else None
    for kind in kinds:
        if order is None:
            break
        uow.publish(
            RiskEvent(
                kind,
                now,
                order.seller_account_id if kind is EventKind.TRACKING else order.buyer_id,
                order_id=order.order_id,
                buyer_id=order.buyer_id,
                seller_id=order.seller_account_id,
                tracking_number=str(shipment["tracking_number"]),
            )
        )


def _timeline(uow: UnitOfWork, shipment: Mapping[str, Any]) -> Timeline:
    rows = uow.conn.execute(
        select(tracking_events).where(tracking_events.c.shipment_id == shipment["id"])
    )
    return Timeline(
        shipment["shipped_at"],
        [
            TrackingEvent(
                code=r.code,
                occurred_at=r.occurred_at,
                location=r.location,
                description=r.description,
                event_id=r.event_id,
            )
            for r in rows
        ],
    )


# What the parties read when a parcel runs into trouble on the way.
_PARCEL_TROUBLE = {
    TrackingStatus.EXCEPTION: N_(
        "Parcel %(number)s ran into a problem on the way (for example held by customs)."
    ),
    TrackingStatus.ATTEMPT_FAIL: N_(
        "The post could not deliver parcel %(number)s; it will try again or leave a notice."
    ),
}


def _parties(uow: UnitOfWork, order_id: str) -> list[str]:
    parties = order_header(uow, order_id)
    assert parties is not None  # a shipment's order is never deleted
    return [parties.buyer_id, parties.seller_account_id]


def _on_change(
    uow: UnitOfWork,
    policy: EscrowPolicy,
    provider: PaymentProvider,
    shipment: Mapping[str, Any],
    timeline: Timeline,
    status: TrackingStatus,
) -> None:
    order_id = shipment["order_id"]
    number = shipment["tracking_number"]
    if status is TrackingStatus.DELIVERED and timeline.delivered_at is not None:
        escrow.restart_countdown_on_delivery(uow, policy, order_id, timeline.delivered_at)
        notify(
            uow,
            _parties(uow, order_id),
            "delivered",
            N_("Parcel %(number)s was delivered."),
            {"number": number},
            order_id=order_id,
        )
    elif any(e.code in RETURN_CODES for e in timeline.events):
        disputes.refund_returned(
            uow, policy, provider, order_id, f"parcel {number} was returned to the sender"
        )
        notify(
            uow,
            _parties(uow, order_id),
            "returned",
            N_("Parcel %(number)s went back to the sender; the buyer was refunded."),
            {"number": number},
            order_id=order_id,
        )
    elif status in (TrackingStatus.EXCEPTION, TrackingStatus.ATTEMPT_FAIL):
        notify(
            uow,
            _parties(uow, order_id),
            status.value.lower(),
            _PARCEL_TROUBLE[status],
            {"number": number},
            order_id=order_id,
        )


def expire(uow: UnitOfWork, policy: EscrowPolicy, payload: Mapping[str, Any]) -> None:
    """Timer: 30 days without news. Idempotent; a parcel with newer events was rescheduled."""
    shipment = uow.conn.execute(
        select(shipments).where(shipments.c.id == str(payload["shipment_id"]))
    ).first()
    if shipment is None or shipment.status in {s.value for s in TERMINAL}:
        return
    timeline = _timeline(uow, dict(shipment._mapping))
    if not timeline.is_expired(uow.clock.now(), EXPIRY_DAYS):
        return
    uow.conn.execute(
        update(shipments)
        .where(shipments.c.id == shipment.id)
        .values(status=TrackingStatus.EXPIRED.value)
    )
    notify(
        uow,
        _parties(uow, shipment.order_id),
        "expired",
        N_("No news of parcel %(number)s for %(days)s days; a dispute was opened."),
        {"number": shipment.tracking_number, "days": EXPIRY_DAYS},
        order_id=shipment.order_id,
    )
    disputes.open_for_buyer(
        uow,
        policy,
        shipment.order_id,
        DisputeReason.NOT_RECEIVED,
        f"tracking expired: no events for {EXPIRY_DAYS} days",
    )


def poll(
    uow: UnitOfWork, policy: EscrowPolicy, provider: PaymentProvider, payload: Mapping[str, Any]
) -> None:
    """Timer: ask the carrier for everything so far (catches lost webhooks)."""
    shipment = uow.conn.execute(
        select(shipments).where(shipments.c.id == str(payload["shipment_id"]))
    ).first()
    if shipment is None or shipment.status in {s.value for s in TERMINAL}:
        return
    answer = postal_sim.poll(uow, shipment.tracking_number, uow.clock.now())
    if answer is not None and answer["reference"] == shipment.id and answer["events"]:
        update_ = parse_update(answer)  # the carrier's answer is checked like a webhook
        ingest(uow, policy, provider, dict(shipment._mapping), update_.events)
    _schedule_poll(uow, shipment.id, uow.clock.now(), int(payload["every_h"]))


def receive_webhook(
    uow_factory: UnitOfWorkFactory,
    policy: EscrowPolicy,
    provider: PaymentProvider,
    secret: str,
    body: bytes,
    signature: str | None,
) -> int:
    """A carrier webhook, verified and ingested; returns how many events were new. Unknown or
    year-old numbers are acknowledged with 0 so the carrier stops retrying."""
    verify(secret, body, signature, int(uow_factory.clock.now().timestamp()))
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("tracking webhook body is not JSON", code=ProblemCode.BAD_EVENT) from exc
    update_ = parse_update(payload)  # every field type-checked before anything is read
    with uow_factory() as uow:
        shipment = find_shipment(uow, update_.reference, update_.tracking_number, uow.clock.now())
        if shipment is None:
            return 0
        fresh = ingest(uow, policy, provider, shipment, update_.events)
        uow.commit()
    return fresh


def timeline_for_order(
    uow: UnitOfWork, principal: Principal, order_id: str
) -> list[dict[str, Any]]:
    order = order_header(uow, order_id)
    ensure_visible(principal, [order.buyer_id, order.seller_account_id] if order else [], "order")
    shipment = uow.conn.execute(
        select(shipments.c.id).where(shipments.c.order_id == order_id)
    ).first()
    if shipment is None:
        raise NotFound("this order has not shipped", code=ProblemCode.NOT_SHIPPED)
    return shipment_timeline(uow, shipment.id)


def shipment_timeline(uow: UnitOfWork, shipment_id: str) -> list[dict[str, Any]]:
    """A parcel's scans in the order they happened (ties in the order they arrived), for the
    API and the pages alike so both list the same scans the same way."""
    return [
        dict(r._mapping)
        for r in uow.conn.execute(
            select(tracking_events)
            .where(tracking_events.c.shipment_id == shipment_id)
            .order_by(tracking_events.c.occurred_at, tracking_events.c.id)
        )
    ]
