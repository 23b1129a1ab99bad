"""A use case called with the factory is one transaction: committed when its steps return,
nothing kept when they raise; ``.within`` runs the same steps in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select

from tradewind.db.engine import make_engine
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory, use_case
from tradewind.kernel.clock import ManualClock
from tradewind.kernel.errors import Conflict
from tradewind.kernel.problems import ProblemCode

metadata = MetaData()
rows = Table("rows", metadata, Column("n", Integer, primary_key=True))


@use_case
def add(uow: UnitOfWork, n: int, *, fail: bool = False) -> int:
    uow.conn.execute(insert(rows).values(n=n))
    if fail:
        raise Conflict("refused after the write", code=ProblemCode.CONFLICT)
    return n * 10


def _count(uows: UnitOfWorkFactory) -> int:
    with uows(read_only=True) as uow:
        return int(uow.conn.scalar(select(func.count()).select_from(rows)) or 0)


@pytest.fixture
def uows(tmp_path: Path) -> UnitOfWorkFactory:
    engine = make_engine(f"sqlite:///{tmp_path / 'use_case.db'}")
    metadata.create_all(engine)
    return UnitOfWorkFactory(engine, ManualClock(datetime(2027, 1, 1, tzinfo=UTC)), subscribers={})


def test_a_call_commits_when_the_steps_return(uows: UnitOfWorkFactory) -> None:
    assert add(uows, 1) == 10
    assert _count(uows) == 1


def test_a_failure_keeps_nothing(uows: UnitOfWorkFactory) -> None:
    with pytest.raises(Conflict):
        add(uows, 2, fail=True)
    assert _count(uows) == 0


def test_within_joins_the_callers_transaction(uows: UnitOfWorkFactory) -> None:
    with uows() as uow:
        assert add.within(uow, 3) == 30
        assert add.within(uow, 4) == 40
        # not committed by the steps: leaving without commit rolls both back
    assert _count(uows) == 0
    assert add.__name__ == "add"
