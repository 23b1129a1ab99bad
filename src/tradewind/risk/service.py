"""Risk use cases: record events, screen what is about to move money, cases and decisions.

Events arrive through ``UnitOfWork.publish(RiskEvent(...))`` (wired to :func:`on_event` by
``tradewind.bootstrap`` when risk scoring is on) or :func:`record_many` (the checkout writer's
batches), in the publisher's transaction. Screening replays the history that shares a key with
what is judged (its accounts, device, card, address, client address, seller, orders, within the
longest rule window) through the active rule version (:mod:`tradewind.risk.engine`). A subject
whose score reaches the version's ``case_at`` gets one open case; in ``enforce`` mode its actions
become holds on escrow (:func:`capture_held`, :func:`payout_restrictions`,
:func:`take_protection_extension`) until an operator decides (:func:`decide`), which is written
to the audit log. In ``shadow`` mode cases are opened but nothing is held.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from tradewind.audit import service as audit
from tradewind.db.tables.risk import (
    risk_cases,
    risk_events,
    risk_holds,
    risk_labels,
    risk_rule_versions,
)
from tradewind.db.uow import UnitOfWork
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import Conflict, InvalidInput, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.risk.domain import (
    DAY_S,
    DEFAULT_RULES,
    Action,
    Assessment,
    EventKind,
    RiskEvent,
    RuleSet,
    SubjectKind,
    assess,
    quality,
    rule_set_from_json,
)
from tradewind.risk.engine import Replay

MODES = ("off", "shadow", "enforce")
HISTORY_LIMIT = 5_000  # events replayed to judge one subject, newest kept
RESERVE_BPS = 2_000  # a rolling reserve keeps a fifth of each payout back
EXTRA_PROTECTION_DAYS = 15
REPLAY_CHUNK = 5_000
PROFILE_KINDS = (EventKind.SIGNUP.value, EventKind.ADDRESS_ADDED.value)
# Events that may open a case, and which subject they are judged for.
_JUDGED = {
    EventKind.PAYMENT,
    EventKind.SHIPMENT,
    EventKind.TRACKING,
    EventKind.CONFIRM,
    EventKind.CLAIM,
    EventKind.PAYOUT,
    EventKind.SWEEP,
}


@dataclass(frozen=True, slots=True)
class CaseDecided:
    """Published when an operator decides a case: payments and escrow act on it."""

    case_id: str
    decision: str  # allowed | confirmed
    actions: tuple[str, ...]
    orders: tuple[str, ...]
    checkouts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PayoutRestriction:
    held: bool
    reserve_bps: int


# -- recording --------------------------------------------------------------------------------


_FIELDS = tuple(f.name for f in fields(RiskEvent))


def _row(event: RiskEvent) -> dict[str, Any]:
    row = {name: getattr(event, name) for name in _FIELDS}
    row["kind"] = event.kind.value
    return row


def record_many(uow: UnitOfWork, events: Sequence[RiskEvent]) -> None:
    """Append events (one INSERT); nothing is judged."""
    if events:
        uow.conn.execute(insert(risk_events), [_row(e) for e in events])


def on_event(uow: UnitOfWork, event: RiskEvent, *, mode: str = "enforce") -> bool:
    """The subscriber: append the event, judge what it may change. True when a payment is to
    be held for review before capture (the publisher then does not capture)."""
    record_many(uow, [event])
    if event.kind not in _JUDGED:
        return False
    opened = judge(uow, event, mode=mode)
    if event.kind != EventKind.PAYMENT or mode != "enforce":
        return False
    return any(Action.HOLD_CAPTURE in a.actions for a in opened) or capture_held(
        uow, _checkout_orders(uow, event.checkout_id)
    )


def _checkout_orders(uow: UnitOfWork, checkout_id: str | None) -> list[str]:
    if checkout_id is None:
        return []
    return list(
        uow.conn.scalars(
            select(risk_events.c.order_id).where(
                risk_events.c.checkout_id == checkout_id,
                risk_events.c.kind == EventKind.CHECKOUT.value,
            )
        )
    )


# -- judging ----------------------------------------------------------------------------------


def judge(uow: UnitOfWork, event: RiskEvent, *, mode: str = "enforce") -> list[Assessment]:
    """Replay the history around ``event`` and open a case for each subject it concerns whose
    score reaches the threshold. Returns the assessments that opened (or refreshed) a case."""
    rules = active_rules(uow)
    history = _history(uow, event, rules)
    findings = Replay(rules).run(history, until=event.at)
    subjects = _subjects(uow, event)
    concerned = [a for a in assess(rules, findings) if (a.subject_kind, a.subject_id) in subjects]
    opened = [a for a in concerned if a.raises_case]
    for assessment in opened:
        open_case(uow, rules.version, assessment, enforce=mode == "enforce")
    return opened


def _subjects(uow: UnitOfWork, event: RiskEvent) -> set[tuple[SubjectKind, str]]:
    orders = _checkout_orders(uow, event.checkout_id) if event.kind == EventKind.PAYMENT else []
    if event.order_id:
        orders.append(event.order_id)
    found = {(SubjectKind.ORDER, o) for o in orders}
    found.add((SubjectKind.BUYER, event.buyer_id or event.account_id))
    found.add((SubjectKind.SELLER, event.seller_id or event.account_id))
    return found


def _longest_window_s(rules: RuleSet) -> int:
    windows = [int(r.params.get("window_s", 0)) for r in rules.rules]
    return max([DAY_S, *windows])


def _history(uow: UnitOfWork, event: RiskEvent, rules: RuleSet) -> list[RiskEvent]:
    """Events sharing a key with ``event``'s subjects, within the longest window, oldest first,
    plus the involved accounts' profile events of any age (sign-up: account age is a signal;
    addresses: a buyer sharing one with the seller)."""
    t = risk_events.c
    related = _related_keys(uow, event)
    accounts = sorted(related["account"])
    conditions = [t.account_id.in_(accounts), t.buyer_id.in_(accounts), t.seller_id.in_(accounts)]
    for column in ("device", "card", "address", "ip", "order_id", "tracking_number"):
        values = sorted(related[column])
        if values:
            conditions.append(getattr(t, column).in_(values))
    since = event.at - timedelta(seconds=_longest_window_s(rules))
    rows = uow.conn.execute(
        select(risk_events)
        .where(or_(*conditions), t.at >= since, t.at <= event.at)
        .order_by(t.at.desc(), t.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    signups = uow.conn.execute(
        select(risk_events)
        .where(t.kind.in_(PROFILE_KINDS), t.account_id.in_(accounts), t.at < since)
        .order_by(t.at, t.id)
        .limit(HISTORY_LIMIT)
    ).all()
    return [_event(r) for r in [*signups, *reversed(rows)]]


def _related_keys(uow: UnitOfWork, event: RiskEvent) -> dict[str, set[str]]:
    """The keys of the event and of its orders' checkouts and shipments."""
    t = risk_events.c
    seed = [event]
    order_ids = {o for o in [event.order_id] if o}
    if event.checkout_id:
        order_ids.update(_checkout_orders(uow, event.checkout_id))
    if order_ids:
        seed += [
            _event(r)
            for r in uow.conn.execute(select(risk_events).where(t.order_id.in_(sorted(order_ids))))
        ]
    keys: dict[str, set[str]] = {
        k: set() for k in ("account", "device", "card", "address", "ip", "order_id")
    }
    keys["tracking_number"] = set()
    for e in seed:
        keys["account"].update(a for a in (e.account_id, e.buyer_id, e.seller_id) if a)
        for column in ("device", "card", "address", "ip", "order_id", "tracking_number"):
            value = getattr(e, column)
            if value:
                keys[column].add(value)
    return keys


