"""Accounts, tokens, access control and bad input over the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, assert_problem, count, register
from tradewind.bootstrap import Container
from tradewind.db.tables.identity import accounts, addresses, login_throttles
from tradewind.kernel.clock import ManualClock

ADDRESS = {
    "full_name": "Noa Levi",
    "line1": "1 Herzl St",
    "city": "Tel Aviv",
    "postal_code": "6100000",
    "country": "IL",
}


def test_register_then_me(client: TestClient) -> None:
    headers = register(client, "noa@example.com")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == "noa@example.com"
    assert body["role"] == "buyer"
    assert body["currency"] == "ILS"
    assert body["id"].startswith("acct_")


def test_token_login_and_wrong_password(client: TestClient, container: Container) -> None:
    register(client, "noa@example.com")
    good = client.post("/api/v1/tokens", json={"email": "NOA@example.com", "password": PASSWORD})
    assert good.status_code == 201
    assert good.json()["account"]["email"] == "noa@example.com"
    bad = client.post("/api/v1/tokens", json={"email": "noa@example.com", "password": "wrong!!!!!"})
    assert_problem(bad, 401, "bad_credentials")
    # the good login forgave its own charge; the bad one left one row per throttle key
    assert count(container, login_throttles) == 2


def test_login_backs_off_after_repeated_failures_then_lets_the_owner_in(
    client: TestClient, clock: ManualClock
) -> None:
    register(client, "noa@example.com")
    for _ in range(3):  # the test container allows 3 consecutive failures before waiting
        response = client.post(
            "/api/v1/tokens", json={"email": "noa@example.com", "password": "wrong-wrong"}
        )
        assert_problem(response, 401, "bad_credentials")
    blocked = client.post("/api/v1/tokens", json={"email": "noa@example.com", "password": PASSWORD})
    assert_problem(blocked, 429, "login_throttled")
    assert blocked.headers["retry-after"] == "1"  # 1 s, doubling per failure, capped at 30 s
    clock.advance(timedelta(seconds=1))
    good = client.post("/api/v1/tokens", json={"email": "noa@example.com", "password": PASSWORD})
    assert good.status_code == 201, good.text


def test_duplicate_email_is_a_conflict_and_changes_nothing(
    client: TestClient, container: Container
) -> None:
    register(client, "noa@example.com")
    again = client.post(
        "/api/v1/accounts",
        json={
            "email": "noa@example.com",
            "password": PASSWORD,
            "display_name": "x",
            "country": "IL",
        },
    )
    assert_problem(again, 409, "email_taken")
    assert count(container, accounts) == 1


def test_operator_role_cannot_be_self_assigned(client: TestClient, container: Container) -> None:
    response = client.post(
        "/api/v1/accounts",
        json={
            "email": "evil@example.com",
            "password": PASSWORD,
            "display_name": "x",
            "country": "IL",
            "role": "operator",
        },
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "role"
    assert count(container, accounts) == 0


def test_buyer_gets_404_on_another_buyers_address(client: TestClient) -> None:
    noa = register(client, "noa@example.com")
    dan = register(client, "dan@example.com")
    created = client.post("/api/v1/addresses", json=ADDRESS, headers=noa)
    assert created.status_code == 201
    address_id = created.json()["id"]

    assert client.get(f"/api/v1/addresses/{address_id}", headers=noa).json()["city"] == "Tel Aviv"
    assert_problem(client.get(f"/api/v1/addresses/{address_id}", headers=dan), 404, "not_found")
    assert_problem(client.get("/api/v1/addresses/addr_missing", headers=dan), 404, "not_found")
    assert client.get("/api/v1/addresses", headers=dan).json() == {"items": []}
    assert [a["id"] for a in client.get("/api/v1/addresses", headers=noa).json()["items"]] == [
        address_id
    ]


def test_bad_input_gets_problem_json_and_changes_nothing(
    client: TestClient, container: Container
) -> None:
    headers = register(client, "noa@example.com")
    json_headers = {**headers, "content-type": "application/json"}
    malformed = client.post("/api/v1/addresses", content=b'{"full_name": ', headers=json_headers)
    assert_problem(malformed, 400, "malformed_json")
    wrong_type = client.post("/api/v1/addresses", json={**ADDRESS, "city": 7}, headers=headers)
    assert assert_problem(wrong_type, 422, "validation_failed")["errors"][0]["field"] == "city"
    unknown = client.post("/api/v1/addresses", json={**ADDRESS, "floor": "3"}, headers=headers)
    assert assert_problem(unknown, 422, "validation_failed")["errors"][0] == {
        "field": "floor",
        "message": "Extra inputs are not permitted",
        "code": "extra_forbidden",
    }
    bad_country = client.post(
        "/api/v1/addresses", json={**ADDRESS, "country": "XX"}, headers=headers
    )
    assert assert_problem(bad_country, 422, "invalid_address")["errors"] == [
        {"field": "country", "message": "choose a country", "code": "invalid_country"}
    ]
    oversized = client.post(
        "/api/v1/addresses", content=b"x" * (1_048_576 + 1), headers=json_headers
    )
    assert_problem(oversized, 413, "body_too_large")
    assert count(container, addresses) == 0


def test_missing_and_bad_tokens(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/me"), 401, "unauthenticated")
    assert_problem(
        client.get("/api/v1/me", headers={"Authorization": "Bearer tw_nope"}), 401, "bad_token"
    )
    assert_problem(
        client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "bad_token"
    )


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(client.delete("/healthz"), 405, "method_not_allowed")


def test_request_id_is_echoed_when_sane(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123-def"})
    assert response.headers["x-request-id"] == "abc-123-def"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert replaced.headers["x-request-id"] != "bad id with spaces"
    assert len(replaced.headers["x-request-id"]) == 16
