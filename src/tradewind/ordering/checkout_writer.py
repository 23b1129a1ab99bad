"""This process's checkout writer: planned checkouts committed many to a transaction.

Handlers plan a checkout (reads only, in their own thread), queue it and await the settlement;
the writer applies what queued in one transaction (:func:`apply_checkouts`) and answers only
after the commit (:mod:`tradewind.db.group_commit`). Under load a batch carries dozens of
checkouts, so BEGIN, COMMIT, the SQLite writer hand-over and the per-table INSERTs are paid
once for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.db.group_commit import GroupCommitWriter, still_queued
from tradewind.db.turns import WriterTurns
from tradewind.db.uow import UnitOfWorkFactory
from tradewind.kernel.problems import ProblemCode
from tradewind.ordering.checkout_write import (
    CheckoutJob,
    Placed,
    Replayed,
    Settlement,
    apply_checkouts,
)

MAX_BATCH_CHECKOUTS = 200
MAX_QUEUED_CHECKOUTS = 5_000
CHECKOUT_WAIT_S = 30.0
_STILL_QUEUED = still_queued("checkout", ProblemCode.CHECKOUT_PENDING)
STOP_TIMEOUT_S = 10.0


class CheckoutWriter:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory
        self._turns = WriterTurns(uow_factory.engine)
        self._writer: GroupCommitWriter[CheckoutJob, Placed | Replayed] = GroupCommitWriter(
            self._commit,
            name="checkout-writer",
            max_batch=MAX_BATCH_CHECKOUTS,
            max_queued=MAX_QUEUED_CHECKOUTS,
            queue_full_message="too many checkouts are queued; retry shortly",
        )

    async def place(self, job: CheckoutJob) -> Placed | Replayed:
        """Queue ``job``; returns once it committed, raises what refused it."""
        return await self._writer.run(job, wait_s=CHECKOUT_WAIT_S, on_timeout=_STILL_QUEUED)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Server shutdown: commit (and answer) the checkouts still queued."""
        self._writer.stop(timeout_s)

    def _commit(self, jobs: Sequence[CheckoutJob]) -> list[Settlement]:
        with self._turns.turn(), self._uow() as uow:
            settled = apply_checkouts(uow, jobs)
            uow.commit()
        return settled
