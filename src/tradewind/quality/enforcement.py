"""The quality rules enforced: a review judges each open shop and takes the step the rules
call for (warn, pause, clear); an operator reinstates a paused shop with a reason. Every step
is a row of ``seller_quality_steps``, only ever inserted, and the shop's level (catalog's
``quality_level``) is what new listings and payouts obey.

The review is a durable timer every :data:`REVIEW_EVERY_H` hours (armed by the worker, each
run arming the next), walking the open shops in id order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from tradewind.audit import service as audit
from tradewind.catalog import service as catalog
from tradewind.db.tables.quality import seller_quality_steps as steps_table
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import Conflict
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode
from tradewind.quality.domain import Level, Rule, Step, Verdict, next_step, worst
from tradewind.quality.performance import seller_verdicts
from tradewind.timers.service import schedule

REVIEW_KIND = "quality.review"
REVIEW_EVERY_H = 24
PAGE = 500


@dataclass(frozen=True)
class QualityStep:
    id: int
    step: Step
    level: Level
    verdicts: list[dict[str, Any]]
    reason: str
    actor_id: str | None
    at: datetime


def _past(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    return [
        {
            "measure": v.rule.measure.value,
            "days": v.rule.days,
            "level": v.level.value,
            "part": v.figure.part,
            "whole": v.figure.whole,
            "value": v.figure.value,
            "warn": v.rule.warn,
            "pause": v.rule.pause,
        }
        for v in verdicts
        if v.level is not Level.GOOD
    ]


def _record(uow: UnitOfWork, seller_id: str, step: Step, level: Level, **row: Any) -> None:
    uow.conn.execute(
        insert(steps_table).values(
            seller_id=seller_id, step=step.value, level=level.value, at=uow.clock.now(), **row
        )
    )
    catalog.set_quality_level(uow, seller_id, level.value)


def review_seller(
    uow: UnitOfWork, shop: Mapping[str, Any], rules: tuple[Rule, ...], now: datetime
) -> Step | None:
    """Judge one shop now and take the step its figures call for (None: nothing changes)."""
    _, verdicts = seller_verdicts(uow, shop, now, rules)
    taken = next_step(Level(shop["quality_level"]), worst(verdicts))
    if taken is None:
        return None
    step, level = taken
    _record(uow, str(shop["id"]), step, level, verdicts=_past(verdicts), reason="", actor_id=None)
    return step


def review_all(uow: UnitOfWork, rules: tuple[Rule, ...], payload: Mapping[str, Any]) -> int:
    """Timer: review every open shop, then arm the next review. Returns the steps taken."""
    now = uow.clock.now()
    taken, after = 0, None
    while shops := catalog.active_sellers(uow, after=after, limit=PAGE):
        for shop in shops:
            taken += review_seller(uow, shop, rules, now) is not None
        after = str(shops[-1]["id"])
    schedule_review(uow, now)
    return taken


def schedule_review(uow: UnitOfWork, now: datetime) -> None:
    """Keep one pending review at the next multiple of :data:`REVIEW_EVERY_H` hours UTC."""
    start = now.replace(minute=0, second=0, microsecond=0)
    due = start + timedelta(hours=REVIEW_EVERY_H - start.hour % REVIEW_EVERY_H)
    schedule(
        uow, kind=REVIEW_KIND, dedupe_key=f"{REVIEW_KIND}:{due.isoformat()}", due_at=due, payload={}
    )


def reinstate(uow: UnitOfWork, principal: Principal, seller_id: str, reason: str) -> QualityStep:
    """An operator lifts a pause, saying why (audited). The shop is good again; the next
    review judges it afresh, warning before it pauses again."""
    require_role(principal, Role.OPERATOR)
    shop = catalog.get_seller(uow, seller_id)
    if shop["quality_level"] != Level.PAUSED.value:
        raise Conflict(N_("this shop is not paused"), code=ProblemCode.NOT_PAUSED)
    audit.record(  # checks the reason (required, at most 500 characters, no control characters)
        uow,
        actor_id=principal.account_id,
        action="seller.quality_reinstate",
        subject_kind="seller",
        subject_id=seller_id,
        reason=reason,
    )
    _record(
        uow,
        seller_id,
        Step.REINSTATED,
        Level.GOOD,
        verdicts=[],
        reason=reason.strip(),
        actor_id=principal.account_id,
    )
    return history(uow, seller_id)[0]


def history(uow: UnitOfWork, seller_id: str, limit: int = 50) -> list[QualityStep]:
    """The shop's steps, newest first."""
    rows = uow.conn.execute(
        select(steps_table)
        .where(steps_table.c.seller_id == seller_id)
        .order_by(steps_table.c.id.desc())
        .limit(limit)
    )
    return [
        QualityStep(
            r.id, Step(r.step), Level(r.level), list(r.verdicts), r.reason, r.actor_id, r.at
        )
        for r in rows
    ]
