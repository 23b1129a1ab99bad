"""Reads that may come from a streaming replica, and fall back to the primary when they may not.

A :class:`ReadRouter` hands out read-only units of work. It picks the replica only when:

- one is configured (``TRADEWIND_REPLICA_URL``),
- the caller did not ask for the primary (read-your-writes: the web layer asks for it for a
  while after a client's own write), and
- the replica's last measured lag is at most ``max_lag_s``. The lag is measured at most every
  ``LAG_CHECK_S`` by whichever request finds the figure old: zero when the replica has
  replayed all the WAL it received (with synchronous commit, every acknowledged commit was
  received before it was acknowledged), else the age of the last replayed transaction.

A replica that cannot be reached, or whose check fails, is left alone for ``DOWN_S`` and the
reads go to the primary meanwhile: a lost replica costs no errors, only the primary's load.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory

LAG_CHECK_S = 0.5
DOWN_S = 5.0
_LAG_SQL = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0.0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)"
    " END"
)


class ReadRouter:
    def __init__(
        self,
        primary: UnitOfWorkFactory,
        replica: Engine | None,
        *,
        max_lag_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_s = max_lag_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._checked_at = -LAG_CHECK_S
        self._lag_s = 0.0
        self._down_until = 0.0
        self.replica_reads = 0  # counters, for the bench and the tests
        self.primary_reads = 0

    def __call__(self, *, primary: bool = False) -> RoutedRead:
        return RoutedRead(self, use_replica=not primary and self.replica_usable())

    def replica_usable(self) -> bool:
        if self.replica is None:
            return False
        now = self._monotonic()
        if now < self._down_until:
            return False
        if now - self._checked_at > LAG_CHECK_S and self._lock.acquire(blocking=False):
            try:
                self._measure(now)
            finally:
                self._lock.release()
        return now >= self._down_until and self._lag_s <= self.max_lag_s

    def _measure(self, now: float) -> None:
        assert self.replica is not None
        self._checked_at = now
        if self.replica.dialect.name != "postgresql":
            self._lag_s = 0.0
            return
        try:
            with self.replica.connect() as conn:
                self._lag_s = float(conn.execute(_LAG_SQL).scalar_one())
        except DBAPIError:
            self.mark_down()

    def mark_down(self) -> None:
        self._down_until = self._monotonic() + DOWN_S


class RoutedRead:
    """A read-only unit of work on the replica or the primary, chosen on entry."""

    def __init__(self, router: ReadRouter, *, use_replica: bool) -> None:
        self._router = router
        self._use_replica = use_replica
        self._uow: UnitOfWork | None = None

    def __enter__(self) -> UnitOfWork:
        router = self._router
        if self._use_replica and router.replica is not None:
            uow = UnitOfWork(router.replica, router.primary.clock, read_only=True)
            try:
                self._uow = uow.__enter__()
                router.replica_reads += 1
                return self._uow
            except DBAPIError:
                router.mark_down()
                self._use_replica = False
        self._uow = router.primary(read_only=True).__enter__()
        router.primary_reads += 1
        return self._uow

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._uow is not None
        if self._use_replica and isinstance(exc, DBAPIError) and exc.connection_invalidated:
            self._router.mark_down()  # the next reads go to the primary at once
        self._uow.__exit__(exc_type, exc, tb)
