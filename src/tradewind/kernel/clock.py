"""One injectable clock.

Everything that asks "what time is it" asks a :class:`Clock`, so tests (and the demo's operator
console) can move time forward and watch timers fire, without sleeping.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that runs with real time but can be pushed forward (never backward).

    Why an offset and not a frozen instant: a live demo or a browser test still needs
    countdowns and timeouts to move, and it also needs to jump days ahead.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._lock = threading.Lock()
        self._frozen = frozen
        self._base = start or datetime.now(UTC)
        self._offset = timedelta(0) if start is None else self._base - datetime.now(UTC)
        self._advanced = timedelta(0)

    @property
    def advanced_by(self) -> timedelta:
        """How far ``advance`` has pushed this clock in total."""
        with self._lock:
            return self._advanced

    def now(self) -> datetime:
        with self._lock:
            if self._frozen:
                return self._base
            return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time never runs backward")
        with self._lock:
            self._base += delta
            self._offset += delta
            self._advanced += delta
        return self.now()
