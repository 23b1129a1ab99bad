"""The seller's performance page: each measure over 30 and 90 days, the rule that applies to it
and where the shop stands, with a chart per measure (the two windows as bars, the rule's
thresholds as lines). The figures are the API's (``GET /api/v1/sellers/me/performance``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradewind.identity.domain import Role
from tradewind.kernel.i18n import N_, _
from tradewind.quality import enforcement, performance
from tradewind.quality.domain import Figure, Level, Measure, Step, Verdict
from tradewind.quality.enforcement import QualityStep
from tradewind.web.charts import BarChart, bar_chart
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import need, number_text, page, percent_text, render, when_text
from tradewind.web.pages.seller_listings import shop_of

router = APIRouter(prefix="/seller", include_in_schema=False)

TITLES = {
    Measure.LATE_SHIPMENT: N_("Late shipment rate"),
    Measure.VALID_TRACKING: N_("Valid tracking rate"),
    Measure.DISPUTE: N_("Dispute rate"),
    Measure.CANCELLATION: N_("Cancellation rate"),
    Measure.RESPONSE_TIME: N_("Response time to disputes"),
}
MEANINGS = {
    Measure.LATE_SHIPMENT: N_(
        "Paid orders not handed to the post within your handling time, of the orders due."
    ),
    Measure.VALID_TRACKING: N_(
        "Parcels the carrier has scanned, of those you shipped at least two days ago."
    ),
    Measure.DISPUTE: N_("Disputes buyers opened, per order due."),
    Measure.CANCELLATION: N_(
        "Paid orders you cancelled or did not ship by the deadline, of the orders due."
    ),
    Measure.RESPONSE_TIME: N_(
        "Mean hours from a dispute's opening to your first answer "
        "(unanswered ones count until now)."
    ),
}
LEVELS = {
    Level.GOOD: N_("Good"),
    Level.WARNED: N_("Warning"),
    Level.PAUSED: N_("Past the pause threshold"),
}


def figure_text(figure: Figure) -> str:
    """A figure in words: ``2.5% (1 of 40)``, ``12 hours (3 disputes)``, or that none applies."""
    if not figure.whole:
        return _("nothing to measure yet")
    if figure.measure is Measure.RESPONSE_TIME:
        return _("%(hours)s hours (%(num)s disputes)") % {
            "hours": number_text(figure.value),
            "num": number_text(figure.whole),
        }
    return _("%(percent)s (%(part)s of %(whole)s)") % {
        "percent": percent_text(figure.part, figure.whole),
        "part": number_text(figure.part),
        "whole": number_text(figure.whole),
    }


def threshold_text(measure: Measure, value: int) -> str:
    if measure is Measure.RESPONSE_TIME:
        return _("%(hours)s hours") % {"hours": number_text(value)}
    return percent_text(value, 10_000)


@dataclass(frozen=True)
class Row:
    measure: Measure
    title: str
    meaning: str
    windows: list[tuple[int, str]]  # (days, the figure in words)
    verdict: Verdict
    rule_text: str
    level_text: str
    chart: BarChart


def _rule_text(verdict: Verdict) -> str:
    rule = verdict.rule
    values = {
        "warn": threshold_text(rule.measure, rule.warn),
        "pause": threshold_text(rule.measure, rule.pause),
        "days": rule.days,
        "num": number_text(rule.min_count),
    }
    if rule.measure == Measure.VALID_TRACKING:
        return (
            _(
                "Warning below %(warn)s; new listings and payouts paused below %(pause)s "
                "(last %(days)s days, from %(num)s parcels)."
            )
            % values
        )
    return (
        _(
            "Warning above %(warn)s; new listings and payouts paused above %(pause)s "
            "(last %(days)s days, from %(num)s orders)."
        )
        % values
    )


def _chart(measure: Measure, figures: list[Figure], verdict: Verdict) -> BarChart:
    def write(value: int) -> str:
        return threshold_text(measure, value)

    points = [(_("%(days)s days") % {"days": f.days}, f.value or 0) for f in figures]
    marks = [
        (_("warning: %(value)s") % {"value": write(verdict.rule.warn)}, verdict.rule.warn),
        (_("pause: %(value)s") % {"value": write(verdict.rule.pause)}, verdict.rule.pause),
    ]
    return bar_chart(_(TITLES[measure]), points, write, marks)


def rows(figures: list[Figure], verdicts: list[Verdict]) -> list[Row]:
    out = []
    for verdict in verdicts:
        measure = verdict.rule.measure
        mine = [f for f in figures if f.measure is measure]
        out.append(
            Row(
                measure,
                _(TITLES[measure]),
                _(MEANINGS[measure]),
                [(f.days, figure_text(f)) for f in mine],
                verdict,
                _rule_text(verdict),
                _(LEVELS[verdict.level]),
                _chart(measure, mine, verdict),
            )
        )
    return out


def _past_text(verdicts: list[dict[str, Any]]) -> str:
    return "; ".join(
        _("%(measure)s over %(days)s days: %(figure)s")
        % {
            "measure": _(TITLES[Measure(v["measure"])]),
            "days": v["days"],
            "figure": figure_text(Figure(Measure(v["measure"]), v["days"], v["part"], v["whole"])),
        }
        for v in verdicts
    )


def step_text(step: QualityStep) -> str:
    """A step in words, for the shop and the operator alike."""
    past = _past_text(step.verdicts)
    if step.step is Step.WARNED:
        return _("Warned, past a threshold: %(past)s.") % {"past": past}
    if step.step is Step.PAUSED:
        return _("New listings and payouts paused, still past a threshold: %(past)s.") % {
            "past": past
        }
    if step.step is Step.CLEARED:
        return _("Warning cleared: back within every rule.")
    return _("Reinstated by an operator: %(reason)s") % {"reason": step.reason}


def step_rows(steps: list[QualityStep]) -> list[dict[str, str]]:
    return [{"step": s.step.value, "when": when_text(s.at), "text": step_text(s)} for s in steps]


@router.get("/performance")
@page
def performance_page(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        shop = shop_of(uow, seller)
        if shop is None:
            return render(
                request,
                "seller/performance.html",
                {"principal": seller, "shop": None, "rows": []},
            )
        figures, verdicts = performance.seller_verdicts(
            uow, shop, container.clock.now(), container.settings.seller_rules
        )
        steps = enforcement.history(uow, shop["id"])
    return render(
        request,
        "seller/performance.html",
        {
            "principal": seller,
            "shop": shop,
            "rows": rows(figures, verdicts),
            "level": performance.worst(verdicts),
            "level_text": _(LEVELS[performance.worst(verdicts)]),
            "enforced": shop["quality_level"],
            "steps": step_rows(steps),
        },
    )
