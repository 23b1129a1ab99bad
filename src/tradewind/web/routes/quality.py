"""A seller's performance and the quality rules that judge it (``/sellers/me/performance``)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tradewind.catalog import service as catalog
from tradewind.quality import performance
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import PROBLEM_RESPONSES

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


class PerformanceOut(BaseModel):
    figures: list[PerformanceFigureOut]
    rules: list[QualityRuleOut]
    level: str = Field(description="the worst of the rules' levels")


@router.get("/sellers/me/performance", response_model=PerformanceOut)
def my_performance(principal: PrincipalDep, container: ContainerDep) -> PerformanceOut:
    """The signed-in seller's figures over 30 and 90 days and the rules that apply."""
    with container.uow(read_only=True) as uow:
        shop = catalog.seller_of(uow, principal)
        figures, verdicts = performance.seller_verdicts(
            uow, shop, container.clock.now(), container.settings.seller_rules
        )
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
    )
