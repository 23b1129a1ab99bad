"""Small helpers for API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.sql import TableClause

from tradewind.bootstrap import Container

PASSWORD = "correct-horse-battery"


def register(
    client: TestClient,
    email: str,
    *,
    role: str = "buyer",
    country: str = "IL",
    currency: str | None = None,
) -> dict[str, str]:
    body: dict[str, Any] = {
        "email": email,
        "password": PASSWORD,
        "display_name": email[:20],
        "role": role,
        "country": country,
    }
    if currency:
        body["currency"] = currency
    response = client.post("/api/v1/accounts", json=body)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def count(container: Container, table: TableClause) -> int:
    with container.uow(read_only=True) as uow:
        return int(uow.conn.scalar(select(func.count()).select_from(table)) or 0)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body
