"""Replica reads (issue 20): routed reads, read-your-writes, fallback, and 503 without a database.

The "replica" here is the test database itself under a second URL (a real server, not in
recovery, so its lag is 0), or a port where nothing listens.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.market import list_product, open_shop, operator_headers
from tradewind.bootstrap import Container, build
from tradewind.kernel.clock import ManualClock
from tradewind.web.app import create_app
from tradewind.web.reads import WROTE_COOKIE

NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:9/postgres?connect_timeout=1"


def _client(container: Container, clock: ManualClock, **overrides: str) -> Iterator[TestClient]:
    settings = container.settings.model_copy(update=overrides)
    built = build(settings, clock=clock)
    try:
        with TestClient(create_app(built, access_log=False)) as test_client:
            yield test_client
    finally:
        built.engine.dispose()
        if built.reads.replica is not None:
            built.reads.replica.dispose()


@pytest.fixture
def replicated(container: Container, db_url: str, clock: ManualClock) -> Iterator[TestClient]:
    yield from _client(container, clock, replica_url=db_url)


def _reads(client: TestClient) -> tuple[int, int]:
    router = client.app.state.container.reads  # type: ignore[attr-defined]
    return router.replica_reads, router.primary_reads


def test_public_reads_use_the_replica_until_the_client_writes(
    replicated: TestClient, container: Container
) -> None:
    shop = open_shop(replicated, operator_headers(replicated, container), "s@x.test", "CN")
    product_id, _offer_id = list_product(replicated, shop, price_minor=500, stock=3)
    replicated.cookies.clear()  # a visitor who has not written
    before = _reads(replicated)
    assert replicated.get(f"/api/v1/products/{product_id}").status_code == 200
    assert replicated.get("/api/v1/search", params={"q": "cable"}).json()["total"] == 1
    assert _reads(replicated) == (before[0] + 2, before[1])
    written = replicated.put("/api/v1/cart/lines/nope", json={"quantity": 1})
    assert written.status_code == 401  # a refused write marks the client all the same
    assert WROTE_COOKIE in replicated.cookies
    assert replicated.get(f"/api/v1/products/{product_id}").status_code == 200
    assert _reads(replicated) == (before[0] + 2, before[1] + 1)


def test_without_a_replica_setting_every_read_is_the_primarys(
    client: TestClient, container: Container
) -> None:
    assert client.get("/api/v1/search", params={"q": "cable"}).status_code == 200
    assert client.put("/api/v1/cart/lines/nope", json={"quantity": 1}).status_code == 401
    assert WROTE_COOKIE not in client.cookies
    assert (container.reads.replica_reads, container.reads.primary_reads) == (0, 1)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_lost_replica_falls_back_to_the_primary_without_errors(
    container: Container, clock: ManualClock
) -> None:
    for client in _client(container, clock, replica_url=NOWHERE):
        for _ in range(3):
            answered = client.get("/api/v1/search", params={"q": "cable"})
            assert answered.status_code == 200, answered.text
        assert _reads(client) == (0, 3)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_node_without_its_database_answers_503_and_says_so(
    container: Container, clock: ManualClock
) -> None:
    for client in _client(container, clock, database_url=NOWHERE):
        for path in ("/readyz", "/api/v1/search?q=cable"):
            answered = client.get(path)
            assert answered.status_code == 503, answered.text
            assert answered.json()["code"] == "database_unavailable"
            assert answered.headers["retry-after"] == "1"
        page = client.get("/search", params={"q": "cable"}, headers={"Accept": "text/html"})
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "Temporarily unavailable" in page.text
        assert "database_unavailable" in page.text
        assert client.get("/healthz").status_code == 200
