"""Risk events, rules kept as data, and how fired rules become a score and a decision.

Pure: no I/O. A :class:`RiskEvent` is one risk-relevant fact (who, when, which keys: device
cookie, client address, card fingerprint, shipping address, countries, tracking number). A
:class:`RuleSet` is one numbered version of weighted rules; each rule is ``enforce`` (counts in
the score and acts on escrow) or ``shadow`` (recorded, never counts), so a new rule can be
watched on live traffic before it acts. The score of a subject is ``1 - prod(1 - w)`` over the
distinct enforcing rules that fired for it; at ``case_at`` or above a case is raised and the
rules' actions apply until an operator decides.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    SIGNUP = "signup"
    LOGIN = "login"
    ADDRESS_ADDED = "address_added"
    CHECKOUT = "checkout"
    PAYMENT = "payment"
    CLAIM = "claim"  # the buyer says the item did not arrive
    SHIPMENT = "shipment"
    TRACKING = "tracking"  # a carrier scan
    DELIVERED = "delivered"
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    PAYOUT = "payout"
    PAYOUT_DESTINATION = "payout_destination"
    SWEEP = "sweep"  # time passed: a timer judges a subject (risk.sweeps)


class Action(StrEnum):
    ALLOW = "allow"
    HOLD_CAPTURE = "hold_capture"  # hold the payment for review before it is captured
    EXTEND_PROTECTION = "extend_protection"  # more days before the order auto-confirms
    HOLD_PAYOUT = "hold_payout"  # the seller's payouts wait for the operator
    ROLLING_RESERVE = "rolling_reserve"  # a share of each payout is kept back


class SubjectKind(StrEnum):
    ORDER = "order"
    BUYER = "buyer"
    SELLER = "seller"


MAX_KEY_LEN = 128


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """One risk-relevant fact. ``account_id`` is who acted (the buyer for checkouts, claims
    and confirmations; the seller for shipments, payouts and destination changes)."""

    kind: EventKind
    at: datetime
    account_id: str
    order_id: str | None = None
    checkout_id: str | None = None
    buyer_id: str | None = None
    seller_id: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    device: str | None = None
    ip: str | None = None
    card: str | None = None
    address: str | None = None
    billing_country: str | None = None
    shipping_country: str | None = None
    client_country: str | None = None
    seller_country: str | None = None
    tracking_number: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RiskEvents:
    """Many events at once (a checkout batch): appended with one INSERT, judged later."""

    events: tuple[RiskEvent, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    weight: float
    action: Action
    params: Mapping[str, Any] = field(default_factory=dict)
    shadow: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.weight < 1:
            raise ValueError(f"rule {self.code}: weight must be between 0 and 1")

    def param(self, name: str) -> Any:
        return self.params[name]


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]
    case_at: float = 0.6

    def by_code(self) -> dict[str, Rule]:
        return {r.code: r for r in self.rules}

    def to_json(self) -> str:
        return json.dumps(
            {
                "case_at": self.case_at,
                "rules": [
                    {
                        "code": r.code,
                        "weight": r.weight,
                        "action": r.action.value,
                        "params": dict(r.params),
                        "shadow": r.shadow,
                    }
                    for r in self.rules
                ],
            },
            sort_keys=True,
        )


def rule_set_from_json(version: int, text: str) -> RuleSet:
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ValueError("rules must be an object with a list of rules")
    if not all(
        isinstance(r, dict) and isinstance(r.get("params", {}), dict) for r in data["rules"]
    ):
        raise ValueError("each rule must be an object (params an object)")
    rules = tuple(
        Rule(
            code=str(r["code"]),
            weight=float(r["weight"]),
            action=Action(r["action"]),
            params=dict(r.get("params", {})),
            shadow=bool(r.get("shadow", False)),
        )
        for r in data["rules"]
    )
    unknown = {r.code for r in rules} - set(KNOWN_RULES)
    if unknown:
        raise ValueError(f"unknown rules: {sorted(unknown)}")
    defaults = DEFAULT_RULES.by_code()
    for rule in rules:
        _check_params(rule.code, rule.params, defaults[rule.code].params)
    case_at = float(data.get("case_at", 0.6))
    if not 0 < case_at <= 1:
        raise ValueError("case_at must be above 0 and at most 1")
    return RuleSet(version=version, rules=rules, case_at=case_at)


MAX_PARAM = 10**9


def _check_params(code: str, params: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """A rule's parameters are the ones its code reads, each a number in bounds (or, where the
    default is a table, a table of numbers over a subset of the default's keys)."""
    if set(params) != set(defaults):
        raise ValueError(f"rule {code}: parameters must be {sorted(defaults)}")
    for name, value in params.items():
        default = defaults[name]
        values = value.values() if isinstance(value, Mapping) else [value]
        if isinstance(default, Mapping) != isinstance(value, Mapping) or (
            isinstance(value, Mapping) and not set(value) <= set(default)
        ):
            raise ValueError(f"rule {code}: {name} has the wrong shape")
        for number in values:
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"rule {code}: {name} must be numbers")
            if not 0 <= number <= MAX_PARAM:
                raise ValueError(f"rule {code}: {name} must be 0 to {MAX_PARAM}")


