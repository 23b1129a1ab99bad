"""People get HTML error pages; machines keep problem+json; each role lands on its console."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, assert_problem, register
from tests.support.web import HTML, web_login
from tradewind.bootstrap import Container
from tradewind.web.app import create_app


def test_an_unknown_page_is_an_html_404_and_an_unknown_api_path_stays_problem_json(
    client: TestClient,
) -> None:
    page = client.get("/no/such/page", headers={**HTML, "X-Request-ID": "req-404-page"})
    assert page.status_code == 404
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Page not found</h1>" in page.text
    assert "Error 404 (<bdi>not_found</bdi>)" in page.text
    assert "<code>req-404-page</code>" in page.text
    assert '<a href="/login">Log in</a>' in page.text  # nobody signed in: the normal header
    api = client.get("/api/v1/no-such-thing", headers=HTML)
    assert_problem(api, 404, "not_found")
    machine = client.get("/no/such/page")  # curl and clients send */*
    assert_problem(machine, 404, "not_found")


def test_a_bad_query_on_a_page_is_an_html_422(client: TestClient) -> None:
    page = client.get("/search?offset=-1", headers=HTML)
    assert page.status_code == 422
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "Please check what you entered" in page.text
    assert_problem(client.get("/search?offset=-1"), 422, "validation_failed")


def test_the_404_page_knows_who_is_signed_in(client: TestClient) -> None:
    register(client, "noa@example.com")
    web_login(client, "noa@example.com", PASSWORD)
    page = client.get("/nowhere", headers=HTML)
    assert page.status_code == 404
    assert '<a href="/orders">to your orders</a>' in page.text
    assert "<bdi>noa@example.com</bdi> (buyer)" in page.text


def test_a_server_error_on_a_page_is_an_html_500_with_the_request_id(
    container: Container,
) -> None:
    app: FastAPI = create_app(container, access_log=False)

    @app.get("/boom-page")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as http:
        page = http.get("/boom-page", headers={**HTML, "X-Request-ID": "req-500-page"})
        api = http.get("/boom-page", headers={"X-Request-ID": "req-500-api"})
    assert page.status_code == 500
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Something went wrong</h1>" in page.text
    assert "<code>req-500-page</code>" in page.text
    assert "kaboom" not in page.text
    assert_problem(api, 500, "internal_error")


def test_each_role_lands_on_its_own_console_after_login(client: TestClient) -> None:
    register(client, "shop@example.com", role="seller", country="CN")
    assert web_login(client, "shop@example.com", PASSWORD).headers["location"] == "/seller"
    client.cookies.clear()
    register(client, "buyer@example.com")
    assert web_login(client, "buyer@example.com", PASSWORD).headers["location"] == "/"
    client.cookies.clear()
    asked = web_login(client, "shop@example.com", PASSWORD, next_="/seller/orders")
    assert asked.headers["location"] == "/seller/orders"
