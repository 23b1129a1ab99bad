"""The claim writer: one thread per server process applying queued claims in batches.

Request handlers put claims on a queue and await a future. The writer takes everything queued
(up to ``MAX_BATCH_CLAIMS``), applies it in one transaction (:func:`apply_batch`), commits, and
only then settles the futures: a buyer is told "claimed" only about a committed claim, so a
SIGKILL right after the answer loses nothing. While one batch commits the next one queues up,
so batches grow with load (group commit) and the hot sale row is locked once per batch, not
once per buyer.

If a batch fails as a whole (a lost connection, a constraint a bug violated), its claims are
retried one by one, so one bad claim cannot fail its neighbours; each failed transaction
rolled back, so a retry is safe.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from tradewind.db.uow import UnitOfWorkFactory
from tradewind.flash._turns import WriterTurns
from tradewind.flash.claims import (
    MAX_BATCH_CLAIMS,
    ClaimInput,
    ClaimResult,
    Outcome,
    SaleState,
    apply_batch,
)
from tradewind.kernel.errors import TooManyRequests

log = logging.getLogger(__name__)

MAX_QUEUED_CLAIMS = 20_000
IDLE_EXIT_S = 30.0  # an idle writer thread ends; the next claim starts a new one

Settled = ClaimResult | BaseException


@dataclass(eq=False, slots=True)
class Job:
    claim: ClaimInput
    future: asyncio.Future[ClaimResult]
    loop: asyncio.AbstractEventLoop


class ClaimWriter:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        seen_seq: Callable[[str], int],
        observe: Callable[[SaleState, float], None],
    ) -> None:
        self._uow = uow_factory
        self._seen_seq = seen_seq
        self._observe = observe
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()  # None: stop
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._turns = WriterTurns(uow_factory.engine)

    def submit(self, job: Job) -> None:
        """Queue one claim; refuses with 429 when the queue is full (the buyer retries)."""
        if self._queue.qsize() >= MAX_QUEUED_CLAIMS:
            raise TooManyRequests("the flash-sale queue is full; retry shortly", retry_after_s=1)
        with self._lock:  # the thread only exits holding this lock with an empty queue
            self._queue.put(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="flash-claim-writer", daemon=True
                )
                self._thread.start()

    def stop(self, timeout_s: float) -> None:
        """Apply what is queued, then end the thread (a later claim starts a new one)."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._queue.put(None)
        thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_EXIT_S)
            except queue.Empty:
                first = None
            if first is None:  # idle, or asked to stop: end unless claims arrived meanwhile
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH_CLAIMS:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    batch.append(job)
            _settle(batch, self._apply(batch))

    def _apply(self, batch: list[Job]) -> list[Settled]:
        try:
            return list(self._commit(batch))
        except Exception:
            if len(batch) == 1:
                log.exception("flash claim failed")
                return [RuntimeError("the claim could not be stored")]
            log.warning("flash claim batch failed; retrying its claims one by one", exc_info=True)
            return [settled for job in batch for settled in self._apply([job])]

    def _commit(self, batch: list[Job]) -> list[Outcome]:
        claims = [job.claim for job in batch]
        seen = {c.sale_id: self._seen_seq(c.sale_id) for c in claims}
        with self._turns.turn(), self._uow() as uow:
            outcomes, states = apply_batch(uow, claims, seen_seq=seen)
            uow.commit()
        at = time.monotonic()
        for state in states:
            self._observe(state, at)
        return outcomes


def _settle(batch: list[Job], results: list[Settled]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Job, Settled]]] = defaultdict(list)
    for job, result in zip(batch, results, strict=True):
        by_loop[job.loop].append((job, result))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_in_loop, pairs)
        except RuntimeError:  # the loop closed (server shutting down): nobody is waiting
            log.warning("flash claims settled after their event loop closed")


def _settle_in_loop(pairs: list[tuple[Job, Settled]]) -> None:
    for job, result in pairs:
        if job.future.done():  # the handler gave up waiting; the claim stands regardless
            continue
        if isinstance(result, BaseException):
            job.future.set_exception(result)
        else:
            job.future.set_result(result)
