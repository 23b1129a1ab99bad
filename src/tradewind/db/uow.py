"""The unit of work: one database transaction that use cases run inside.

A use case takes a :class:`UnitOfWork`, does its reads and conditional writes on ``uow.conn`` and
calls ``commit()``. Leaving the block without committing rolls everything back, so a failure in
the middle changes nothing.

A context marks its entry points with :func:`use_case`: called with the
:class:`UnitOfWorkFactory`, one call is one transaction, committed when the steps return, so
callers (routes, pages, the CLI) translate a request to a call and never commit; ``.within(uow,
...)`` runs the same steps inside a caller's transaction (a timer handler, another use case).

:meth:`UnitOfWork.publish` hands an event to the subscribers the composition root
(``tradewind.bootstrap``) wired for its type, inside the same transaction: how a context tells
a context above it what happened without importing it or its tables.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, cast

from sqlalchemy import Connection, Engine

from tradewind.kernel.clock import Clock

Subscriber = Callable[["UnitOfWork", Any], bool]
"""Runs in the publisher's transaction; True when it took the event's consequence over."""
Subscribers = Mapping[type[Any], Sequence[Subscriber]]


class CommitHook(Protocol):
    """Work staged for the end of a transaction (see :meth:`UnitOfWork.before_commit`)."""

    def __call__(self, uow: UnitOfWork, /) -> None: ...


H = TypeVar("H", bound=CommitHook)


class UnitOfWork:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        read_only: bool = False,
        snapshot: bool = False,
        write_lock: threading.RLock | None = None,
        subscribers: Subscribers | None = None,
    ) -> None:
        self._engine = engine
        self._snapshot = snapshot
        self.clock = clock
        self._subscribers: Subscribers = subscribers or {}
        self._read_only = read_only
        self._write_lock = None if read_only else write_lock
        self._conn: Connection | None = None
        self._before_commit: dict[str, CommitHook] = {}
        self.committed = False

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("UnitOfWork used outside its 'with' block")
        return self._conn

    @property
    def is_sqlite(self) -> bool:
        return self._engine.dialect.name == "sqlite"

    def __enter__(self) -> UnitOfWork:
        if self._write_lock is not None:
            self._write_lock.acquire()
        try:
            return self._begin()
        except BaseException:
            if self._write_lock is not None:
                self._write_lock.release()
            raise

    def _begin(self) -> UnitOfWork:
        conn = self._engine.connect()
        if self._read_only and self._engine.dialect.name == "sqlite":
            # WAL: the first read fixes the snapshot the whole transaction sees.
            conn = conn.execution_options(sqlite_begin="DEFERRED")
        elif self._read_only and self._snapshot:
            # Several reads that must agree (a ledger check): one snapshot for all of them.
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        elif self._read_only:
            # Reads at READ COMMITTED see a fresh snapshot per statement either way; autocommit
            # saves the BEGIN and ROLLBACK round trips on every authenticated request.
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        self._conn = conn
        conn.begin()
        return self

    def publish(self, event: object) -> bool:
        """Run every subscriber of ``type(event)`` here, in order; True if any took it over."""
        taken = False
        for subscriber in self._subscribers.get(type(event), ()):
            taken = subscriber(self, event) or taken
        return taken

    def before_commit(self, key: str, make: Callable[[], H]) -> H:
        """The hook registered under ``key`` for this transaction, made by ``make()`` on first use.

        A hook runs once, as the last statements before the transaction commits (and is dropped
        if it rolls back). A context stages work there that must take its row locks late and
        in one order: the ledger's running balances, so two transactions that post to the same
        accounts in different orders cannot deadlock on them.
        """
        hook = self._before_commit.get(key)
        if hook is None:
            hook = self._before_commit[key] = make()
        return cast(H, hook)

    def commit(self) -> None:
        hooks, self._before_commit = self._before_commit, {}
        for hook in hooks.values():
            hook(self)
        self.conn.commit()
        self.committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        self._before_commit = {}
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
            self._conn = None
            if self._write_lock is not None:
                self._write_lock.release()


class UnitOfWorkFactory:
    """Creates units of work bound to one engine and clock; injected wherever use cases run."""

    def __init__(self, engine: Engine, clock: Clock, *, subscribers: Subscribers) -> None:
        self.engine = engine
        self.clock = clock
        # Required, so no process can build units of work that silently drop events.
        self.subscribers = subscribers
        # SQLite has one writer at a time. Its busy handler makes waiting writers sleep and
        # poll, which turns contention into multi-second tail latency; queueing this process's
        # writers on a lock first hands the database lock over without the sleeps.
        self._write_lock = threading.RLock() if engine.dialect.name == "sqlite" else None

    def __call__(self, *, read_only: bool = False, snapshot: bool = False) -> UnitOfWork:
        """A unit of work; ``read_only`` ones take no write lock, and ``snapshot`` ones (read
        only) see one consistent snapshot across all their statements."""
        return UnitOfWork(
            self.engine,
            self.clock,
            read_only=read_only,
            snapshot=snapshot,
            write_lock=self._write_lock,
            subscribers=self.subscribers,
        )


P = ParamSpec("P")
R = TypeVar("R")


class UseCase(Generic[P, R]):
    """Steps that take a unit of work, offered as one transaction of their own."""

    def __init__(self, steps: Callable[Concatenate[UnitOfWork, P], R]) -> None:
        self.within = steps
        functools.update_wrapper(self, steps)

    def __call__(self, uows: UnitOfWorkFactory, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with uows() as uow:
            result = self.within(uow, *args, **kwargs)
            uow.commit()
        return result


def use_case(steps: Callable[Concatenate[UnitOfWork, P], R]) -> UseCase[P, R]:
    """Decorate a context's entry point: ``f(uows, ...)`` commits, ``f.within(uow, ...)`` joins."""
    return UseCase(steps)
