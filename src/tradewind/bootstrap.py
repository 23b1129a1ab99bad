"""Composition root: builds the engine, clock, unit-of-work factory and timer handlers once.

Everything else receives these; nothing reaches for globals.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import make_url

from tradewind.config import Settings
from tradewind.db.engine import make_engine
from tradewind.db.tables.platform import clock_offsets
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.kernel.clock import Clock, ManualClock, SystemClock
from tradewind.timers.service import TimerHandler


@dataclass
class Container:
    settings: Settings
    engine: Engine
    clock: Clock
    uow: UnitOfWorkFactory
    secret_key: str
    timer_handlers: dict[str, TimerHandler] = field(default_factory=dict)


def build(settings: Settings, *, clock: Clock | None = None) -> Container:
    engine = make_engine(settings.database_url)
    if clock is None:
        clock = ManualClock() if settings.clock == "manual" else SystemClock()
    container = Container(
        settings=settings,
        engine=engine,
        clock=clock,
        uow=UnitOfWorkFactory(engine, clock),
        secret_key=_secret_key(settings),
    )
    container.timer_handlers.update(_timer_handlers())
    return container


def _timer_handlers() -> dict[str, TimerHandler]:
    """Every durable timer kind and the use case that runs it."""
    from tradewind.ordering import checkout

    def payment_timeout(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        checkout.expire_unpaid(uow, str(payload["checkout_id"]))

    return {checkout.PAYMENT_TIMEOUT_KIND: payment_timeout}


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if not settings.is_sqlite:
        raise RuntimeError("TRADEWIND_SECRET_KEY must be set when running on PostgreSQL")
    database = make_url(settings.database_url).database or "var/tradewind.db"
    key_file = Path(database).with_suffix(".secret")
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(32)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def sync_manual_clock(container: Container) -> None:
    """Bring an in-process manual clock up to the offset stored by any process."""
    clock = container.clock
    if not isinstance(clock, ManualClock):
        return
    with container.uow(read_only=True) as uow:
        stored = uow.conn.scalar(select(clock_offsets.c.offset_s).where(clock_offsets.c.id == 1))
    behind = timedelta(seconds=stored or 0) - clock.advanced_by
    if behind > timedelta(0):
        clock.advance(behind)


def advance_manual_clock(container: Container, delta: timedelta) -> None:
    clock = container.clock
    if not isinstance(clock, ManualClock):
        raise RuntimeError("the clock is not manual")
    sync_manual_clock(container)
    clock.advance(delta)
    total = int(clock.advanced_by.total_seconds())
    with container.uow() as uow:
        changed = uow.conn.execute(
            update(clock_offsets).where(clock_offsets.c.id == 1).values(offset_s=total)
        ).rowcount
        if not changed:
            uow.conn.execute(insert(clock_offsets).values(id=1, offset_s=total))
        uow.commit()
