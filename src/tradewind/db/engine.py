"""Engines for SQLite and PostgreSQL with the settings each needs to be safe under concurrency."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, pool_size: int = 30) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, pool_size)
    if parsed.get_backend_name() == "postgresql":
        # Why a pool as large as the request threads that read at once: an overflow connection
        # is closed when returned, and opening one costs PostgreSQL a new backend process (a
        # few ms); a small pool under load opened and closed one per request.
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=max(pool_size // 3, 1),
            pool_pre_ping=True,
            pool_timeout=60,
        )
    raise ValueError(
        f"unsupported database: {parsed.get_backend_name()} (use sqlite or postgresql)"
    )


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
