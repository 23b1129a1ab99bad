"""Which shipment holds an S10 number: claims, and numbers the simulated origin post issues.

A number is one shipment's for :data:`~tradewind.logistics.s10.REUSE_WINDOW` after it was
claimed. Claiming is one atomic statement, never a read followed by a write::

    INSERT INTO tracking_number_claims VALUES (:number, :shipment, :now)
    ON CONFLICT (tracking_number) DO UPDATE SET shipment_id = ..., claimed_at = ...
    WHERE tracking_number_claims.claimed_at <= :now - window
    RETURNING tracking_number

A row comes back when the number was free or its claim had aged out of the window; no row means
another shipment holds it. On PostgreSQL a second claimer of the same number waits on the
first one's uncommitted row and then sees it, so of concurrent claimers exactly one wins; on
SQLite writers are serialized anyway. A lost claim raises nothing by itself: the caller decides
(a typed number is a 409 for that seller; an issued one is skipped).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.db.tables.logistics import postal_sim_serials, tracking_number_claims
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.errors import Conflict, FieldError
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.s10 import REUSE_WINDOW, S10Number, issue_s10

# Issuing skips numbers sellers typed ahead of the post's counter: each attempt reads which of
# the next SKIP_SPAN serials are held (one index range scan) and claims the first free one.
# Blocking issuance would take MAX_ISSUE_ATTEMPTS * SKIP_SPAN consecutive typed numbers, each
# on a paid, shipped order.
MAX_ISSUE_ATTEMPTS: Final = 8
SKIP_SPAN: Final = 1000
IN_USE: Final = ProblemCode.TRACKING_NUMBER_IN_USE
_claims = tracking_number_claims


def claim(uow: UnitOfWork, number: str, shipment_id: str, now: datetime) -> bool:
    """Take ``number`` for ``shipment_id``; ``False`` if another shipment holds it."""
    dialect = postgresql if uow.conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_claims).values(
        tracking_number=number, shipment_id=shipment_id, claimed_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[_claims.c.tracking_number],
        set_={
            "shipment_id": statement.excluded.shipment_id,
            "claimed_at": statement.excluded.claimed_at,
        },
        where=_claims.c.claimed_at <= now - REUSE_WINDOW,
    ).returning(_claims.c.tracking_number)
    return uow.conn.execute(statement).first() is not None


def claim_typed(uow: UnitOfWork, number: S10Number, shipment_id: str, now: datetime) -> None:
    """A number the seller entered: a clash is this seller's 409, nobody else's problem."""
    if not claim(uow, str(number), shipment_id, now):
        detail = (
            f"tracking number {number} is already on another shipment from the last 12 months; "
            "check the label, or leave the number empty to have the post issue one"
        )
        raise Conflict(detail, code=IN_USE, errors=[FieldError("tracking_number", detail, IN_USE)])


def holder(uow: UnitOfWork, number: str, now: datetime) -> str | None:
    """The shipment holding ``number`` now, if any (claims older than the window hold nothing)."""
    return uow.conn.scalar(
        select(_claims.c.shipment_id).where(
            _claims.c.tracking_number == number, _claims.c.claimed_at > now - REUSE_WINDOW
        )
    )


def issue(
    uow: UnitOfWork, service: str, country: str, shipment_id: str, now: datetime
) -> S10Number:
    """The simulated origin post's next free number for ``service`` + ``country``, claimed."""
    prefix = service + country
    serial = _take_serial(uow, prefix)  # locks the counter row until commit
    for _ in range(MAX_ISSUE_ATTEMPTS):
        held = _held_serials(uow, service, country, serial, now)
        free = next((s for s in range(serial, serial + SKIP_SPAN) if s not in held), None)
        if free is None:
            serial += SKIP_SPAN
            continue
        number = issue_s10(service, free, country)  # past SERIAL_MAX: a 422, not a wrap
        if claim(uow, str(number), shipment_id, now):
            _set_next_serial(uow, prefix, free + 1)
            return number
        serial = free + 1  # a typed claim won the race for it: try the next one
    raise Conflict(
        f"the post found no free {service}...{country} number near serial {serial}; try again",
        code=ProblemCode.TRACKING_NUMBERS_EXHAUSTED,
    )


def _take_serial(uow: UnitOfWork, prefix: str) -> int:
    """The counter's value, incremented (upsert: concurrent first issuers do not collide)."""
    dialect = postgresql if uow.conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(postal_sim_serials).values(prefix=prefix, next_serial=2)
    statement = statement.on_conflict_do_update(
        index_elements=[postal_sim_serials.c.prefix],
        set_={"next_serial": postal_sim_serials.c.next_serial + 1},
    ).returning(postal_sim_serials.c.next_serial)
    issued: int = uow.conn.execute(statement).scalar_one()
    return issued - 1


def _set_next_serial(uow: UnitOfWork, prefix: str, next_serial: int) -> None:
    uow.conn.execute(
        update(postal_sim_serials)
        .where(postal_sim_serials.c.prefix == prefix)
        .values(next_serial=next_serial)
    )


def _held_serials(
    uow: UnitOfWork, service: str, country: str, serial: int, now: datetime
) -> set[int]:
    """Serials in ``[serial, serial + SKIP_SPAN)`` held by a claim (a hint: the claim decides)."""
    low, high = f"{service}{serial:08d}", f"{service}{serial + SKIP_SPAN:08d}"
    numbers = uow.conn.scalars(
        select(_claims.c.tracking_number).where(
            _claims.c.tracking_number >= low,
            _claims.c.tracking_number < high,
            _claims.c.claimed_at > now - REUSE_WINDOW,
        )
    )
    return {int(n[2:10]) for n in numbers if n.endswith(country)}
