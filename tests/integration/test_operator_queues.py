"""The operator's queues, on both databases: seller applications (the whole application shown,
approved or rejected with a reason the seller reads) and payouts (due, held, failed; hold,
release and retry, each once, with a reason in the audit log, money only through the ledger).
A wrong staff role is refused (403 permission_required) and a refused action changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.api import register
from tests.support.market import Shop, open_shop, operator_token
from tests.support.money_flow import assert_ledger_ok, sell_one
from tests.support.web import HTML
from tradewind.bootstrap import Container, send_intents
from tradewind.db.tables.audit import audit_log
from tradewind.db.tables.catalog import sellers
from tradewind.db.tables.escrow import payout_holds, payouts
from tradewind.identity.domain import StaffRole
from tradewind.kernel.clock import ManualClock
from tradewind.ledger import domain as ledger
from tradewind.ledger.service import balance


def _staff(container: Container) -> dict[str, dict[str, str]]:
    made = {"admin": operator_token(container)}
    for role in (StaffRole.SUPPORT, StaffRole.FINANCE, StaffRole.CATALOG):
        made[role.value] = operator_token(container, role, f"{role.value}@example.com", role.value)
    return {role: {"Authorization": f"Bearer {token}", **HTML} for role, token in made.items()}


def _rows(container: Container, table: Any) -> list[dict[str, Any]]:
    with container.uow(read_only=True) as uow:
        return [dict(r._mapping) for r in uow.conn.execute(select(table))]


def _audit(container: Container) -> list[tuple[str, str, str]]:
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(select(audit_log).order_by(audit_log.c.id))
        return [(r.action, r.subject_id, r.reason) for r in rows]


def _post(client: TestClient, who: dict[str, str], path: str, data: dict[str, str]) -> Any:
    return client.post(path, headers=who, data=data, follow_redirects=False)


def test_an_application_is_read_whole_and_rejected_with_a_reason_the_seller_sees(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    staff = _staff(container)
    seller = register(client, "mei@example.com", role="seller", country="CN")
    applied = client.post(
        "/api/v1/sellers",
        headers=seller,
        json={
            "name": "Mei Lanterns",
            "ship_from": {"line1": "8 Dock Road", "city": "Shenzhen", "postal_code": "518000"},
            "handling_days": 3,
            "sells": "Paper lanterns and silk fans",
        },
    )
    assert applied.status_code == 201, applied.text
    shop_id = applied.json()["id"]

    queue = client.get("/ops/applications", headers=staff["support"]).text
    card = queue.split(f'id="application-{shop_id}"')[1].split("</section>")[0]
    assert "<bdi>Mei Lanterns</bdi>" in card
    assert "China" in card
    assert f'<dd id="sells-{shop_id}"><bdi>Paper lanterns and silk fans</bdi></dd>' in card
    assert f'<dd id="contact-{shop_id}"><bdi>mei@example.com</bdi></dd>' in card  # the email
    assert "<bdi>8 Dock Road</bdi>, <bdi>Shenzhen</bdi> <bdi>518000</bdi>" in card
    assert "3 days" in card

    # Support may read the queue but not decide: 403, the shop still waiting, nothing audited.
    refused = _post(client, staff["support"], f"/ops/applications/{shop_id}",
                    {"action": "reject", "reason": "no"})  # fmt: skip
    assert refused.status_code == 403
    assert "permission, which your staff role does not have" in refused.text
    api = client.post(f"/api/v1/sellers/{shop_id}/status",
                      headers={"Authorization": staff["support"]["Authorization"]},
                      json={"action": "reject", "reason": "no"})  # fmt: skip
    assert (api.status_code, api.json()["code"]) == (403, "permission_required")
    # No reason: the queue again, the error at the field, nothing changed.
    empty = _post(client, staff["catalog"], f"/ops/applications/{shop_id}",
                  {"action": "reject", "reason": "  "})  # fmt: skip
    assert empty.status_code == 422
    assert f'id="reason-{shop_id}-error">Give a reason.</p>' in empty.text
    assert f'id="reason-{shop_id}" name="reason" type="text" value="  "' in empty.text
    assert [r["status"] for r in _rows(container, sellers)] == ["pending"]
    assert _audit(container) == []

    why = "Fans need a CE safety certificate; apply again with it."
    done = _post(client, staff["catalog"], f"/ops/applications/{shop_id}",
                 {"action": "reject", "reason": why})  # fmt: skip
    assert (done.status_code, done.headers["location"]) == (303, "/ops/applications?notice=reject")
    (row,) = _rows(container, sellers)
    assert (row["status"], row["decision_reason"], row["sells"]) == (
        "rejected",
        why,
        "Paper lanterns and silk fans",
    )
    assert _audit(container) == [("seller.reject", shop_id, why)]
    assert (
        "No application is waiting."
        in client.get("/ops/applications", headers=staff["catalog"]).text
    )
    # The seller reads the decision and the reason on its own seller center.
    seller_page = client.get("/seller", headers={**seller, **HTML}).text
    assert (
        "The application for <strong><bdi>Mei Lanterns</bdi></strong> was not approved."
        in seller_page
    )
    assert f'<p id="shop-decision">The operators’ reason: <bdi>{why}</bdi></p>' in seller_page
    # Deciding again is refused (409) with the page again, and changes nothing.
    again = _post(client, staff["catalog"], f"/ops/applications/{shop_id}",
                  {"action": "approve", "reason": "changed my mind"})  # fmt: skip
    assert again.status_code == 409
    assert '<p class="error-box" role="alert" id="form-error">' in again.text
    assert "a rejected seller cannot be approved" in again.text
    assert [r["status"] for r in _rows(container, sellers)] == ["rejected"]
    assert len(_audit(container)) == 1


def _payable(container: Container, seller_id: str) -> int:
    with container.uow(read_only=True) as uow:
        return balance(uow, ledger.seller_payable(seller_id))


def _payouts(container: Container) -> list[tuple[int, str]]:
    return sorted((p["amount_minor"], p["status"]) for p in _rows(container, payouts))


def _batch(client: TestClient, who: dict[str, str], name: str) -> None:
    ran = _post(client, who, "/ops/payouts/run", {"batch": name, "reason": "daily run"})
    assert ran.status_code == 303, ran.text


def test_payouts_are_held_released_and_a_failed_one_retried_once(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    staff = _staff(container)
    finance = staff["finance"]
    shop = open_shop(client, {"Authorization": staff["admin"]["Authorization"]},
                     "lamps@example.com", "US")  # fmt: skip
    sell_one(client, container, clock, shop, "q1")
    page = client.get("/ops/payouts", headers=staff["support"]).text
    due = page.split(f'<tr id="due-{shop.seller_id}">')[1].split("</tr>")[0]
    assert "$92.00" in due
    assert "No failed payouts." in page

    hold = f"/ops/payouts/holds/{shop.seller_id}"
    refused = _post(client, staff["support"], hold, {"action": "hold", "reason": "checking"})
    assert refused.status_code == 403
    assert "permission, which your staff role does not have" in refused.text
    no_reason = _post(client, finance, hold, {"action": "hold", "reason": ""})
    assert no_reason.status_code == 422
    assert f'id="hold-{shop.seller_id}-error">Give a reason.</p>' in no_reason.text
    assert _rows(container, payout_holds) == []
    assert [a for a, _, _ in _audit(container)] == ["seller.approve"]

    why = "bank details under review"
    first = _post(client, finance, hold, {"action": "hold", "reason": why})
    assert first.headers["location"] == "/ops/payouts?notice=payout_held"
    second = _post(client, finance, hold, {"action": "hold", "reason": why})
    assert second.headers["location"] == "/ops/payouts?notice=payout_held_already"
    assert [(h["seller_id"], h["reason"]) for h in _rows(container, payout_holds)] == [
        (shop.seller_id, why)
    ]
    held_page = client.get("/ops/payouts", headers=finance).text
    assert f'<tr id="held-{shop.seller_id}">' in held_page
    assert f"<bdi>{why}</bdi>" in held_page
    _batch(client, finance, "day-1")
    assert _payouts(container) == []  # a held shop is paid nothing
    assert _payable(container, shop.seller_id) == -9200

    released = _post(client, finance, hold, {"action": "release", "reason": "details verified"})
    assert released.headers["location"] == "/ops/payouts?notice=payout_released"
    again = _post(client, finance, hold, {"action": "release", "reason": "details verified"})
    assert again.headers["location"] == "/ops/payouts?notice=payout_released_already"
    assert _rows(container, payout_holds) == []

    container.payments.refuse_payouts_to = {shop.seller_id}
    _batch(client, finance, "day-2")
    send_intents(container, retry_now=True)
    assert _payouts(container) == [(9200, "refused")]
    assert _payable(container, shop.seller_id) == -9200  # the refusal gave it back
    (failed,) = _rows(container, payouts)
    page = client.get("/ops/payouts", headers=finance).text
    assert f'<tr id="failed-{failed["id"]}">' in page

    container.payments.refuse_payouts_to = set()
    retry = f"/ops/payouts/{failed['id']}/retry"
    assert _post(client, staff["catalog"], retry, {"reason": "x"}).status_code == 403
    assert _payouts(container) == [(9200, "refused")]
    done = _post(client, finance, retry, {"reason": "the seller reopened the account"})
    assert done.headers["location"] == "/ops/payouts?notice=payout_retried"
    assert _payouts(container) == [(9200, "paid"), (9200, "retried")]
    assert _payable(container, shop.seller_id) == 0
    twice = _post(client, finance, retry, {"reason": "the seller reopened the account"})
    assert twice.status_code == 303  # the payout it already made; nothing paid twice
    assert _payouts(container) == [(9200, "paid"), (9200, "retried")]
    paid = next(p for p in _rows(container, payouts) if p["status"] == "paid")
    not_failed = _post(client, finance, f"/ops/payouts/{paid['id']}/retry", {"reason": "x"})
    assert not_failed.status_code == 409
    assert "Only a failed payout can be retried." in not_failed.text
    balances = client.get("/api/v1/sellers/me/balances", headers=shop.headers).json()
    assert (balances["available_minor"], balances["paid_out_minor"]) == (0, 9200)
    assert [(a, r) for a, _, r in _audit(container) if a.startswith("payouts.")] == [
        ("payouts.hold", why),
        ("payouts.run", "daily run"),
        ("payouts.release", "details verified"),
        ("payouts.run", "daily run"),
        ("payouts.retry", "the seller reopened the account"),
    ]
    assert_ledger_ok(container)
    _exports(client, staff, shop, failed["id"])


def _exports(client: TestClient, staff: dict[str, dict[str, str]], shop: Shop, failed: str) -> None:
    """The payouts and the shop's ledger entries as CSV, for finance only."""
    assert client.get("/ops/payouts.csv", headers=staff["support"]).status_code == 403
    assert client.get("/ops/ledger.csv", headers=staff["catalog"]).status_code == 403
    answer = client.get("/ops/payouts.csv", headers=staff["finance"])
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="payouts.csv"'
    lines = [line.split(",") for line in answer.text.removeprefix("\ufeff").splitlines()]
    assert lines[0] == [
        "payout_id", "shop_id", "shop", "currency", "amount", "amount_minor", "netted_minor",
        "status", "batch", "created_at",
    ]  # fmt: skip
    shop_name = "Shop lamps@example.com"
    assert sorted((r[0] == failed, r[1:9]) for r in lines[1:]) == [
        (False, [shop.seller_id, shop_name, "USD", "92.00", "9200", "0", "paid",
                 f"payout:{shop.seller_id}:USD:retry-{failed}"]),
        (True, [shop.seller_id, shop_name, "USD", "92.00", "9200", "0", "retried",
                f"payout:{shop.seller_id}:USD:day-2"]),
    ]  # fmt: skip
    ledger_csv = client.get(f"/ops/ledger.csv?seller_id={shop.seller_id}", headers=staff["finance"])
    entries = [line.split(",") for line in ledger_csv.text.removeprefix("\ufeff").splitlines()]
    assert entries[0][:4] == ["entry_id", "transaction_id", "key", "kind"]
    retried = [e[2:10] for e in entries[1:] if e[2].endswith(f"retry-{failed}")]
    assert retried == [
        [f"payout:{shop.seller_id}:USD:retry-{failed}", "payout", "", shop.seller_id,
         f"seller:{shop.seller_id}:payable", "USD", "92.00", "9200"],
        [f"payout:{shop.seller_id}:USD:retry-{failed}", "payout", "", shop.seller_id,
         "psp:clearing:USD", "USD", "-92.00", "-9200"],
    ]  # fmt: skip
