"""Seller performance measures and the quality rules on them, as data (Mirakl-style).

A rule names a measure, the window it reads (30 or 90 days), a threshold that warns and one
that pauses, and the fewest orders (or disputes) the window needs before it judges: a shop with
two orders is not paused for one late parcel. Rates are in basis points (1% = 100); response
time in hours. The defaults follow common marketplace practice (Amazon's late shipment under
4%, valid tracking over 95%, cancellations under 2.5%); ``TRADEWIND_QUALITY_RULES`` replaces
them with a JSON list of the same fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Measure(StrEnum):
    LATE_SHIPMENT = "late_shipment"  # share of orders due that shipped late or not at all
    VALID_TRACKING = "valid_tracking"  # share of parcels the carrier scanned
    DISPUTE = "dispute"  # disputes opened per order due
    CANCELLATION = "cancellation"  # share of orders due the seller (or the timer) cancelled
    RESPONSE_TIME = "response_time"  # mean hours to the seller's first answer to a dispute


HIGHER_IS_BETTER: Final = frozenset({Measure.VALID_TRACKING})
WINDOWS: Final = (30, 90)


class Level(StrEnum):
    GOOD = "good"
    WARNED = "warned"
    PAUSED = "paused"


@dataclass(frozen=True)
class Rule:
    measure: Measure
    days: int
    warn: int  # basis points, or hours for response time
    pause: int
    min_count: int = 10

    def level(self, value: int) -> Level:
        """Where ``value`` stands: past ``pause``, past ``warn``, or good."""
        if self.measure in HIGHER_IS_BETTER:
            return (
                Level.PAUSED
                if value < self.pause
                else Level.WARNED
                if value < self.warn
                else Level.GOOD
            )
        return (
            Level.PAUSED
            if value > self.pause
            else Level.WARNED
            if value > self.warn
            else Level.GOOD
        )


DEFAULT_RULES: Final = (
    Rule(Measure.LATE_SHIPMENT, 30, warn=400, pause=1000),
    Rule(Measure.VALID_TRACKING, 30, warn=9500, pause=9000),
    Rule(Measure.DISPUTE, 90, warn=200, pause=500),
    Rule(Measure.CANCELLATION, 30, warn=250, pause=500),
    Rule(Measure.RESPONSE_TIME, 30, warn=48, pause=72, min_count=3),
)


def parse_rules(text: str) -> tuple[Rule, ...]:
    """The configured rules: empty text means :data:`DEFAULT_RULES`; otherwise a JSON list of
    ``{"measure", "days", "warn", "pause", "min_count"}``. Raises ValueError on anything else."""
    if not text.strip():
        return DEFAULT_RULES
    rules = []
    for item in json.loads(text):
        rule = Rule(
            Measure(item["measure"]),
            int(item["days"]),
            warn=int(item["warn"]),
            pause=int(item["pause"]),
            min_count=int(item.get("min_count", 10)),
        )
        if rule.days not in WINDOWS or not 0 <= rule.min_count <= 1_000_000:
            raise ValueError(f"rule for {rule.measure}: days must be one of {WINDOWS}")
        worse_first = rule.measure in HIGHER_IS_BETTER
        if not (0 <= rule.pause <= rule.warn if worse_first else 0 <= rule.warn <= rule.pause):
            raise ValueError(f"rule for {rule.measure}: the pause threshold is past the warning")
        rules.append(rule)
    return tuple(rules)


@dataclass(frozen=True)
class Figure:
    """One measure over one window: ``part`` of ``whole`` (a rate), or, for response time,
    ``part`` seconds waited over ``whole`` disputes."""

    measure: Measure
    days: int
    part: int
    whole: int

    @property
    def value(self) -> int | None:
        """Basis points (rates) or whole hours (response time); None with nothing to measure."""
        if not self.whole:
            return None
        if self.measure is Measure.RESPONSE_TIME:
            return round(self.part / (self.whole * 3600))
        return self.part * 10_000 // self.whole


@dataclass(frozen=True)
class Verdict:
    rule: Rule
    figure: Figure
    level: Level  # GOOD too when the window has fewer than ``min_count``


def judge(figures: list[Figure], rules: tuple[Rule, ...]) -> list[Verdict]:
    """Each rule against the figure it reads."""
    by_key = {(f.measure, f.days): f for f in figures}
    verdicts = []
    for rule in rules:
        figure = by_key[(rule.measure, rule.days)]
        value = figure.value
        counted = value is not None and figure.whole >= rule.min_count
        verdicts.append(
            Verdict(
                rule, figure, rule.level(value) if counted and value is not None else Level.GOOD
            )
        )
    return verdicts


def worst(verdicts: list[Verdict]) -> Level:
    levels = {v.level for v in verdicts}
    return (
        Level.PAUSED
        if Level.PAUSED in levels
        else Level.WARNED
        if Level.WARNED in levels
        else Level.GOOD
    )


class Step(StrEnum):
    WARNED = "warned"  # past a warning threshold (or past a pause one, the first time)
    PAUSED = "paused"  # still past a pause threshold at the next review: listings and payouts
    CLEARED = "cleared"  # a warned shop back within every threshold
    REINSTATED = "reinstated"  # an operator lifted a pause, with a reason


def next_step(current: Level, now: Level) -> tuple[Step, Level] | None:
    """What a review does to a shop at ``current`` whose figures stand at ``now``: a shop is
    warned before it is paused (a pause threshold crossed by a good shop warns it; the next
    review pauses it if it is still past), a warned shop back within the rules is cleared,
    and a paused shop stays paused, whatever its figures, until an operator decides."""
    if current is Level.PAUSED:
        return None
    if now is Level.PAUSED:
        return (
            (Step.PAUSED, Level.PAUSED) if current is Level.WARNED else (Step.WARNED, Level.WARNED)
        )
    if now is Level.WARNED:
        return (Step.WARNED, Level.WARNED) if current is Level.GOOD else None
    return (Step.CLEARED, Level.GOOD) if current is Level.WARNED else None