DAY_S = 86_400
# Order values above which a young account's order counts as high-value, per currency (minor
# units; about USD 400). Data, like every other parameter here.
HIGH_VALUE_MINOR = {
    "USD": 40_000,
    "EUR": 37_000,
    "GBP": 32_000,
    "ILS": 150_000,
    "CNY": 290_000,
    "JPY": 60_000,
    "KWD": 123_000,
}

# Version 1: what a fresh database starts with (stored as data by the service on first use).
DEFAULT_RULES = RuleSet(
    version=1,
    case_at=0.6,
    rules=(
        Rule(
            "buyer.velocity",
            0.65,
            Action.HOLD_CAPTURE,
            {
                "window_s": DAY_S,
                "max_checkouts": {"account": 5, "card": 5, "device": 6, "address": 6, "ip": 10},
            },
        ),
        Rule(
            "buyer.linked_accounts",
            0.65,
            Action.HOLD_CAPTURE,
            {"window_s": 30 * DAY_S, "max_accounts": {"card": 2, "device": 3, "address": 4}},
        ),
        Rule(
            "buyer.new_account_high_value",
            0.65,
            Action.HOLD_CAPTURE,
            {"max_age_s": 3 * DAY_S, "high_value_minor": HIGH_VALUE_MINOR},
        ),
        Rule("buyer.country_mismatch", 0.35, Action.HOLD_CAPTURE),
        Rule("buyer.countries_all_differ", 0.65, Action.HOLD_CAPTURE),
        Rule(
            "buyer.not_received_claims",
            0.65,
            Action.HOLD_CAPTURE,
            {"window_s": 90 * DAY_S, "min_claims": 2, "min_share": 0.34},
        ),
        Rule(
            "seller.no_first_scan",
            0.65,
            Action.HOLD_PAYOUT,
            {"within_s": 5 * DAY_S, "window_s": 60 * DAY_S, "min_count": 3, "min_share": 0.2},
        ),
        Rule("seller.tracking_reused", 0.75, Action.HOLD_PAYOUT, {"window_s": 365 * DAY_S}),
        Rule(
            "seller.tracking_destination_post",
            0.65,
            Action.HOLD_PAYOUT,
            {"window_s": 60 * DAY_S, "min_count": 2},
        ),
        Rule(
            "seller.tracking_foreign_post",
            0.35,
            Action.EXTEND_PROTECTION,
            {"window_s": 60 * DAY_S, "min_count": 3, "min_share": 0.5},
        ),
        Rule(
            "seller.payout_destination_changed",
            0.45,
            Action.HOLD_PAYOUT,
            {"within_s": 3 * DAY_S},
        ),
        Rule(
            "seller.destination_from_new_device",
            0.45,
            Action.HOLD_PAYOUT,
            {"within_s": 3 * DAY_S, "new_device_s": DAY_S},
        ),
        Rule("collusion.shared_identity", 0.65, Action.ROLLING_RESERVE),
        Rule(
            "collusion.instant_confirmations",
            0.45,
            Action.ROLLING_RESERVE,
            {"within_s": 3_600, "window_s": 60 * DAY_S, "min_count": 3, "min_share": 0.25},
        ),
        Rule(
            "collusion.buyer_concentration",
            0.35,
            Action.ROLLING_RESERVE,
            {"window_s": 60 * DAY_S, "min_orders": 8, "top_buyers": 3, "min_share": 0.6},
        ),
    ),
)

KNOWN_RULES = tuple(r.code for r in DEFAULT_RULES.rules)

