"""Telling every server process that credentials were revoked, cheaply enough to ask per request.

Each process caches API token lookups (``web.deps.TokenCache``). A cache entry is only served
while the *revocation epoch* it was filled under is still current; anything that revokes a
token or changes an account's profile publishes a new epoch after its commit.

- SQLite (all processes on one machine, one database file): the epoch is the size and mtime of
  a small file beside the database; publishing appends one byte. Reading it is one ``os.stat``.
- PostgreSQL: a listener thread per process holds ``LISTEN tradewind_revocations`` and bumps an
  in-memory counter on every notification; publishing is ``pg_notify`` after the commit and then
  waits (up to a second) until this process's own listener has heard it, which PostgreSQL
  signals to all listeners at once. While the listener is disconnected every call returns a
  new epoch, so nothing is served from the cache.

The cache's own TTL stays as the safety net for a lost notification.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

CHANNEL = "tradewind_revocations"
_FILE_MAX_BYTES = 1 << 20
_ECHO_WAIT_S = 1.0


class RevocationSignal(Protocol):
    def epoch(self) -> object: ...

    def publish(self) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class FileSignal:
    """SQLite: the epoch is the stat of ``<database>.revocations``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def epoch(self) -> object:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return (0, 0)
        return (st.st_size, st.st_mtime_ns)

    def publish(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size >= _FILE_MAX_BYTES:
                os.ftruncate(fd, 0)  # the size changes either way, which is all readers compare
            os.write(fd, b".")
        finally:
            os.close(fd)

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


class PostgresSignal:
    """PostgreSQL: LISTEN/NOTIFY, one listener thread per process (started by the app)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # The dialect's own translation, so a multi-host URL (``?host=a:5432&host=b:5432``,
        # docs/how-to/deploy-cluster.md) reaches libpq as ``host=a,b port=5432,5432``.
        _args, params = engine.dialect.create_connect_args(engine.url)
        self._connect_params: dict[str, Any] = {k: v for k, v in params.items() if k != "context"}
        self._heard = 0
        self._listening = False
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unique = itertools.count()

    def epoch(self) -> object:
        if not self._listening:
            return ("unlistened", next(self._unique))  # never equal: no cache hits
        return self._heard

    def publish(self) -> None:
        with self._changed:
            before = self._heard
        with self._engine.connect() as conn:
            conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
            conn.commit()
        if self._listening:
            with self._changed:
                self._changed.wait_for(lambda: self._heard > before, timeout=_ECHO_WAIT_S)

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name="tradewind-revocations", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        import psycopg

        while not self._stopping.is_set():
            try:
                with psycopg.connect(autocommit=True, **self._connect_params) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening = True
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=0.5):
                            self._bump()
            except psycopg.Error:  # reconnect; until then nothing is served from the cache
                log.warning("revocation listener lost its connection", exc_info=True)
                self._stopping.wait(1.0)
            finally:
                self._listening = False
                self._bump()

    def _bump(self) -> None:
        with self._changed:
            self._heard += 1
            self._changed.notify_all()


def signal_for(engine: Engine) -> RevocationSignal:
    if engine.dialect.name == "postgresql":
        return PostgresSignal(engine)
    database = engine.url.database or "var/tradewind.db"
    if database == ":memory:":
        database = "var/tradewind-memory.db"
    return FileSignal(Path(database).with_suffix(".revocations"))
