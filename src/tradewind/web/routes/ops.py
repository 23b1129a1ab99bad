"""Operator tools that are not part of one bounded context: the demo clock and timers."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tradewind.audit import service as audit
from tradewind.bootstrap import Container, advance_manual_clock, sync_manual_clock
from tradewind.identity.domain import Permission, Principal, require_permission
from tradewind.kernel.clock import ManualClock
from tradewind.kernel.errors import Conflict, LimitExceeded
from tradewind.kernel.problems import ProblemCode
from tradewind.timers.service import run_due
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import PROBLEM_RESPONSES, ReasonField, StrictInput
from tradewind.worker import run_background_step

router = APIRouter(prefix="/api/v1/ops", tags=["operations"], responses=PROBLEM_RESPONSES)

MAX_ADVANCE_S = 400 * 24 * 3600
MAX_TIMER_ROUNDS = 100


class ClockOut(BaseModel):
    now: datetime
    manual: bool


class ClockAdvanceIn(StrictInput):
    seconds: int = Field(ge=1, le=MAX_ADVANCE_S)
    reason: str | None = ReasonField


class ClockAdvanceOut(ClockOut):
    timers_run: int


@router.get("/clock", response_model=ClockOut)
def get_clock(container: ContainerDep) -> ClockOut:
    """The server clock: pages count down from it, never from the browser's."""
    sync_manual_clock(container)
    return ClockOut(now=container.clock.now(), manual=isinstance(container.clock, ManualClock))


@router.post("/clock/advance", response_model=ClockAdvanceOut)
def advance_clock(
    body: ClockAdvanceIn, principal: PrincipalDep, container: ContainerDep
) -> ClockAdvanceOut:
    """Move a manual clock forward and run the timers that fell due (demo and tests only)."""
    require_permission(principal, Permission.CLOCK)
    ran = move_clock(container, principal, body.seconds, body.reason)
    return ClockAdvanceOut(now=container.clock.now(), manual=True, timers_run=ran)


def move_clock(container: Container, principal: Principal, seconds: int, reason: str | None) -> int:
    """Advance the manual clock (written to the audit log), then run the timers that fell due;
    answers how many ran. The API and the console's clock form both move time through this."""
    require_permission(principal, Permission.CLOCK)
    if not isinstance(container.clock, ManualClock):
        raise Conflict(
            "the clock is the system clock; start with TRADEWIND_CLOCK=manual",
            code=ProblemCode.CLOCK_NOT_MANUAL,
        )
    if not 1 <= seconds <= MAX_ADVANCE_S:
        raise LimitExceeded(f"move the clock by 1 to {MAX_ADVANCE_S} seconds")
    before = container.clock.now()
    with container.uow() as uow:
        audit.record(
            uow,
            actor_id=principal.account_id,
            action="clock.advance",
            subject_kind="clock",
            subject_id="demo",
            reason=reason or audit.NO_REASON,
            detail={"seconds": seconds, "from": before.isoformat()},
        )
        uow.commit()
    advance_manual_clock(container, timedelta(seconds=seconds))
    ran = 0
    for _ in range(MAX_TIMER_ROUNDS):  # timers may schedule timers; bounded all the same
        batch = run_due(
            container.uow, container.timer_handlers, limit=container.settings.worker_batch
        )
        batch += run_background_step(container)
        ran += batch
        if batch == 0:
            break
    return ran