def _event(row: Any) -> RiskEvent:
    values = dict(row._mapping)
    values.pop("id", None)
    values["kind"] = EventKind(values["kind"])
    return RiskEvent(**values)


# -- cases and holds --------------------------------------------------------------------------


def open_case(uow: UnitOfWork, version: int, assessment: Assessment, *, enforce: bool) -> str:
    """One open case per subject: a new finding refreshes the open one (score, rules, orders)."""
    key = f"{assessment.subject_kind.value}:{assessment.subject_id}"
    values = {
        "rules_version": version,
        "score_bp": round(assessment.score * 10_000),
        "rules": json.dumps(list(assessment.rules)),
        "shadow_rules": json.dumps(list(assessment.shadow_rules)),
        "actions": json.dumps([a.value for a in assessment.actions]),
        "orders": json.dumps(list(assessment.orders)),
        "accounts": json.dumps(list(assessment.accounts)),
    }
    existing = uow.conn.scalar(select(risk_cases.c.id).where(risk_cases.c.open_key == key))
    if existing is None:
        case_id = new_id("rc")
        uow.conn.execute(
            insert(risk_cases).values(
                id=case_id,
                subject_kind=assessment.subject_kind.value,
                subject_id=assessment.subject_id,
                open_key=key,
                status="open",
                opened_at=uow.clock.now(),
                **values,
            )
        )
    else:
        case_id = existing
        uow.conn.execute(update(risk_cases).where(risk_cases.c.id == case_id).values(**values))
    if enforce:
        _hold(uow, case_id, assessment)
    return case_id


