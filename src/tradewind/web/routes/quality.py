"""A seller's performance and the quality rules that judge it (``/sellers/me/performance``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from tradewind.catalog import service as catalog
from tradewind.quality import enforcement, performance
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

router = APIRouter(prefix="/api/v1", tags=["quality"], responses=PROBLEM_RESPONSES)


class PerformanceFigureOut(BaseModel):
    measure: str = Field(
        description="late_shipment, valid_tracking, dispute, cancellation or response_time"
    )
    days: int = Field(description="the window: the last 30 or 90 days")
    part: int = Field(description="the rate's numerator; for response_time, seconds waited")
    whole: int = Field(description="orders due, parcels shipped, or disputes opened")
    value: int | None = Field(
        description="basis points (1% = 100), or whole hours for response_time; null when "
        "there is nothing to measure"
    )


class QualityRuleOut(BaseModel):
    measure: str
    days: int
    warn: int = Field(description="warned past this (below it for valid_tracking)")
    pause: int = Field(description="new listings and payouts paused past this")
    min_count: int = Field(description="the fewest orders the window needs to judge")
    level: str = Field(description="good, warned or paused, for the figure now")


class QualityStepOut(BaseModel):
    step: str = Field(description="warned, paused, cleared or reinstated")
    level: str = Field(description="the shop's level after the step")
    verdicts: list[dict[str, Any]] = Field(
        description="the rules past a threshold then: measure, days, level, part, whole, value"
    )
    reason: str = Field(description="the operator's, for a reinstatement")
    by_operator: bool
    at: datetime


class PerformanceOut(BaseModel):
    figures: list[PerformanceFigureOut]
    rules: list[QualityRuleOut]
    level: str = Field(description="the worst of the rules' levels, for the figures now")
    enforced: str = Field(
        description="the level the shop is held at: good, warned, or paused (no new listings "
        "and no payouts until an operator reinstates it)"
    )
    steps: list[QualityStepOut] = Field(description="every step taken, newest first")


class ReinstateIn(StrictInput):
    reason: str = Field(min_length=1, max_length=500)


def _steps(rows: list[enforcement.QualityStep]) -> list[QualityStepOut]:
    return [
        QualityStepOut(
            step=s.step,
            level=s.level,
            verdicts=s.verdicts,
            reason=s.reason,
            by_operator=s.actor_id is not None,
            at=s.at,
        )
        for s in rows
    ]


@router.get("/sellers/me/performance", response_model=PerformanceOut)
def my_performance(principal: PrincipalDep, container: ContainerDep) -> PerformanceOut:
    """The signed-in seller's figures over 30 and 90 days and the rules that apply."""
    with container.uow(read_only=True) as uow:
        shop = catalog.seller_of(uow, principal)
        figures, verdicts = performance.seller_verdicts(
            uow, shop, container.clock.now(), container.settings.seller_rules
        )
        steps = enforcement.history(uow, shop["id"])
    return PerformanceOut(
        figures=[
            PerformanceFigureOut(
                measure=f.measure, days=f.days, part=f.part, whole=f.whole, value=f.value
            )
            for f in figures
        ],
        rules=[
            QualityRuleOut(
                measure=v.rule.measure,
                days=v.rule.days,
                warn=v.rule.warn,
                pause=v.rule.pause,
                min_count=v.rule.min_count,
                level=v.level,
            )
            for v in verdicts
        ],
        level=performance.worst(verdicts),
        enforced=shop["quality_level"],
        steps=_steps(steps),
    )


@router.post("/ops/sellers/{seller_id}/quality/reinstate", response_model=QualityStepOut)
def reinstate(
    seller_id: Annotated[str, Path(max_length=40)],
    body: ReinstateIn,
    principal: PrincipalDep,
    container: ContainerDep,
) -> QualityStepOut:
    """Lift a quality pause (operators), saying why: the shop lists and is paid again, and the
    next review judges it afresh. `409 not_paused` for a shop that is not paused;
    `422 reason_required` without a reason."""
    with container.uow() as uow:
        step = enforcement.reinstate(uow, principal, seller_id, body.reason)
        uow.commit()
    return _steps([step])[0]
