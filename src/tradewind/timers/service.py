"""Schedule, cancel and run timers.

Execution is at-least-once: a handler runs in the same transaction that marks its timer done, so
its database effects and the "done" mark commit together; a crash in between rolls both back and
the timer runs again. Handlers must therefore be idempotent (they act through conditional
updates that do nothing the second time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.timers import clock_offsets, timers
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_BASE_S = 5
TimerHandler = Callable[[UnitOfWork, Mapping[str, Any]], None]


@dataclass(frozen=True, slots=True)
class TimerSpec:
    kind: str
    dedupe_key: str
    due_at: datetime
    payload: Mapping[str, Any]


def schedule(
    uow: UnitOfWork, *, kind: str, dedupe_key: str, due_at: datetime, payload: Mapping[str, Any]
) -> bool:
    """Add a timer unless one with ``dedupe_key`` exists; returns whether it was added."""
    return schedule_many(uow, [TimerSpec(kind, dedupe_key, due_at, payload)]) == 1


def schedule_many(uow: UnitOfWork, specs: Sequence[TimerSpec]) -> int:
    """Add every timer whose ``dedupe_key`` is new, in one statement; returns how many."""
    return insert_ignoring_conflicts(
        uow.conn,
        timers,
        [
            {
                "kind": spec.kind,
                "dedupe_key": spec.dedupe_key,
                "payload": dict(spec.payload),
                "due_at": spec.due_at,
                "status": "pending",
                "attempts": 0,
            }
            for spec in specs
        ],
    )


def cancel(uow: UnitOfWork, dedupe_key: str) -> bool:
    result = uow.conn.execute(
        update(timers)
        .where(timers.c.dedupe_key == dedupe_key, timers.c.status == "pending")
        .values(status="cancelled", done_at=uow.clock.now())
    )
    return result.rowcount == 1


def reschedule(uow: UnitOfWork, dedupe_key: str, due_at: datetime) -> bool:
    result = uow.conn.execute(
        update(timers)
        .where(timers.c.dedupe_key == dedupe_key, timers.c.status == "pending")
        .values(due_at=due_at)
    )
    return result.rowcount == 1


def run_due(
    uow_factory: UnitOfWorkFactory, handlers: Mapping[str, TimerHandler], *, limit: int = 100
) -> int:
    """Run up to ``limit`` due timers; returns how many ran to completion."""
    now = uow_factory.clock.now()
    with uow_factory(read_only=True) as uow:
        due = (
            uow.conn.execute(
                select(timers.c.id)
                .where(timers.c.status == "pending", timers.c.due_at <= now)
                .order_by(timers.c.due_at, timers.c.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
    completed = 0
    for timer_id in due:
        if _run_one(uow_factory, handlers, timer_id):
            completed += 1
    return completed


def _run_one(
    uow_factory: UnitOfWorkFactory, handlers: Mapping[str, TimerHandler], timer_id: int
) -> bool:
    try:
        with uow_factory() as uow:
            now = uow.clock.now()
            # Several workers read the same due list. On PostgreSQL the first to lock a timer
            # takes it and the others skip it at once (SKIP LOCKED) instead of queueing behind
            # its handler; SQLite has one writer at a time and ignores the clause.
            taken = uow.conn.execute(
                select(timers.c.id)
                .where(timers.c.id == timer_id, timers.c.status == "pending")
                .with_for_update(skip_locked=True)
            ).first()
            if taken is None:
                return False
            # The conditional update marks it done; the handler's effects commit with it or not
            # at all, so a worker killed mid-handler leaves the timer pending for another.
            claimed = uow.conn.execute(
                update(timers)
                .where(
                    timers.c.id == timer_id, timers.c.status == "pending", timers.c.due_at <= now
                )
                .values(status="done", done_at=now, attempts=timers.c.attempts + 1)
            )
            if claimed.rowcount != 1:
                return False
            row = uow.conn.execute(select(timers).where(timers.c.id == timer_id)).one()
            handler = handlers.get(row.kind)
            if handler is None:
                raise LookupError(f"no handler for timer kind {row.kind!r}")
            handler(uow, row.payload)
            uow.commit()
            return True
    except Exception as exc:
        log.exception("timer %s failed", timer_id)
        _record_failure(uow_factory, timer_id, exc)
        return False


def _record_failure(uow_factory: UnitOfWorkFactory, timer_id: int, exc: Exception) -> None:
    with uow_factory() as uow:
        row = uow.conn.execute(select(timers.c.attempts).where(timers.c.id == timer_id)).one()
        attempts = row.attempts + 1
        dead = attempts >= MAX_ATTEMPTS
        uow.conn.execute(
            update(timers)
            .where(timers.c.id == timer_id, timers.c.status == "pending")
            .values(
                attempts=attempts,
                status="dead" if dead else "pending",
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                due_at=uow.clock.now() + timedelta(seconds=RETRY_BASE_S * 2**attempts),
            )
        )
        uow.commit()


def stored_clock_offset_s(uow: UnitOfWork) -> int:
    """How far any process moved the manual clock (0 if never), in seconds."""
    stored = uow.conn.scalar(select(clock_offsets.c.offset_s).where(clock_offsets.c.id == 1))
    return int(stored or 0)


def store_clock_offset_s(uow: UnitOfWork, offset_s: int) -> None:
    """Record the manual clock's total offset, for every process (the caller commits)."""
    changed = uow.conn.execute(
        update(clock_offsets).where(clock_offsets.c.id == 1).values(offset_s=offset_s)
    ).rowcount
    if not changed:
        uow.conn.execute(insert(clock_offsets).values(id=1, offset_s=offset_s))


def backlog(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """What an operator watches: timers waiting, due and given up (one grouped read)."""
    counts = {"timers_pending": 0, "timers_due": 0, "timers_dead": 0}
    due = (timers.c.due_at <= now).label("due")
    rows = uow.conn.execute(
        select(timers.c.status, due, func.count())
        .where(timers.c.status.in_(("pending", "dead")))
        .group_by(timers.c.status, due)
    )
    for status, is_due, count in rows:
        counts[f"timers_{status}"] += int(count)
        if status == "pending" and is_due:
            counts["timers_due"] += int(count)
    return counts
