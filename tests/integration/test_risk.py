"""Risk on both databases: events from real use cases, a held capture, the case queue, an
operator's decision in the audit log, payout holds, rule versions and the backtest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.api import assert_problem, register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import buy, pay
from tradewind.bootstrap import Container
from tradewind.db.tables.risk import risk_events, risk_holds, risk_labels
from tradewind.kernel.clock import ManualClock
from tradewind.risk import service as risk
from tradewind.risk.domain import DEFAULT_RULES, EventKind, RiskEvent


def _event_kinds(container: Container) -> list[str]:
    with container.uow(read_only=True) as uow:
        return list(uow.conn.scalars(select(risk_events.c.kind).order_by(risk_events.c.id)))


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"risk_mode": "enforce"}  # the product's default (tests/conftest.py turns it off)


def test_six_checkouts_in_a_day_hold_the_capture_until_an_operator_allows_it(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1500, stock=50)
    buyer = register(client, "fast@example.com", country="US")
    checkouts = [buy(client, buyer, offer_id, key=f"k{i}") for i in range(6)]
    orders = sorted(c["orders"][0]["id"] for c in checkouts)

    payment = pay(client, container, clock, buyer, checkouts[0]["id"])
    assert (payment["status"], payment["captured_minor"]) == ("in_review", 0)

    queue = client.get("/api/v1/ops/risk/cases?status=open", headers=ops).json()["items"]
    assert len(queue) == 1
    case = queue[0]
    assert (case["subject_kind"], case["subject_id"]) == ("order", checkouts[0]["orders"][0]["id"])
    assert (case["score_bp"], case["rules"], case["actions"]) == (
        6500,
        ["buyer.velocity"],
        ["hold_capture"],
    )
    assert case["orders"] == orders
    assert case["holds"] == []  # the queue leaves them out; the case itself has them
    detail = client.get(f"/api/v1/ops/risk/cases/{case['id']}", headers=ops).json()
    assert detail["holds"] == [
        {"action": "hold_capture", "target_id": o, "amount": 0, "lifted": False} for o in orders
    ]

    no_key = client.post(
        f"/api/v1/ops/risk/cases/{case['id']}/decision",
        headers=ops,
        json={"decision": "allow", "reason": "regular customer, phoned"},
    )
    assert_problem(no_key, 422, "idempotency_key_required")
    decided = client.post(
        f"/api/v1/ops/risk/cases/{case['id']}/decision",
        headers={**ops, "Idempotency-Key": "d1"},
        json={"decision": "allow", "reason": "regular customer, phoned"},
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["reason"]) == (
        "allowed",
        "regular customer, phoned",
    )
    assert {h["lifted"] for h in decided.json()["holds"]} == {True}
    from tests.support.money_flow import deliver_all

    deliver_all(client, container, clock)
    paid = client.get(f"/api/v1/checkouts/{checkouts[0]['id']}/payment", headers=buyer).json()
    assert (paid["status"], paid["captured_minor"]) == ("captured", 1500)

    again = client.post(
        f"/api/v1/ops/risk/cases/{case['id']}/decision",
        headers={**ops, "Idempotency-Key": "d2"},
        json={"decision": "confirm", "reason": "changed my mind"},
    )
    assert_problem(again, 409, "case_already_decided")
    log = client.get("/api/v1/ops/audit?subject_kind=risk_case", headers=ops).json()["items"]
    assert [(e["action"], e["subject_id"], e["reason"]) for e in log] == [
        ("risk.case.allow", case["id"], "regular customer, phoned")
    ]
    with container.uow(read_only=True) as uow:
        label = uow.conn.execute(select(risk_labels.c.subject_id, risk_labels.c.pattern)).all()
    assert [tuple(r) for r in label] == [(checkouts[0]["orders"][0]["id"], "honest")]
    kinds = _event_kinds(container)
    assert kinds.count("signup") == 2  # the shop's owner and the buyer
    assert kinds.count("checkout") == 6
    assert kinds.count("payment") == 1


def test_five_checkouts_are_captured_and_shadow_mode_never_holds(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shop@example.com", "US")
    _, offer_id = list_product(client, shop, price_minor=1500, stock=50)
    buyer = register(client, "calm@example.com", country="US")
    checkouts = [buy(client, buyer, offer_id, key=f"k{i}") for i in range(5)]
    assert pay(client, container, clock, buyer, checkouts[0]["id"])["status"] == "captured"
    assert client.get("/api/v1/ops/risk/cases", headers=ops).json()["items"] == []

    # The same events judged in shadow mode open the case but hold nothing.
    with container.uow() as uow:
        uow.conn.execute(risk_events.insert().values(**_checkout_row(uow, checkouts[0], "k5")))
        opened = risk.judge(
            uow,
            RiskEvent(EventKind.PAYMENT, clock.now(), "x", checkout_id=checkouts[1]["id"]),
            mode="shadow",
        )
        holds = uow.conn.scalar(select(func.count()).select_from(risk_holds))
        uow.commit()
    assert [(a.rules, a.score) for a in opened] == [(("buyer.velocity",), 0.65)]
    assert holds == 0


def _checkout_row(uow: object, template: dict, key: str) -> dict:  # type: ignore[type-arg]
    first = template["orders"][0]
    with_buyer = uow.conn.execute(  # type: ignore[attr-defined]
        select(risk_events).where(risk_events.c.order_id == first["id"])
    ).first()
    row = dict(with_buyer._mapping)
    row.pop("id")
    row.update(order_id=f"ord_{key}", checkout_id=f"co_{key}")
    return row


def _takeover(container: Container, at: datetime) -> None:
    with container.uow() as uow:
        for event in (
            RiskEvent(EventKind.SIGNUP, at - timedelta(days=300), "acc_shop", device="dev_shop"),
            RiskEvent(EventKind.LOGIN, at, "acc_shop", device="dev_thief", ip="203.0.113.9"),
            RiskEvent(EventKind.PAYOUT_DESTINATION, at, "acc_shop", device="dev_thief"),
            RiskEvent(EventKind.PAYOUT, at + timedelta(hours=20), "acc_shop", seller_id="acc_shop"),
        ):
            uow.publish(event)
        uow.commit()


def test_a_payout_right_after_a_destination_change_from_a_new_device_is_held(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    _takeover(container, clock.now())
    with container.uow(read_only=True) as uow:
        assert risk.payout_restrictions(uow, ["acc_shop", "acc_other"]) == {
            "acc_shop": risk.PayoutRestriction(held=True, reserve_bps=0)
        }
    ops = operator_headers(client, container)
    case = client.get("/api/v1/ops/risk/cases", headers=ops).json()["items"][0]
    assert (case["subject_kind"], case["subject_id"], case["score_bp"]) == (
        "seller",
        "acc_shop",
        6975,
    )
    assert case["rules"] == [
        "seller.destination_from_new_device",
        "seller.payout_destination_changed",
    ]
    page = client.get("/ops/risk", headers=ops)
    assert page.status_code == 200
    for words in ("score 0.70", "seller.destination_from_new_device", "<code>hold_payout</code>"):
        assert words in page.text
    refused = client.post(
        f"/ops/risk/{case['id']}", headers=ops, data={"decision": "confirm", "reason": "  "}
    )
    assert (refused.status_code, refused.headers["content-type"]) == (
        422,
        "text/html; charset=utf-8",
    )
    assert 'id="form-error"' in refused.text
    assert "say why, in a few words" in refused.text
    assert 'value="confirm" checked' in refused.text
    assert client.get(f"/api/v1/ops/risk/cases/{case['id']}", headers=ops).json()["status"] == (
        "open"
    )
    confirmed = client.post(
        f"/ops/risk/{case['id']}",
        headers=ops,
        data={"decision": "confirm", "reason": "the owner never changed it"},
        follow_redirects=False,
    )
    assert (confirmed.status_code, confirmed.headers["location"]) == (
        303,
        "/ops/risk?notice=decided",
    )
    decided = client.get(f"/api/v1/ops/risk/cases/{case['id']}", headers=ops).json()
    assert (decided["status"], decided["reason"]) == ("confirmed", "the owner never changed it")
    with container.uow(read_only=True) as uow:
        assert risk.payout_restrictions(uow, ["acc_shop"])["acc_shop"].held is True
        assert risk.labels(uow) == {("seller", "acc_shop"): "account_takeover"}


def test_rule_versions_and_the_backtest_on_stored_history(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    start = clock.now()
    _takeover(container, start)
    ops = operator_headers(client, container)
    with container.uow() as uow:
        risk.label(uow, "seller", "acc_shop", "account_takeover", "bench")
        risk.label(uow, "seller", "acc_missed", "collusion", "bench")
        uow.commit()
    day = start.date().isoformat()
    until = (start + timedelta(days=1)).date().isoformat()
    result = client.get(f"/api/v1/ops/risk/backtest?from={day}&to={until}", headers=ops).json()
    assert (result["rules_version"], result["cases"], result["labelled"]) == (1, 1, 2)
    assert result["quality"]["overall"] == {"cases": 1, "precision": 1.0, "recall": 0.5}

    # Version 2 watches the new-device rule in shadow: the seller scores 0.45, no case.
    import json

    data = json.loads(DEFAULT_RULES.to_json())
    for rule in data["rules"]:
        if rule["code"] == "seller.destination_from_new_device":
            rule["shadow"] = True
    added = client.post(
        "/api/v1/ops/risk/rules",
        headers=ops,
        json={"rules": json.dumps(data), "note": "watch new devices first", "activate": False},
    )
    assert added.status_code == 201, added.text
    assert added.json()["version"] == 2
    assert client.get("/api/v1/ops/risk/rules", headers=ops).json()["version"] == 1
    shadowed = client.get(
        f"/api/v1/ops/risk/backtest?from={day}&to={until}&version=2", headers=ops
    ).json()
    assert (shadowed["cases"], shadowed["shadow_findings"]) == (
        0,
        {"seller.destination_from_new_device": 1},
    )
    bad = client.post(
        "/api/v1/ops/risk/rules",
        headers=ops,
        json={
            "rules": '{"rules": [{"code": "nope", "weight": 0.5, "action": "allow"}]}',
            "note": "x",
        },
    )
    assert_problem(bad, 422, "invalid_rules")
    missing = client.get(f"/api/v1/ops/risk/backtest?from={day}&to={day}&version=9", headers=ops)
    assert_problem(missing, 404, "unknown_rules_version")
    log = client.get("/api/v1/ops/audit?subject_kind=risk_rules", headers=ops).json()["items"]
    assert [(e["action"], e["subject_id"], e["reason"]) for e in log] == [
        ("risk.rules.add", "2", "watch new devices first")
    ]
    assert start.tzinfo == UTC