def _hold(uow: UnitOfWork, case_id: str, assessment: Assessment) -> None:
    wanted: set[tuple[str, str, int]] = set()
    sellers = [a for a in assessment.accounts if assessment.subject_kind == SubjectKind.SELLER]
    if assessment.subject_kind == SubjectKind.SELLER:
        sellers = [assessment.subject_id]
    for action in assessment.actions:
        if action == Action.HOLD_CAPTURE:
            wanted |= {(action.value, o, 0) for o in assessment.orders}
        elif action == Action.EXTEND_PROTECTION:
            wanted |= {(action.value, o, EXTRA_PROTECTION_DAYS) for o in assessment.orders}
        elif action == Action.HOLD_PAYOUT:
            wanted |= {(action.value, s, 0) for s in sellers}
        elif action == Action.ROLLING_RESERVE:
            wanted |= {(action.value, s, RESERVE_BPS) for s in sellers}
    have = {
        (r.action, r.target_id)
        for r in uow.conn.execute(
            select(risk_holds.c.action, risk_holds.c.target_id).where(
                risk_holds.c.case_id == case_id
            )
        )
    }
    rows = [
        {
            "case_id": case_id,
            "action": action,
            "target_id": target,
            "amount": amount,
            "created_at": uow.clock.now(),
        }
        for action, target, amount in sorted(wanted)
        if (action, target) not in have
    ]
    if rows:
        uow.conn.execute(insert(risk_holds), rows)


def _active_holds(uow: UnitOfWork, action: Action, targets: Iterable[str]) -> list[Any]:
    targets = sorted(set(targets))
    if not targets:
        return []
    return list(
        uow.conn.execute(
            select(risk_holds).where(
                risk_holds.c.action == action.value,
                risk_holds.c.target_id.in_(targets),
                risk_holds.c.lifted_at.is_(None),
            )
        )
    )


def capture_held(uow: UnitOfWork, order_ids: Iterable[str]) -> bool:
    """Whether any of these orders' payment is held for review before capture."""
    return bool(_active_holds(uow, Action.HOLD_CAPTURE, order_ids))


def payout_restrictions(uow: UnitOfWork, seller_ids: Iterable[str]) -> dict[str, PayoutRestriction]:
    """Sellers whose payouts are held or carry a rolling reserve (others are absent)."""
    sellers = sorted(set(seller_ids))
    found: dict[str, PayoutRestriction] = {}
    for row in [
        *_active_holds(uow, Action.HOLD_PAYOUT, sellers),
        *_active_holds(uow, Action.ROLLING_RESERVE, sellers),
    ]:
        now = found.get(row.target_id, PayoutRestriction(False, 0))
        if row.action == Action.HOLD_PAYOUT.value:
            found[row.target_id] = PayoutRestriction(True, now.reserve_bps)
        else:
            found[row.target_id] = PayoutRestriction(now.held, max(now.reserve_bps, row.amount))
    return found


def take_protection_extension(uow: UnitOfWork, order_id: str) -> int:
    """Extra days of buyer protection a case gave this order, once (the hold is used up)."""
    rows = _active_holds(uow, Action.EXTEND_PROTECTION, [order_id])
    if not rows:
        return 0
    uow.conn.execute(
        update(risk_holds)
        .where(risk_holds.c.id.in_([r.id for r in rows]), risk_holds.c.lifted_at.is_(None))
        .values(lifted_at=uow.clock.now())
    )
    return max(int(r.amount) for r in rows)


# -- operators --------------------------------------------------------------------------------

DECISIONS = ("allow", "confirm")


