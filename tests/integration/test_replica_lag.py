"""A lagging replica (issue 20): reads leave it while it has WAL it has not replayed, and come
back once it has. A real primary and streaming replica; the lag is made by pausing replay."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, text

from tradewind.bench.cluster_topology import PgServer, replicated_postgres
from tradewind.db.replica import ReadRouter
from tradewind.db.uow import UnitOfWorkFactory
from tradewind.kernel.clock import SystemClock

BEHIND = text("SELECT pg_last_wal_receive_lsn() <> pg_last_wal_replay_lsn()")


def _wait_for(engine: Engine, behind: bool) -> None:
    for _ in range(600):
        with engine.connect() as conn:
            if conn.execute(BEHIND).scalar_one() is behind:
                return
            conn.execute(text("SELECT pg_sleep(0.05)"))
    raise AssertionError(f"the replica never became behind={behind}")


class Ticks:
    """A monotonic clock the test moves, so each question re-measures the lag."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 10.0
        return self.now


def _router(primary: PgServer, replica: Engine) -> ReadRouter:
    factory = UnitOfWorkFactory(create_engine(primary.url()), SystemClock(), subscribers={})
    return ReadRouter(factory, replica, max_lag_s=1.0, monotonic=Ticks())


def test_reads_leave_a_replica_that_lags_and_return_when_it_catches_up() -> None:
    with replicated_postgres() as (primary, replica_server):
        replica = create_engine(replica_server.url(), isolation_level="AUTOCOMMIT")
        writer = create_engine(primary.url(), isolation_level="AUTOCOMMIT")
        router = _router(primary, replica)
        try:
            assert router.replica_usable() is True
            with replica.connect() as conn:
                conn.execute(text("SELECT pg_wal_replay_pause()"))
            with writer.connect() as conn:  # acknowledged: flushed on the replica, not replayed
                conn.execute(text("CREATE TABLE written_while_paused (n int)"))
            _wait_for(replica, behind=True)
            assert router.replica_usable() is False
            with router() as uow:  # the read goes to the primary, which has the table
                assert uow.conn.execute(text("SELECT count(*) FROM written_while_paused")).one()
            assert (router.replica_reads, router.primary_reads) == (0, 1)
            with replica.connect() as conn:
                conn.execute(text("SELECT pg_wal_replay_resume()"))
            _wait_for(replica, behind=False)
            assert router.replica_usable() is True
            with router() as uow:
                assert uow.conn.execute(text("SELECT count(*) FROM written_while_paused")).one()
            assert (router.replica_reads, router.primary_reads) == (1, 1)
        finally:
            router.primary.engine.dispose()
            replica.dispose()
            writer.dispose()
