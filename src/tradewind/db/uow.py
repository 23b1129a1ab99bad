"""The unit of work: one database transaction that use cases run inside.

A use case takes a :class:`UnitOfWork`, does its reads and conditional writes on ``uow.conn`` and
calls ``commit()``. Leaving the block without committing rolls everything back, so a failure in
the middle changes nothing.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from tradewind.kernel.clock import Clock


class UnitOfWork:
    def __init__(self, engine: Engine, clock: Clock, *, read_only: bool = False) -> None:
        self._engine = engine
        self.clock = clock
        self._read_only = read_only
        self._conn: Connection | None = None
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
        conn = self._engine.connect()
        if self._read_only and self._engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="DEFERRED")
        self._conn = conn
        conn.begin()
        return self

    def commit(self) -> None:
        self.conn.commit()
        self.committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
            self._conn = None


class UnitOfWorkFactory:
    """Creates units of work bound to one engine and clock; injected wherever use cases run."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock, read_only=read_only)
