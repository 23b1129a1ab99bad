"""The postal-network simulator: the carrier side of tracking, for demos and tests.

For every parcel it plays a scripted UPU event sequence (``logistics.tracking.SCENARIOS``) over
simulated time, driven by the injectable clock, so a test runs weeks in seconds. Like a real
carrier (or tracking aggregator) it delivers events as HMAC-signed webhooks, one event per
request, sometimes twice and not always in order, and answers polls with everything scanned so
far. Most parcels arrive; a deterministic few are held by customs, fail delivery, are returned
to sender or go silent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.db.tables.logistics import postal_sim_parcels
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.kernel.errors import InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.routes import REFERENCE_ROUTE, SCENARIOS, ScriptStep, route_script
from tradewind.logistics.shipping import SERVICES
from tradewind.logistics.tracking import event_id_for, status_for_code
from tradewind.payments.ports import WebhookSender
from tradewind.payments.signing import sign

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Postal-Signature"
CARRIER = "postal-sim"
# Out of 100 parcels: the mix a cross-border marketplace sees, roughly.
SCENARIO_WEIGHTS = (
    ("happy_path", 82),
    ("held_by_customs", 5),
    ("failed_delivery_then_pickup", 5),
    ("returned_to_sender", 3),
    ("lost_in_transit", 3),
    ("silent", 2),
)
DUPLICATE_EVERY = 5
MAX_PARCELS_PER_DISPATCH = 5000


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def scenario_for(tracking_number: str) -> str:
    roll = _hash(tracking_number) % 100
    for name, weight in SCENARIO_WEIGHTS:
        if roll < weight:
            return name
        roll -= weight
    return "happy_path"


@dataclass(frozen=True, slots=True)
class Route:
    """Where a parcel goes and by which service: what places and times its scans."""

    origin: str
    destination: str
    service_code: str


REFERENCE = Route(*REFERENCE_ROUTE)


def script_for(scenario: str, route: Route) -> tuple[ScriptStep, ...]:
    """A parcel's scans: its scenario on its route, timed by its service (logistics.routes)."""
    service = SERVICES.get(route.service_code, SERVICES[REFERENCE.service_code])
    return route_script(scenario, route.origin, route.destination, service)


def script(parcel: Any) -> tuple[ScriptStep, ...]:
    """The scans of a stored parcel."""
    route = Route(parcel.origin_country, parcel.destination_country, parcel.service_code)
    return script_for(parcel.scenario, route)


def register(
    uow: UnitOfWork,
    *,
    shipment_id: str,
    tracking_number: str,
    shipped_at: datetime,
    webhook_url: str,
    route: Route = REFERENCE,
    scenario: str | None = None,
) -> str:
    chosen = scenario or scenario_for(tracking_number)
    if chosen not in SCENARIOS:
        raise InvalidInput(f"unknown scenario {chosen!r}", code=ProblemCode.UNKNOWN_SCENARIO)
    # The caller holds the number's claim, so a parcel already here with it is from an earlier
    # reuse window: the post now answers for the new one (as ``poll`` says), so it replaces it.
    dialect = postgresql if uow.conn.dialect.name == "postgresql" else sqlite
    values = {
        "tracking_number": tracking_number,
        "shipment_id": shipment_id,
        "scenario": chosen,
        "started_at": shipped_at,
        "steps_emitted": 0,
        "webhook_url": webhook_url,
        "origin_country": route.origin,
        "destination_country": route.destination,
        "service_code": route.service_code,
        "steps_total": len(script_for(chosen, route)),
    }
    statement = dialect.insert(postal_sim_parcels).values(**values)
    uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[postal_sim_parcels.c.tracking_number],
            set_={k: v for k, v in values.items() if k != "tracking_number"},
        )
    )
    return chosen


