"""The claim writer: one group-commit thread per server process applying claims in batches.

Request handlers queue claims and await them (:mod:`tradewind.db.group_commit`). Each batch is
applied in one transaction (:func:`apply_batch`): the hot sale row is locked once per batch,
not once per buyer, and a buyer is told "claimed" only about a committed claim.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from tradewind.db.group_commit import GroupCommitWriter, Job, still_queued
from tradewind.db.turns import WriterTurns
from tradewind.db.uow import UnitOfWorkFactory
from tradewind.flash.claims import (
    MAX_BATCH_CLAIMS,
    ClaimInput,
    ClaimResult,
    Outcome,
    SaleState,
    apply_batch,
)
from tradewind.kernel.problems import ProblemCode

MAX_QUEUED_CLAIMS = 20_000
CLAIM_WAIT_S = 30.0
_STILL_QUEUED = still_queued("claim", ProblemCode.CLAIM_PENDING)

__all__ = ["ClaimWriter", "Job"]


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
        self._turns = WriterTurns(uow_factory.engine)
        self._writer: GroupCommitWriter[ClaimInput, ClaimResult] = GroupCommitWriter(
            self._commit,
            name="flash-claim-writer",
            max_batch=MAX_BATCH_CLAIMS,
            max_queued=MAX_QUEUED_CLAIMS,
            queue_full_message="the flash-sale queue is full; retry shortly",
        )

    async def claim(self, claim: ClaimInput) -> ClaimResult:
        """Queue ``claim``; returns once its batch committed, raises what refused it."""
        return await self._writer.run(claim, wait_s=CLAIM_WAIT_S, on_timeout=_STILL_QUEUED)

    def submit(self, job: Job[ClaimInput, ClaimResult]) -> None:
        self._writer.submit(job)

    def stop(self, timeout_s: float) -> None:
        self._writer.stop(timeout_s)

    def _commit(self, claims: Sequence[ClaimInput]) -> list[Outcome]:
        seen = {c.sale_id: self._seen_seq(c.sale_id) for c in claims}
        with self._turns.turn(), self._uow() as uow:
            outcomes, states = apply_batch(uow, claims, seen_seq=seen)
            uow.commit()
        at = time.monotonic()
        for state in states:
            self._observe(state, at)
        return outcomes
