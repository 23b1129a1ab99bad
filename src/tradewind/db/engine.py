"""Engines for SQLite and PostgreSQL with the settings each needs to be safe under concurrency."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 30_000
UNREACHABLE_RETRY_S = 1.0


def make_engine(url: str, *, pool_size: int = 30) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, pool_size)
    if parsed.get_backend_name() == "postgresql":
        # Why a pool as large as the request threads that read at once: an overflow connection
        # is closed when returned, and opening one costs PostgreSQL a new backend process (a
        # few ms); a small pool under load opened and closed one per request.
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=max(pool_size // 3, 1),
            pool_pre_ping=True,
            pool_timeout=60,
        )
        _fail_fast_when_unreachable(engine)
        return engine
    raise ValueError(
        f"unsupported database: {parsed.get_backend_name()} (use sqlite or postgresql)"
    )


def _fail_fast_when_unreachable(engine: Engine) -> None:
    """After a failed connection attempt, refuse new ones for ``UNREACHABLE_RETRY_S``.

    Why: an unreachable server (a cut link, a dead primary) costs each attempt its whole
    ``connect_timeout``; without this every request of a node cut off from its database would
    wait that long before its 503. With it, one attempt per ``UNREACHABLE_RETRY_S`` probes the
    server and the other requests are answered at once. Raised as the driver's own
    OperationalError, so callers see what a failed connect looks like anyway.
    """
    failed_at = [-UNREACHABLE_RETRY_S]

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        waited = time.monotonic() - failed_at[0]
        if waited < UNREACHABLE_RETRY_S:
            raise dialect.loaded_dbapi.OperationalError(
                f"database unreachable {waited:.1f} s ago; next attempt within "
                f"{UNREACHABLE_RETRY_S} s"
            )
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError:
            failed_at[0] = time.monotonic()
            raise


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        # As on PostgreSQL, a pool as large as the threads that read at once: an overflow
        # connection is closed on return, and each new one re-runs the PRAGMAs below.
        pool_size=pool_size,
        max_overflow=max(pool_size // 3, 1),
        pool_timeout=60,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _entry: ConnectionPoolEntry) -> None:
        # Why autocommit at the driver: pysqlite's own implicit BEGIN is DEFERRED, and a deferred
        # transaction that later writes can fail with SQLITE_BUSY without waiting. We issue our
        # own BEGIN IMMEDIATE below so writers queue on the busy timeout instead.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
