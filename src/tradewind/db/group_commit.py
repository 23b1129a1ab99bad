"""Group commit: one thread per server process applying queued jobs in batches.

Request handlers put a job on the queue and await a future. The writer takes everything queued
(up to ``max_batch``), hands the batch to ``commit`` (which applies it in one transaction and
commits), and only then settles the futures: a caller is told "done" only about committed work,
so a SIGKILL right after the answer loses nothing. While one batch commits the next one queues
up, so batches grow with load and the per-transaction costs (BEGIN, COMMIT, lock hand-over,
statement set-up) are paid once per batch instead of once per request.

``commit`` returns one settlement per job: a result, or the exception that job's caller gets
(a refusal whose effects ``commit`` already undid inside the transaction). If it raises
instead (a lost connection, a constraint a bug violated, a deadlock the database broke), the
whole transaction rolled back and the batch's jobs are retried one by one, so one bad job
cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from tradewind.kernel.errors import TooManyRequests
from tradewind.kernel.problems import ProblemCode

log = logging.getLogger(__name__)

IDLE_EXIT_S = 30.0  # an idle writer thread ends; the next job starts a new one

J = TypeVar("J")
R = TypeVar("R")


@dataclass(eq=False, slots=True)
class Job(Generic[J, R]):
    payload: J
    future: asyncio.Future[R]
    loop: asyncio.AbstractEventLoop


class GroupCommitWriter(Generic[J, R]):
    def __init__(
        self,
        commit: Callable[[Sequence[J]], Sequence[R | BaseException]],
        *,
        name: str,
        max_batch: int,
        max_queued: int,
        queue_full_message: str,
    ) -> None:
        self._commit = commit
        self._name = name
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._queue_full_message = queue_full_message
        self._queue: queue.SimpleQueue[Job[J, R] | None] = queue.SimpleQueue()  # None: stop
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    async def run(self, payload: J, *, wait_s: float, on_timeout: Callable[[], Exception]) -> R:
        """Queue ``payload`` and wait until its batch has committed (or refused it).

        After ``wait_s`` the caller gets ``on_timeout()`` instead; the job may still commit
        later, so that error must tell the caller how to find out (retry under its key).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self.submit(Job(payload, future, loop))
        # One timer handle, not asyncio.wait_for: that costs a task and two futures per job.
        give_up = loop.call_later(wait_s, _time_out, future, on_timeout)
        try:
            return await future
        finally:
            give_up.cancel()

    def submit(self, job: Job[J, R]) -> None:
        """Queue one job; refuses with 429 when the queue is full (the caller retries)."""
        if self._queue.qsize() >= self._max_queued:
            raise TooManyRequests(self._queue_full_message, retry_after_s=1)
        with self._lock:  # the thread only exits holding this lock with an empty queue
            self._queue.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def stop(self, timeout_s: float) -> None:
        """Apply what is queued, then end the thread (a later job starts a new one)."""
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
            if first is None:  # idle, or asked to stop: end unless jobs arrived meanwhile
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    batch.append(job)
            _settle(batch, self._apply(batch))

    def _apply(self, batch: list[Job[J, R]]) -> list[R | BaseException]:
        try:
            settled = list(self._commit([job.payload for job in batch]))
            if len(settled) != len(batch):
                raise RuntimeError(f"commit settled {len(settled)} of {len(batch)} jobs")
        except Exception as exc:
            if len(batch) == 1:
                log.exception("%s: job failed", self._name)
                return [RuntimeError(f"{self._name}: the request could not be stored: {exc}")]
            log.warning("%s: batch failed; retrying its jobs one by one", self._name, exc_info=True)
            return [result for job in batch for result in self._apply([job])]
        return settled


def still_queued(what: str, code: ProblemCode) -> Callable[[], Exception]:
    """The answer for a caller that waited too long: not an answer either way, since the job
    may still commit, and a retry under the same Idempotency-Key then returns it."""

    def refusal() -> Exception:
        return TooManyRequests(
            f"the {what} is still queued; retry with the same Idempotency-Key",
            retry_after_s=1,
            code=code,
        )

    return refusal


def _time_out(future: asyncio.Future[R], on_timeout: Callable[[], Exception]) -> None:
    if not future.done():
        future.set_exception(on_timeout())


def _settle(batch: list[Job[J, R]], results: list[R | BaseException]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Job[J, R], R | BaseException]]] = (
        defaultdict(list)
    )
    for job, result in zip(batch, results, strict=True):
        by_loop[job.loop].append((job, result))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_in_loop, pairs)
        except RuntimeError:  # the loop closed (server shutting down): nobody is waiting
            log.warning("jobs settled after their event loop closed")


def _settle_in_loop(pairs: list[tuple[Job[J, R], R | BaseException]]) -> None:
    for job, result in pairs:
        if job.future.done():  # the caller gave up waiting; the committed work stands
            continue
        if isinstance(result, BaseException):
            job.future.set_exception(result)
        else:
            job.future.set_result(result)
