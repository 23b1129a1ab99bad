"""Durable timers: due rows run once when the clock passes them, failures retry, nothing doubles."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tradewind.bootstrap import Container
from tradewind.db.tables.timers import timers
from tradewind.db.uow import UnitOfWork
from tradewind.kernel.clock import ManualClock
from tradewind.timers.service import MAX_ATTEMPTS, cancel, run_due, schedule


def _schedule(container: Container, key: str, after: timedelta, kind: str = "note") -> bool:
    with container.uow() as uow:
        added = schedule(
            uow,
            kind=kind,
            dedupe_key=key,
            due_at=container.clock.now() + after,
            payload={"key": key},
        )
        uow.commit()
    return added


def _status(container: Container, key: str) -> tuple[str, int]:
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(
            select(timers.c.status, timers.c.attempts).where(timers.c.dedupe_key == key)
        ).one()
    return row.status, row.attempts


def test_timer_fires_only_after_the_clock_moves(container: Container, clock: ManualClock) -> None:
    fired: list[str] = []

    def note(_uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        fired.append(payload["key"])

    handlers = {"note": note}
    assert _schedule(container, "t1", timedelta(minutes=15))
    assert not _schedule(container, "t1", timedelta(minutes=1)), "dedupe key must hold"
    assert run_due(container.uow, handlers) == 0
    clock.advance(timedelta(minutes=14, seconds=59))
    assert run_due(container.uow, handlers) == 0
    clock.advance(timedelta(seconds=1))
    assert run_due(container.uow, handlers) == 1
    assert run_due(container.uow, handlers) == 0
    assert fired == ["t1"]
    assert _status(container, "t1") == ("done", 1)


def test_cancelled_timer_never_fires(container: Container, clock: ManualClock) -> None:
    fired: list[str] = []
    _schedule(container, "t2", timedelta(seconds=10))
    with container.uow() as uow:
        assert cancel(uow, "t2")
        uow.commit()
    clock.advance(timedelta(hours=1))
    assert run_due(container.uow, {"note": lambda _u, p: fired.append(p["key"])}) == 0
    assert fired == []
    assert _status(container, "t2")[0] == "cancelled"


def test_failing_handler_rolls_back_retries_with_backoff_then_dies(
    container: Container, clock: ManualClock
) -> None:
    def boom(uow: UnitOfWork, _payload: Mapping[str, Any]) -> None:
        schedule(uow, kind="note", dedupe_key="side-effect", due_at=uow.clock.now(), payload={})
        raise RuntimeError("carrier unreachable")

    _schedule(container, "t3", timedelta(0), kind="boom")
    assert run_due(container.uow, {"boom": boom}) == 0
    assert _status(container, "t3") == ("pending", 1)
    with container.uow(read_only=True) as uow:
        side = uow.conn.scalar(select(timers.c.id).where(timers.c.dedupe_key == "side-effect"))
    assert side is None, "the failed handler's writes must roll back"
    assert run_due(container.uow, {"boom": boom}) == 0, "backoff: not due again yet"
    for _ in range(MAX_ATTEMPTS):
        clock.advance(timedelta(days=1))
        run_due(container.uow, {"boom": boom})
    assert _status(container, "t3") == ("dead", MAX_ATTEMPTS)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_timer_another_worker_holds_is_skipped_not_waited_for(
    container: Container, clock: ManualClock
) -> None:
    fired: list[str] = []

    def note(_uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        fired.append(payload["key"])

    handlers = {"note": note}
    _schedule(container, "held", timedelta(seconds=1))
    _schedule(container, "free", timedelta(seconds=1))
    clock.advance(timedelta(seconds=1))
    with container.engine.connect() as other:  # another worker, inside the held timer's handler
        other.execute(
            select(timers.c.id).where(timers.c.dedupe_key == "held").with_for_update()
        ).one()
        assert run_due(container.uow, handlers) == 1  # without SKIP LOCKED this waits
        assert fired == ["free"]
        assert _status(container, "held") == ("pending", 0)
        other.rollback()
    assert run_due(container.uow, handlers) == 1
    assert fired == ["free", "held"]
    assert _status(container, "held") == ("done", 1)


def test_workers_racing_over_one_due_list_fire_each_timer_once(
    container: Container, clock: ManualClock
) -> None:
    fired: list[str] = []
    lock = threading.Lock()

    def note(_uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        with lock:
            fired.append(payload["key"])

    keys = [f"race-{n}" for n in range(40)]
    for key in keys:
        _schedule(container, key, timedelta(seconds=1))
    clock.advance(timedelta(seconds=1))
    ran: list[int] = []
    workers = [
        threading.Thread(target=lambda: ran.append(run_due(container.uow, {"note": note})))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(fired) == sorted(keys)
    assert sum(ran) == 40
    assert {_status(container, key) for key in keys} == {("done", 1)}
