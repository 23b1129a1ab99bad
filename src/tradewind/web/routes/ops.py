"""Operator tools that are not part of one bounded context: the demo clock and timers."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tradewind.bootstrap import advance_manual_clock, sync_manual_clock
from tradewind.identity.domain import Role, require_role
from tradewind.kernel.clock import ManualClock
from tradewind.kernel.errors import Conflict
from tradewind.kernel.problems import ProblemCode
from tradewind.timers.service import run_due
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput
from tradewind.worker import run_background_step

router = APIRouter(prefix="/api/v1/ops", tags=["operations"], responses=PROBLEM_RESPONSES)

MAX_ADVANCE_S = 400 * 24 * 3600
MAX_TIMER_ROUNDS = 100


class ClockOut(BaseModel):
    now: datetime
    manual: bool


class ClockAdvanceIn(StrictInput):
    seconds: int = Field(ge=1, le=MAX_ADVANCE_S)


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
    require_role(principal, Role.OPERATOR)
    if not isinstance(container.clock, ManualClock):
        raise Conflict(
            "the clock is the system clock; start with TRADEWIND_CLOCK=manual",
            code=ProblemCode.CLOCK_NOT_MANUAL,
        )
    advance_manual_clock(container, timedelta(seconds=body.seconds))
    ran = 0
    for _ in range(MAX_TIMER_ROUNDS):  # timers may schedule timers; bounded all the same
        batch = run_due(
            container.uow, container.timer_handlers, limit=container.settings.worker_batch
        )
        batch += run_background_step(container)
        ran += batch
        if batch == 0:
            break
    return ClockAdvanceOut(now=container.clock.now(), manual=True, timers_run=ran)