def set_scenario(uow: UnitOfWork, tracking_number: str, scenario: str) -> None:
    """Sandbox control (as real carriers' test modes offer): script a parcel's fate."""
    if scenario not in SCENARIOS:
        raise InvalidInput(f"unknown scenario {scenario!r}", code=ProblemCode.UNKNOWN_SCENARIO)
    parcel = uow.conn.execute(
        select(postal_sim_parcels).where(postal_sim_parcels.c.tracking_number == tracking_number)
    ).first()
    if parcel is None:
        return
    route = Route(parcel.origin_country, parcel.destination_country, parcel.service_code)
    steps = script_for(scenario, route)
    uow.conn.execute(
        update(postal_sim_parcels)
        .where(postal_sim_parcels.c.tracking_number == tracking_number)
        .values(scenario=scenario, steps_emitted=0, steps_total=len(steps))
    )


def _event(step: ScriptStep, started_at: datetime) -> dict[str, Any]:
    occurred_at = started_at + timedelta(hours=step.offset_hours)
    return {
        "event_id": event_id_for(step.code, occurred_at, step.location),
        "code": step.code,
        "occurred_at": occurred_at.isoformat(),
        "location": step.location,
        "description": status_for_code(step.code).value,
    }


def _due_steps(parcel: Any, now: datetime) -> list[ScriptStep]:
    return [s for s in script(parcel) if parcel.started_at + timedelta(hours=s.offset_hours) <= now]


def poll(uow: UnitOfWork, tracking_number: str, now: datetime) -> dict[str, Any] | None:
    """The carrier's tracking API: every event scanned so far for the newest parcel with this
    number (numbers are reused, so the carrier too answers for the latest one)."""
    parcel = uow.conn.execute(
        select(postal_sim_parcels).where(postal_sim_parcels.c.tracking_number == tracking_number)
    ).first()
    if parcel is None:
        return None
    return {
        "tracking_number": tracking_number,
        "carrier": CARRIER,
        "reference": parcel.shipment_id,
        "events": [_event(s, parcel.started_at) for s in _due_steps(parcel, now)],
    }


def dispatch(uow_factory: UnitOfWorkFactory, sender: WebhookSender, secret: str) -> int:
    """Send every newly due event as a signed webhook; returns deliveries acknowledged."""
    now = uow_factory.clock.now()
    with uow_factory(read_only=True) as uow:
        parcels = uow.conn.execute(
            select(postal_sim_parcels)
            .limit(MAX_PARCELS_PER_DISPATCH)
            .where(postal_sim_parcels.c.steps_emitted < postal_sim_parcels.c.steps_total)
        ).all()
    delivered = 0
    for parcel in parcels:
        due = _due_steps(parcel, now)
        fresh = due[parcel.steps_emitted :]
        if not fresh:
            continue
        if _hash(parcel.tracking_number + str(len(due))) % 3 == 0:
            fresh = list(reversed(fresh))  # a batch that arrives out of order
        sent_all = True
        for step in fresh:
            copies = 2 if _hash(parcel.tracking_number + step.code) % DUPLICATE_EVERY == 0 else 1
            for _ in range(copies):
                if not _send(sender, secret, parcel, step, now):
                    sent_all = False
            delivered += 1
        if sent_all:
            with uow_factory() as uow:
                uow.conn.execute(
                    update(postal_sim_parcels)
                    .where(
                        postal_sim_parcels.c.tracking_number == parcel.tracking_number,
                        postal_sim_parcels.c.steps_emitted == parcel.steps_emitted,
                    )
                    .values(steps_emitted=len(due))
                )
                uow.commit()
    return delivered


def _send(sender: WebhookSender, secret: str, parcel: Any, step: ScriptStep, now: datetime) -> bool:
    body = json.dumps(
        {
            "tracking_number": parcel.tracking_number,
            "carrier": CARRIER,
            "reference": parcel.shipment_id,
            "events": [_event(step, parcel.started_at)],
        },
        separators=(",", ":"),
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, int(now.timestamp())),
    }
    try:
        status = sender(parcel.webhook_url, body, headers)
    except Exception:  # noqa: BLE001 - a failed delivery is retried on the next dispatch
        log.warning("postal webhook failed", extra={"tracking_number": parcel.tracking_number})
        return False
    return 200 <= status < 300
