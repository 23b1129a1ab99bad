"""One process's flash-sale machinery: the gate, its poller and the claim writer.

Built once per process by the composition root; the threads start on first use and end when
idle, so CLI commands and tests that never claim never start them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import datetime

from tradewind.db.uow import UnitOfWorkFactory
from tradewind.flash.claims import ClaimInput, ClaimResult, SaleState
from tradewind.flash.gate import POLL_S, SaleGate, Verdict
from tradewind.flash.writer import ClaimWriter
from tradewind.kernel.errors import Conflict, NotFound

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0
POLLER_IDLE_EXIT_S = 30.0
MAX_POLL_BACKOFF_S = 5.0


class FlashRuntime:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory
        self.gate = SaleGate()
        self.writer = ClaimWriter(uow_factory, seen_seq=self.gate.seen_seq, observe=self._observe)
        self._poller: threading.Thread | None = None
        self._poller_lock = threading.Lock()
        self._stop_polling = threading.Event()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Server shutdown: apply the queued claims and end both threads."""
        with self._poller_lock:
            poller = self._poller
            self._stop_polling.set()
        self.writer.stop(timeout_s)
        if poller is not None:
            poller.join(timeout_s)

    async def refusal(self, sale_id: str, key: str, now: datetime) -> Conflict | None:
        """The gate's answer; loads an unknown sale (or a stale flag) once, off the loop."""
        verdict = self.gate.check(sale_id, key, now)
        if verdict is Verdict.LOAD:
            if not await asyncio.to_thread(self.gate.load, self._uow, sale_id):
                raise NotFound("flash sale not found")
            self._ensure_poller()
            verdict = self.gate.check(sale_id, key, now)
        if isinstance(verdict, Verdict):
            return None  # PASS (a second LOAD cannot happen right after a load)
        return verdict

    async def claim(self, claim: ClaimInput) -> ClaimResult:
        """Queue the claim and wait until its batch has committed (or was refused)."""
        return await self.writer.claim(claim)

    def _observe(self, state: SaleState, at: float) -> None:
        self.gate.observe(state, at=at)

    def _ensure_poller(self) -> None:
        with self._poller_lock:
            if self._poller is None:
                self._stop_polling.clear()
                self._poller = threading.Thread(target=self._poll, name="flash-gate", daemon=True)
                self._poller.start()

    def _poll(self) -> None:
        idle_since = time.monotonic()
        failures = 0
        while not self._stop_polling.wait(min(POLL_S * 2**failures, MAX_POLL_BACKOFF_S)):
            active = self.gate.active_sales()
            if not active:
                if time.monotonic() - idle_since > POLLER_IDLE_EXIT_S:
                    break
                continue
            idle_since = time.monotonic()
            try:
                self.gate.poll(self._uow, active)
                failures = 0
            except Exception:
                # Refusals simply age out meanwhile; log a failing database once, not 5 times/s.
                if failures == 0:
                    log.exception("flash gate poll failed; backing off")
                failures = min(failures + 1, 10)
        with self._poller_lock:
            self._poller = None
