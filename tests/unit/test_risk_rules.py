"""The risk rules on hand-made histories: which rules fire, the score, the actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tradewind.risk.domain import (
    DEFAULT_RULES,
    Action,
    EventKind,
    RiskEvent,
    Rule,
    RuleSet,
    SubjectKind,
    assess,
    combined_score,
    quality,
    rule_set_from_json,
)
from tradewind.risk.engine import Replay

T0 = datetime(2026, 3, 1, tzinfo=UTC)
K = EventKind


def ev(kind: EventKind, minutes: float, account: str, **fields: object) -> RiskEvent:
    return RiskEvent(kind, T0 + timedelta(minutes=minutes), account, **fields)  # type: ignore[arg-type]


def checkout(minutes: float, buyer: str, order: str, **fields: object) -> RiskEvent:
    values: dict[str, object] = {
        "checkout_id": f"co_{order}",
        "seller_id": "sel_1",
        "amount_minor": 2_500,
        "currency": "USD",
        "device": f"dev_{buyer}",
        "card": f"card_{buyer}",
        "address": f"addr_{buyer}",
        "ip": f"ip_{buyer}",
        "billing_country": "US",
        "shipping_country": "US",
        "client_country": "US",
    }
    values.update(fields)
    return ev(K.CHECKOUT, minutes, buyer, order_id=order, **values)


def judged(events: list[RiskEvent], until_days: float = 0) -> dict[tuple[str, str], object]:
    end = max(e.at for e in events) + timedelta(days=until_days)
    found = assess(DEFAULT_RULES, Replay(DEFAULT_RULES).run(events, until=end))
    return {(a.subject_kind.value, a.subject_id): a for a in found}


def test_six_checkouts_of_one_account_in_a_day_fire_velocity_for_all_six() -> None:
    events = [checkout(30 * i, "acc_1", f"o{i}") for i in range(6)]
    found = judged(events)
    assert sorted(found) == [("order", f"o{i}") for i in range(6)]
    first = found[("order", "o0")]
    assert first.rules == ("buyer.velocity",)  # type: ignore[attr-defined]
    assert first.score == 0.65  # type: ignore[attr-defined]
    assert first.actions == (Action.HOLD_CAPTURE,)  # type: ignore[attr-defined]
    assert first.accounts == ("acc_1",)  # type: ignore[attr-defined]


def test_three_accounts_on_one_card_are_linked_accounts() -> None:
    events = [checkout(600 * i, f"acc_{i}", f"o{i}", card="card_x") for i in range(3)]
    found = judged(events)
    assert found[("order", "o0")].rules == ("buyer.linked_accounts",)  # type: ignore[attr-defined]
    assert found[("order", "o2")].accounts == ("acc_0", "acc_1", "acc_2")  # type: ignore[attr-defined]
    assert judged(events[:2]) == {}


def test_five_checkouts_on_one_card_is_within_the_limit() -> None:
    assert judged([checkout(30 * i, "acc_1", f"o{i}") for i in range(5)]) == {}


def test_a_young_account_with_an_expensive_order_and_a_foreign_card_scores_both() -> None:
    events = [
        ev(K.SIGNUP, 0, "acc_new"),
        checkout(60, "acc_new", "o1", amount_minor=45_000, billing_country="GB"),
    ]
    case = judged(events)[("order", "o1")]
    assert case.rules == ("buyer.new_account_high_value", "buyer.country_mismatch")  # type: ignore[attr-defined]
    assert case.score == 0.7725  # 1 - 0.35 * 0.65  # type: ignore[attr-defined]


def test_an_old_account_buying_something_expensive_is_allowed() -> None:
    events = [
        ev(K.SIGNUP, 0, "acc_old"),
        checkout(5 * 24 * 60, "acc_old", "o1", amount_minor=90_000),
    ]
    assert judged(events) == {}


def test_billing_shipping_and_client_countries_all_different_raise_a_case() -> None:
    case = judged([checkout(0, "acc_1", "o1", billing_country="GB", client_country="RU")])
    assert case[("order", "o1")].rules == ("buyer.countries_all_differ",)  # type: ignore[attr-defined]
    # A traveller (only the client country differs) is not even a finding.
    assert judged([checkout(0, "acc_1", "o1", client_country="TR")]) == {}


def _shipment(minutes: float, order: str, buyer: str, number: str, **fields: object) -> RiskEvent:
    return ev(
        K.SHIPMENT,
        minutes,
        "sel_1",
        order_id=order,
        buyer_id=buyer,
        seller_id="sel_1",
        tracking_number=number,
        seller_country="CN",
        shipping_country="IL",
        **fields,
    )


def test_one_tracking_number_on_two_buyers_orders_holds_the_sellers_payouts() -> None:
    events = [
        checkout(0, "acc_1", "o1"),
        checkout(1, "acc_2", "o2"),
        _shipment(60, "o1", "acc_1", "RR473124829CN"),
        _shipment(61, "o2", "acc_2", "RR473124829CN"),
    ]
    case = judged(events)[("seller", "sel_1")]
    assert case.rules == ("seller.tracking_reused",)  # type: ignore[attr-defined]
    assert case.actions == (Action.HOLD_PAYOUT,)  # type: ignore[attr-defined]
    assert case.orders == ("o1", "o2")  # type: ignore[attr-defined]


def test_three_of_four_parcels_never_scanned_within_five_days() -> None:
    events = [checkout(i, f"acc_{i}", f"o{i}") for i in range(4)]
    events += [_shipment(60 + i, f"o{i}", f"acc_{i}", f"RR00000{i:03d}5CN") for i in range(4)]
    events.append(ev(K.TRACKING, 600, "sel_1", order_id="o0"))
    case = judged(events, until_days=6)[("seller", "sel_1")]
    assert case.rules == ("seller.no_first_scan",)  # type: ignore[attr-defined]
    assert case.orders == ("o1", "o2", "o3")  # type: ignore[attr-defined]
    # Two unscanned parcels are the post's fault as often as not: nothing.
    assert ("seller", "sel_1") not in judged(events[:-2] + events[-1:], until_days=6)


def test_payout_destination_changed_from_a_new_device_just_before_a_payout() -> None:
    events = [
        ev(K.SIGNUP, -90 * 24 * 60, "sel_1", device="dev_shop"),
        ev(K.LOGIN, 0, "sel_1", device="dev_other"),
        ev(K.PAYOUT_DESTINATION, 3, "sel_1", device="dev_other"),
        ev(K.PAYOUT, 24 * 60, "sel_1", seller_id="sel_1"),
    ]
    case = judged(events)[("seller", "sel_1")]
    assert case.rules == (  # type: ignore[attr-defined]
        "seller.destination_from_new_device",
        "seller.payout_destination_changed",
    )
    assert case.score == 0.6975  # type: ignore[attr-defined]
    # The same change from the shop's own device is a finding below the threshold.
    same = [*events[:1], ev(K.PAYOUT_DESTINATION, 3, "sel_1", device="dev_shop"), events[3]]
    assert judged(same)[("seller", "sel_1")].actions == ()  # type: ignore[attr-defined]


def test_a_buyer_on_the_sellers_own_device_is_collusion_on_both() -> None:
    events = [
        ev(K.SIGNUP, -1000, "sel_1", device="dev_shop"),
        checkout(0, "acc_1", "o1", device="dev_shop"),
    ]
    found = judged(events)
    assert found[("order", "o1")].rules == ("collusion.shared_identity",)  # type: ignore[attr-defined]
    assert found[("seller", "sel_1")].actions == (Action.ROLLING_RESERVE,)  # type: ignore[attr-defined]


def test_shadow_rules_are_reported_but_never_scored() -> None:
    shadowed = RuleSet(
        version=2,
        rules=tuple(
            Rule(r.code, r.weight, r.action, r.params, shadow=r.code == "buyer.velocity")
            for r in DEFAULT_RULES.rules
        ),
    )
    events = [checkout(30 * i, "acc_1", f"o{i}") for i in range(6)]
    found = assess(shadowed, Replay(shadowed).run(events))
    assert next((a.score, a.rules, a.shadow_rules, a.actions) for a in found) == (
        0.0,
        (),
        ("buyer.velocity",),
        (),
    )


def test_rules_round_trip_as_data_and_unknown_rules_are_refused() -> None:
    again = rule_set_from_json(7, DEFAULT_RULES.to_json())
    assert again.rules == DEFAULT_RULES.rules
    assert again.version == 7
    with pytest.raises(ValueError, match="unknown rules"):
        rule_set_from_json(8, '{"rules": [{"code": "x", "weight": 0.5, "action": "allow"}]}')
    with pytest.raises(ValueError, match="weight"):
        Rule("buyer.velocity", 1.0, Action.HOLD_CAPTURE)


def test_score_and_quality_arithmetic() -> None:
    assert combined_score([0.65, 0.35]) == 0.7725
    events = [checkout(30 * i, "acc_1", f"o{i}") for i in range(6)]
    found = assess(DEFAULT_RULES, Replay(DEFAULT_RULES).run(events))
    labels = {("order", "o0"): "buyer_velocity", ("seller", "sel_9"): "collusion"}
    q = quality(found, labels)
    assert (q["overall"].cases, q["overall"].true_cases, q["overall"].found) == (6, 1, 1)
    assert (q["overall"].precision, q["overall"].recall) == (0.1667, 0.5)
    assert (q["collusion"].precision, q["collusion"].recall) == (1.0, 0.0)
    assert SubjectKind.ORDER.value == "order"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[]", "an object with a list"),
        ('{"rules": [1]}', "each rule must be an object"),
        (
            '{"rules": [{"code": "buyer.velocity", "weight": 0.5, "action": "hold_capture"}]}',
            "parameters must be",
        ),
        (
            '{"rules": [{"code": "seller.tracking_reused", "weight": 0.5,'
            ' "action": "hold_payout", "params": {"window_s": "soon"}}]}',
            "must be numbers",
        ),
        (
            '{"rules": [{"code": "seller.tracking_reused", "weight": 0.5,'
            ' "action": "hold_payout", "params": {"window_s": -1}}]}',
            "must be 0 to",
        ),
        ('{"case_at": 0, "rules": []}', "case_at"),
    ],
)
def test_rule_data_is_checked_before_it_is_stored(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        rule_set_from_json(2, text)
