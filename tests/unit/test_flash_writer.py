"""The claim writer on its group-commit thread: answers only after the commit, batches what
queued, and retries a failed batch claim by claim so one bad claim cannot fail its neighbours."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import create_engine

from tradewind.flash import writer as writer_module
from tradewind.flash.claims import ClaimInput, ClaimResult, SaleState
from tradewind.flash.domain import Buyer, SoldOut
from tradewind.flash.writer import ClaimWriter, Job


class FakeUow:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> FakeUow:
        self.log.append("begin")
        return self

    def __exit__(self, *exc: object) -> None:
        self.log.append("end")

    def commit(self) -> None:
        self.log.append("commit")


class FakeUowFactory:
    def __init__(self) -> None:
        self.engine = create_engine("sqlite://")
        self.log: list[str] = []

    def __call__(self) -> FakeUow:
        return FakeUow(self.log)


def claim(key: str) -> ClaimInput:
    return ClaimInput("flash_1", 1, {}, key, "h", Buyer("acct_1", "USD"))


def fake_batch(log: list[str], *, bad: str | None = None) -> Any:
    def apply(
        uow: FakeUow, inputs: Sequence[ClaimInput], *, seen_seq: dict[str, int]
    ) -> tuple[list[Any], list[SaleState]]:
        keys = [i.idempotency_key for i in inputs]
        log.append(f"apply {','.join(keys)}")
        if bad in keys and len(keys) > 1:
            raise RuntimeError("a constraint failed somewhere in the batch")
        if bad in keys:
            raise RuntimeError("this claim is broken")
        outcomes: list[Any] = [
            SoldOut("none left") if k == "refused" else ClaimResult({"id": k}, replayed=False)
            for k in keys
        ]
        return outcomes, [SaleState("flash_1", 5, len(keys), (), 0)]

    return apply


async def submit_all(writer: ClaimWriter, keys: list[str], log: list[str]) -> list[Any]:
    loop = asyncio.get_running_loop()
    futures = []
    for key in keys:
        future: asyncio.Future[ClaimResult] = loop.create_future()
        future.add_done_callback(lambda _: log.append("answered"))
        writer.submit(Job(claim(key), future, loop))
        futures.append(future)
    done = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 10)
    writer.stop(5)
    return list(done)


def test_claims_are_answered_after_their_batch_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    uows = FakeUowFactory()
    monkeypatch.setattr(writer_module, "apply_batch", fake_batch(uows.log))
    observed: list[SaleState] = []
    writer = ClaimWriter(
        uows,  # type: ignore[arg-type]
        seen_seq=lambda _: 0,
        observe=lambda state, _at: observed.append(state),
    )
    results = asyncio.run(submit_all(writer, ["a", "b", "refused"], uows.log))
    assert [r.claim["id"] for r in results[:2]] == ["a", "b"]
    assert isinstance(results[2], SoldOut)
    assert "commit" in uows.log
    assert uows.log.index("answered") > uows.log.index("commit")  # never before the commit
    assert observed, "the gate hears what the batch learned"


def test_a_failed_batch_is_retried_claim_by_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    uows = FakeUowFactory()
    monkeypatch.setattr(writer_module, "apply_batch", fake_batch(uows.log, bad="bad"))
    writer = ClaimWriter(uows, seen_seq=lambda _: 0, observe=lambda *_: None)  # type: ignore[arg-type]

    async def scenario() -> list[Any]:
        # Queue all three before the writer thread starts, so that they share one batch.
        loop = asyncio.get_running_loop()
        jobs = [Job(claim(k), loop.create_future(), loop) for k in ("a", "bad", "c")]
        for job in jobs[:-1]:
            writer._writer._queue.put(job)
        writer.submit(jobs[-1])
        done = await asyncio.wait_for(
            asyncio.gather(*(j.future for j in jobs), return_exceptions=True), 10
        )
        writer.stop(5)
        return list(done)

    results = asyncio.run(scenario())
    assert results[0].claim == {"id": "a"}
    assert isinstance(results[1], RuntimeError)
    assert results[2].claim == {"id": "c"}
    assert uows.log.count("commit") == 2  # the two good claims, each in its own transaction
    assert [line for line in uows.log if line.startswith("apply")] == [
        "apply a,bad,c",
        "apply a",
        "apply bad",
        "apply c",
    ]
