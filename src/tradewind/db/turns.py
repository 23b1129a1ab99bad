"""Batch writers of several server processes taking turns on one SQLite database.

SQLite lets one writer in at a time, and a writer that finds the database busy sleeps and polls
(1, 2, 5, ... up to 100 ms between tries). With two server processes each writer's next batch
keeps waking up too late, and tail latency grows to seconds. An exclusive ``flock`` on a file
beside the database hands the turn over at once: the kernel wakes the waiting writer as soon as
the other lets go. Measured with ``tradewind bench flash-sale``: claim p99 at half load fell
from about 500 ms to about 130 ms. PostgreSQL needs none of this: row locks already queue the
writers inside the server.

Every batch writer (flash claims, checkouts) shares the one lock file, so they also take turns
with each other, as SQLite would make them do anyway.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine


class WriterTurns:
    def __init__(self, engine: Engine) -> None:
        database = engine.url.database
        self._path = (
            f"{database}.writer-lock"
            if engine.dialect.name == "sqlite" and database and database != ":memory:"
            else None
        )
        self._fd: int | None = None
        self._open = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the cross-process turn (a no-op off SQLite, or where flock does not exist)."""
        if self._path is None or sys.platform == "win32":
            yield
            return
        import fcntl

        fd = self._descriptor(self._path)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _descriptor(self, path: str) -> int:
        with self._open:
            if self._fd is None:
                self._fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
            return self._fd
