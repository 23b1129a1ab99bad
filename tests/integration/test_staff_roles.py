"""Staff roles: support, finance, catalog and admin operators may each do only their part of the
console, refused alike by the API (problem+json) and the pages (an HTML 403), with nothing
changed; every operator action lands in the append-only audit log, searchable in the console."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests.support.api import register
from tests.support.market import operator_token
from tests.support.web import HTML
from tradewind.bootstrap import Container
from tradewind.db.tables.audit import audit_log
from tradewind.db.tables.money import fx_quotes
from tradewind.identity.domain import PERMISSIONS, Permission, StaffRole

# What each staff role may do, spelled out (the code's table must say exactly this).
EXPECTED = {
    "admin": {p.value for p in Permission},
    "support": {"console", "disputes", "chargebacks"},
    "finance": {"console", "fx", "customs", "payouts", "ledger", "risk", "promotions"},
    "catalog": {"console", "sellers", "moderation"},
}
# One valid request per guarded API action (a valid body: validation answers before the check).
API = [
    ("POST", "/api/v1/sellers/sel_none/status", {"action": "approve", "reason": "ok"}, "sellers"),
    ("POST", "/api/v1/fx-rates", {"base": "USD", "quote": "EUR", "rate": "0.9"}, "fx"),
    (
        "POST",
        "/api/v1/customs/rules",
        {"destination": "DE", "effective_from": "2030-01-01", "vat_percent": "19"},
        "customs",
    ),
    ("POST", "/api/v1/customs/rules/amendments/cr_none/withdraw", None, "customs"),
    ("GET", "/api/v1/ledger/transactions", None, "ledger"),
    ("POST", "/api/v1/ops/payouts/run", {"batch": "b1"}, "payouts"),
    ("POST", "/api/v1/disputes/dsp_none/resolve", {"resolution": "release"}, "disputes"),
    (
        "POST",
        "/api/v1/ops/risk/cases/rc_none/decision",
        {"decision": "allow", "reason": "ok"},
        "risk",
    ),
    ("POST", "/api/v1/ops/clock/advance", {"seconds": 60}, "clock"),
    ("POST", "/api/v1/ops/payment-mismatches/pm_none/refund", {"note": "x"}, "ledger"),
    ("POST", "/api/v1/promotions/prm_none/end", {"reason": "ok"}, "promotions"),
]
PAGES = [
    ("POST", "/ops/sellers/sel_none", {"action": "approve", "reason": "ok"}, "sellers"),
    ("POST", "/ops/applications/sel_none", {"action": "reject", "reason": "ok"}, "sellers"),
    ("POST", "/ops/payouts/holds/sel_none", {"action": "hold", "reason": "ok"}, "payouts"),
    ("POST", "/ops/payouts/po_none/retry", {"reason": "ok"}, "payouts"),
    ("POST", "/ops/fx", {"base": "USD", "quote": "EUR", "rate": "0.9", "reason": "ok"}, "fx"),
    ("POST", "/ops/customs/amendments/cr_none/withdraw", {"reason": "ok"}, "customs"),
    ("GET", "/ops/ledger", None, "ledger"),
    ("POST", "/ops/payouts/run", {"batch": "b1", "reason": "ok"}, "payouts"),
    ("POST", "/disputes/dsp_none/resolve", {"resolution": "release", "note": "ok"}, "disputes"),
    ("POST", "/ops/risk/rc_none", {"decision": "allow", "reason": "ok"}, "risk"),
    ("POST", "/ops/clock", {"amount": "1", "unit": "hours", "reason": "ok"}, "clock"),
    ("POST", "/ops/chargebacks/cb_none/evidence", {"evidence": "ok"}, "chargebacks"),
    ("POST", "/ops/mismatches/settlement/sm_none", {"note": "ok"}, "ledger"),
    ("POST", "/ops/promotions/prm_none/end", {"reason": "ok"}, "promotions"),
]
CONSOLE_PAGES = [
    "/ops",
    "/ops/overview",
    "/ops/sellers",
    "/ops/applications",
    "/ops/fx",
    "/ops/customs",
    "/ops/payouts",
    "/ops/risk",
    "/ops/chargebacks",
    "/ops/mismatches",
    "/ops/audit",
    "/ops/promotions",
]


def _staff(container: Container) -> dict[str, dict[str, str]]:
    tokens = {"admin": operator_token(container)}
    for role in (StaffRole.SUPPORT, StaffRole.FINANCE, StaffRole.CATALOG):
        name = role.value.title()
        tokens[role.value] = operator_token(container, role, f"{role.value}@example.com", name)
    return {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}


def _count(container: Container, table: Any) -> int:
    with container.uow(read_only=True) as uow:
        return int(uow.conn.scalar(select(func.count()).select_from(table)) or 0)


def _call(
    client: TestClient, headers: dict[str, str], method: str, path: str, body: Any, *, page: bool
) -> Any:
    if page:
        return client.request(method, path, headers={**headers, **HTML}, data=body)
    key = {"Idempotency-Key": "k-" + path[-12:]}
    return client.request(method, path, headers={**headers, **key}, json=body)


def test_each_staff_role_has_exactly_its_permissions() -> None:
    assert {r.value: {p.value for p in perms} for r, perms in PERMISSIONS.items()} == EXPECTED


@pytest.mark.parametrize("page", [False, True], ids=["api", "pages"])
def test_each_role_is_refused_what_it_may_not_do(
    client: TestClient, container: Container, page: bool
) -> None:
    staff = _staff(container)
    audit_before, fx_before = _count(container, audit_log), _count(container, fx_quotes)
    for method, path, body, permission in PAGES if page else API:
        for role in ("support", "finance", "catalog"):
            if permission in EXPECTED[role]:
                continue
            answer = _call(client, staff[role], method, path, body, page=page)
            assert answer.status_code == 403, (role, path, answer.text[:300])
            if page:
                assert answer.headers["content-type"] == "text/html; charset=utf-8"
                words = "permission, which your staff role does not have"
                assert words in answer.text, (role, path)
            else:
                assert answer.headers["content-type"] == "application/problem+json"
                assert answer.json()["code"] == "permission_required", (role, path)
    # Refusals change nothing: no audit entry, no rate.
    assert (_count(container, audit_log), _count(container, fx_quotes)) == (audit_before, fx_before)
    for method, path, body, permission in PAGES if page else API:
        for role, allowed in EXPECTED.items():
            if permission in allowed:
                answer = _call(client, staff[role], method, path, body, page=page)
                assert answer.status_code not in (403, 500), (role, path, answer.text[:300])


def test_every_staff_role_reads_the_console_and_a_buyer_does_not(
    client: TestClient, container: Container
) -> None:
    staff = _staff(container)
    buyer = register(client, "noa@example.com")
    for path in CONSOLE_PAGES:
        for role, headers in staff.items():
            assert client.get(path, headers={**headers, **HTML}).status_code == 200, (role, path)
        refused = client.get(path, headers={**buyer, **HTML})
        assert refused.status_code == 403, path
        assert "this action needs one of these roles: operator" in refused.text
    ledger = client.get("/ops/ledger", headers={**staff["support"], **HTML})
    assert ledger.status_code == 403
    # The menu offers the ledger only to whom it opens for.
    assert 'href="/ops/ledger"' not in client.get("/ops", headers={**staff["support"], **HTML}).text
    assert 'href="/ops/ledger"' in client.get("/ops", headers={**staff["finance"], **HTML}).text
    api_buyer = client.get("/api/v1/ops/audit", headers=buyer)
    assert api_buyer.json()["code"] == "role_required"


def test_operator_actions_are_audited_with_who_what_and_why(
    client: TestClient, container: Container
) -> None:
    staff = _staff(container)
    seller = register(client, "shop@example.com", role="seller", country="CN")
    applied = client.post(
        "/api/v1/sellers",
        headers=seller,
        json={"name": "Shop CN", "ship_from": {"line1": "1 Road", "city": "Shenzhen"}},
    )
    seller_id = applied.json()["id"]
    approved = client.post(
        f"/ops/sellers/{seller_id}",
        headers={**staff["catalog"], **HTML},
        data={"action": "approve", "reason": ""},
    )
    assert approved.status_code == 422  # a decision needs its reason: the list again
    assert f'id="reason-{seller_id}-error" role="alert">Give a reason.' in approved.text
    assert _count(container, audit_log) == 0
    approved = client.post(
        f"/ops/sellers/{seller_id}",
        headers={**staff["catalog"], **HTML},
        data={"action": "approve", "reason": "licence and address checked"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    fx = {"base": "USD", "quote": "EUR", "rate": "0.9", "reason": "ECB 2 Dec"}
    assert client.post("/api/v1/fx-rates", headers=staff["finance"], json=fx).status_code == 201
    moved = client.post(
        "/ops/clock",
        headers={**staff["admin"], **HTML},
        data={"amount": "2", "unit": "hours", "reason": "demo: let parcels move"},
        follow_redirects=False,
    )
    assert (moved.status_code, moved.headers["location"]) == (303, "/ops?notice=clock")
    listed = client.get("/api/v1/ops/audit", headers=staff["support"]).json()["items"]
    assert [(e["action"], e["subject_kind"], e["reason"]) for e in listed] == [
        ("seller.approve", "seller", "licence and address checked"),
        ("fx.add", "fx_quote", "ECB 2 Dec"),
        ("clock.advance", "clock", "demo: let parcels move"),
    ]
    assert listed[0]["detail"] == {"from": "pending", "to": "active"}
    assert listed[2]["detail"]["seconds"] == 7200

    page = client.get("/ops/audit", headers={**staff["support"], **HTML}).text
    rows = page.split('<tr id="audit-')[1:]
    assert [r.split('"')[0] for r in rows] == [str(e["id"]) for e in reversed(listed)]
    assert "Moved the demo clock" in rows[0]
    assert "demo: let parcels move" in rows[0]
    assert "<bdi>Ops</bdi>" in rows[0]  # who, by name
    assert "Approved a shop" in rows[2]
    assert "<bdi>Catalog</bdi>" in rows[2]

    def found(**query: str) -> list[str]:
        html = client.get("/ops/audit", params=query, headers={**staff["admin"], **HTML}).text
        return [r.split('"')[0] for r in html.split('<tr id="audit-')[1:]]

    ids = {e["action"]: str(e["id"]) for e in listed}
    assert found(action="fx.") == [ids["fx.add"]]
    assert found(text="LICENCE checked") == [ids["seller.approve"]]
    assert found(subject=seller_id) == [ids["seller.approve"]]
    assert found(since="2099-01-01") == []
    bad = client.get(
        "/ops/audit", params={"since": "31/12/2026"}, headers={**staff["admin"], **HTML}
    )
    assert bad.status_code == 422
    assert 'id="since-error">Enter a date such as 2027-01-31.' in bad.text
    assert 'value="31/12/2026"' in bad.text


def test_the_audit_log_pages_by_keyset_and_refuses_edits(
    client: TestClient, container: Container
) -> None:
    staff = _staff(container)
    for n in range(51):
        body = {"base": "USD", "quote": "EUR", "rate": f"0.{900 + n}", "reason": f"rate {n}"}
        assert (
            client.post("/api/v1/fx-rates", headers=staff["finance"], json=body).status_code == 201
        )
    first = client.get("/ops/audit", headers={**staff["admin"], **HTML}).text
    rows = first.split('<tr id="audit-')[1:]
    assert len(rows) == 50
    assert "rate 50<" in rows[0]
    assert "rate 1<" in rows[-1]
    assert 'id="audit-more"' in first
    link = first.split('href="/ops/audit?')[1].split('"')[0].replace("&amp;", "&")
    older = client.get(f"/ops/audit?{link}", headers={**staff["admin"], **HTML}).text
    (last,) = older.split('<tr id="audit-')[1:]
    assert "rate 0<" in last
    assert 'id="audit-more"' not in older
    with pytest.raises(DBAPIError), container.uow() as uow:
        uow.conn.execute(text("UPDATE audit_log SET reason = 'edited'"))
    with pytest.raises(DBAPIError), container.uow() as uow:
        uow.conn.execute(text("DELETE FROM audit_log"))
    assert _count(container, audit_log) == 51