# Which pattern (for reports) each rule belongs to.
RULE_PATTERN = {
    "buyer.velocity": "buyer_velocity",
    "buyer.linked_accounts": "buyer_velocity",
    "buyer.new_account_high_value": "new_account_high_value",
    "buyer.country_mismatch": "country_mismatch",
    "buyer.countries_all_differ": "country_mismatch",
    "buyer.not_received_claims": "not_received_abuse",
    "seller.no_first_scan": "seller_non_delivery",
    "seller.tracking_reused": "seller_non_delivery",
    "seller.tracking_destination_post": "seller_non_delivery",
    "seller.tracking_foreign_post": "seller_non_delivery",
    "seller.payout_destination_changed": "account_takeover",
    "seller.destination_from_new_device": "account_takeover",
    "collusion.shared_identity": "collusion",
    "collusion.instant_confirmations": "collusion",
    "collusion.buyer_concentration": "collusion",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule fired for one subject (an order, a buyer or a seller)."""

    subject_kind: SubjectKind
    subject_id: str
    rule: str
    at: datetime
    detail: str
    orders: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    subject_kind: SubjectKind
    subject_id: str
    score: float
    rules: tuple[str, ...]  # enforcing rules that fired
    shadow_rules: tuple[str, ...]  # shadow rules that fired (never in the score)
    actions: tuple[Action, ...]
    orders: tuple[str, ...]
    accounts: tuple[str, ...]
    first_at: datetime

    @property
    def raises_case(self) -> bool:
        return bool(self.actions)

    @property
    def pattern(self) -> str:
        """The pattern of the heaviest enforcing rule (ties: by code), for reports."""
        return RULE_PATTERN[self.rules[0]] if self.rules else "none"


def combined_score(weights: Iterable[float]) -> float:
    return round(1 - math.prod(1 - w for w in weights), 6)


def assess(rule_set: RuleSet, findings: Iterable[Finding]) -> list[Assessment]:
    """Group findings by subject and score each: one assessment per subject, in first-seen
    order. Actions are those of the enforcing rules, only when the score reaches ``case_at``."""
    rules = rule_set.by_code()
    grouped: dict[tuple[SubjectKind, str], list[Finding]] = {}
    for finding in findings:
        grouped.setdefault((finding.subject_kind, finding.subject_id), []).append(finding)
    out = []
    for (kind, subject_id), found in grouped.items():
        codes = {f.rule for f in found}
        enforced = sorted(
            (c for c in codes if not rules[c].shadow), key=lambda c: (-rules[c].weight, c)
        )
        score = combined_score(rules[c].weight for c in enforced)
        actions: tuple[Action, ...] = ()
        if score >= rule_set.case_at:
            actions = tuple(sorted({rules[c].action for c in enforced}))
        out.append(
            Assessment(
                subject_kind=kind,
                subject_id=subject_id,
                score=score,
                rules=tuple(enforced),
                shadow_rules=tuple(sorted(c for c in codes if rules[c].shadow)),
                actions=actions,
                orders=tuple(sorted({o for f in found for o in f.orders})),
                accounts=tuple(sorted({a for f in found for a in f.accounts})),
                first_at=min(f.at for f in found),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Quality:
    cases: int
    true_cases: int
    labelled: int
    found: int

    @property
    def precision(self) -> float:
        return round(self.true_cases / self.cases, 4) if self.cases else 1.0

    @property
    def recall(self) -> float:
        return round(self.found / self.labelled, 4) if self.labelled else 1.0


def quality(
    assessments: Iterable[Assessment], labels: Mapping[tuple[str, str], str]
) -> dict[str, Quality]:
    """Precision and recall per pattern and ``overall``. ``labels`` maps (subject kind,
    subject id) to the injected pattern. A case counts for the pattern of its heaviest rule
    (precision); a labelled subject is found when any case was raised for it (recall)."""
    cased = [a for a in assessments if a.raises_case]
    raised = {(a.subject_kind.value, a.subject_id) for a in cased}
    patterns = sorted(set(labels.values()) | {a.pattern for a in cased})
    out = {}
    for pattern in [*patterns, "overall"]:
        mine = [a for a in cased if pattern in ("overall", a.pattern)]
        subjects = [s for s, p in labels.items() if pattern in ("overall", p)]
        out[pattern] = Quality(
            cases=len(mine),
            true_cases=sum((a.subject_kind.value, a.subject_id) in labels for a in mine),
            labelled=len(subjects),
            found=sum(s in raised for s in subjects),
        )
    return out