def decide(
    uow: UnitOfWork, principal: Principal, case_id: str, decision: str, reason: str
) -> dict[str, Any]:
    """Decide an open case: ``allow`` lifts its holds (a held capture goes ahead), ``confirm``
    keeps them and labels the subject fraud. Written to the audit log with the reason."""
    require_role(principal, Role.OPERATOR)
    if decision not in DECISIONS:
        raise InvalidInput("decision is allow or confirm", code=ProblemCode.INVALID_DECISION)
    case = get_case(uow, principal, case_id)
    status = "allowed" if decision == "allow" else "confirmed"
    now = uow.clock.now()
    audit.record(
        uow,
        actor_id=principal.account_id,
        action=f"risk.case.{decision}",
        subject_kind="risk_case",
        subject_id=case_id,
        reason=reason,
        detail={"score_bp": case["score_bp"], "rules": case["rules"], "status": status},
    )
    changed = uow.conn.execute(
        update(risk_cases)
        .where(risk_cases.c.id == case_id, risk_cases.c.status == "open")
        .values(
            status=status,
            open_key=None,
            decided_at=now,
            decided_by=principal.account_id,
            reason=reason.strip(),
        )
    ).rowcount
    if changed != 1:
        raise Conflict("this case is already decided", code=ProblemCode.CASE_ALREADY_DECIDED)
    if decision == "allow":
        uow.conn.execute(
            update(risk_holds)
            .where(risk_holds.c.case_id == case_id, risk_holds.c.lifted_at.is_(None))
            .values(lifted_at=now)
        )
    label(uow, case["subject_kind"], case["subject_id"], _label_of(case, decision), "operator")
    orders = tuple(case["orders"])
    uow.publish(
        CaseDecided(case_id, status, tuple(case["actions"]), orders, _checkouts_of(uow, orders))
    )
    return get_case(uow, principal, case_id)


def _label_of(case: Mapping[str, Any], decision: str) -> str:
    if decision == "allow":
        return "honest"
    from tradewind.risk.domain import RULE_PATTERN

    return RULE_PATTERN.get(case["rules"][0], "fraud") if case["rules"] else "fraud"


def _checkouts_of(uow: UnitOfWork, order_ids: Sequence[str]) -> tuple[str, ...]:
    if not order_ids:
        return ()
    return tuple(
        sorted(
            {
                c
                for c in uow.conn.scalars(
                    select(risk_events.c.checkout_id).where(
                        risk_events.c.order_id.in_(sorted(order_ids)),
                        risk_events.c.kind == EventKind.CHECKOUT.value,
                    )
                )
                if c
            }
        )
    )


def label(uow: UnitOfWork, kind: str, subject_id: str, pattern: str, source: str) -> None:
    """Record what a subject turned out to be (fraud pattern or ``honest``), replacing any."""
    uow.conn.execute(
        risk_labels.delete().where(
            risk_labels.c.subject_kind == kind, risk_labels.c.subject_id == subject_id
        )
    )
    uow.conn.execute(
        insert(risk_labels).values(
            subject_kind=kind,
            subject_id=subject_id,
            pattern=pattern,
            source=source,
            labelled_at=uow.clock.now(),
        )
    )


def _case(row: Any) -> dict[str, Any]:
    case = dict(row._mapping)
    for column in ("rules", "shadow_rules", "actions", "orders", "accounts"):
        case[column] = json.loads(case[column])
    case.pop("open_key", None)
    return case


def get_case(uow: UnitOfWork, principal: Principal, case_id: str) -> dict[str, Any]:
    require_role(principal, Role.OPERATOR)
    row = uow.conn.execute(select(risk_cases).where(risk_cases.c.id == case_id)).first()
    if row is None:
        raise NotFound("case not found")
    case = _case(row)
    case["holds"] = [
        {
            "action": h.action,
            "target_id": h.target_id,
            "amount": h.amount,
            "lifted": bool(h.lifted_at),
        }
        for h in uow.conn.execute(
            select(risk_holds).where(risk_holds.c.case_id == case_id).order_by(risk_holds.c.id)
        )
    ]
    return case


def list_cases(
    uow: UnitOfWork, principal: Principal, *, status: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    """Highest score first within a status; pages by case id."""
    require_role(principal, Role.OPERATOR)
    query = select(risk_cases).order_by(risk_cases.c.id).limit(limit)
    if status is not None:
        query = query.where(risk_cases.c.status == status)
    if after is not None:
        query = query.where(risk_cases.c.id > after)
    return [_case(r) for r in uow.conn.execute(query)]


# -- rule versions ----------------------------------------------------------------------------


def active_rules(uow: UnitOfWork) -> RuleSet:
    """The newest activated version; version 1 (``DEFAULT_RULES``) until one is stored."""
    row = uow.conn.execute(
        select(risk_rule_versions)
        .where(risk_rule_versions.c.activated_at.is_not(None))
        .order_by(risk_rule_versions.c.activated_at.desc(), risk_rule_versions.c.version.desc())
        .limit(1)
    ).first()
    return DEFAULT_RULES if row is None else rule_set_from_json(row.version, row.rules)


def rules_version(uow: UnitOfWork, version: int | None) -> RuleSet:
    if version is None:
        return active_rules(uow)
    if version == DEFAULT_RULES.version and not _stored(uow, version):
        return DEFAULT_RULES
    row = uow.conn.execute(
        select(risk_rule_versions).where(risk_rule_versions.c.version == version)
    ).first()
    if row is None:
        raise NotFound(f"no rules version {version}", code=ProblemCode.UNKNOWN_RULES_VERSION)
    return rule_set_from_json(row.version, row.rules)


def _stored(uow: UnitOfWork, version: int) -> bool:
    return (
        uow.conn.scalar(select(func.count()).where(risk_rule_versions.c.version == version)) or 0
    ) > 0


def add_rules_version(
    uow: UnitOfWork, principal: Principal, rules_json: str, *, note: str, activate: bool
) -> RuleSet:
    """Store a new numbered version (rules as data); active at once or only for backtests."""
    require_role(principal, Role.OPERATOR)
    try:
        latest = int(uow.conn.scalar(select(func.max(risk_rule_versions.c.version))) or 1)
        candidate = rule_set_from_json(latest + 1, rules_json)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"rules are not valid: {exc}", code=ProblemCode.INVALID_RULES) from exc
    now = uow.clock.now()
    uow.conn.execute(
        insert(risk_rule_versions).values(
            version=candidate.version,
            rules=candidate.to_json(),
            note=note,
            created_by=principal.account_id,
            created_at=now,
            activated_at=now if activate else None,
        )
    )
    audit.record(
        uow,
        actor_id=principal.account_id,
        action="risk.rules.add",
        subject_kind="risk_rules",
        subject_id=str(candidate.version),
        reason=note,
        detail={"activated": activate},
    )
    return candidate


# -- backtest ---------------------------------------------------------------------------------


def events_between(uow: UnitOfWork, start: datetime, end: datetime) -> list[RiskEvent]:
    """Every event in [start, end), plus earlier profile events (sign-ups, addresses), oldest
    first (read in chunks)."""
    t = risk_events.c
    out = [
        _event(r)
        for r in uow.conn.execute(
            select(risk_events).where(t.kind.in_(PROFILE_KINDS), t.at < start).order_by(t.at, t.id)
        )
    ]
    last_id = 0
    while True:
        rows = uow.conn.execute(
            select(risk_events)
            .where(and_(t.at >= start, t.at < end, t.id > last_id))
            .order_by(t.id)
            .limit(REPLAY_CHUNK)
        ).all()
        if not rows:
            break
        out.extend(_event(r) for r in rows)
        last_id = rows[-1].id
    out.sort(key=lambda e: e.at)
    return out


def labels(uow: UnitOfWork) -> dict[tuple[str, str], str]:
    """Fraud labels (``honest`` ones are left out: they are not positives)."""
    return {
        (r.subject_kind, r.subject_id): r.pattern
        for r in uow.conn.execute(select(risk_labels).where(risk_labels.c.pattern != "honest"))
    }


def backtest(
    uow: UnitOfWork, start: datetime, end: datetime, version: int | None = None
) -> dict[str, Any]:
    """Replay [start, end) through a rules version: cases it would raise, and on labelled
    subjects precision and recall per pattern and overall."""
    if end <= start:
        raise InvalidInput("the end must be after the start", code=ProblemCode.INVALID_PERIOD)
    rules = rules_version(uow, version)
    history = events_between(uow, start, end)
    assessments = assess(rules, Replay(rules).run(history, until=end))
    known = labels(uow)
    cased = [a for a in assessments if a.raises_case]
    shadow: dict[str, int] = {}
    for a in assessments:
        for code in a.shadow_rules:
            shadow[code] = shadow.get(code, 0) + 1
    return {
        "rules_version": rules.version,
        "events": len(history),
        "cases": len(cased),
        "cases_by_kind": {k.value: sum(a.subject_kind == k for a in cased) for k in SubjectKind},
        "shadow_findings": shadow,
        "labelled": len(known),
        "quality": {
            p: {"cases": q.cases, "precision": q.precision, "recall": q.recall}
            for p, q in quality(assessments, known).items()
        },
        "assessments": assessments,
    }
