"""/account/addresses: list, add (checked per country, the form kept with each error under its
field), edit, delete and the default, which the checkout offers first. Another buyer's address
is a 404 and stays as it was. Both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.web import HTML, session_csrf, web_login
from tradewind.bootstrap import Container

TEL_AVIV = {
    "full_name": "Noa Levi",
    "line1": "Rothschild Blvd 22",
    "city": "Tel Aviv",
    "postal_code": "6688218",
    "country": "IL",
    "phone": "03-555-1234",
}
HAIFA = {**TEL_AVIV, "line1": "HaNamal St 5", "city": "Haifa", "postal_code": "3303102"}


def _saved(client: TestClient, api: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/addresses", headers=api)
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _post(client: TestClient, path: str, csrf: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf}, headers=HTML)


def test_add_with_errors_kept_then_edit_default_and_delete(
    client: TestClient, container: Container
) -> None:
    shop = open_shop(client, operator_headers(client, container), "shop@example.com", "IL")
    _, offer_id = list_product(client, shop, price_minor=2500, stock=3)
    api = register(client, "noa@example.com", country="IL")
    carted = client.put(f"/api/v1/cart/lines/{offer_id}", json={"quantity": 1}, headers=api)
    assert carted.status_code == 200, carted.text
    web_login(client, "noa@example.com", PASSWORD)
    csrf = session_csrf(client, "/account/addresses")
    assert "You have no saved address yet." in client.get("/account/addresses", headers=HTML).text

    bad = _post(
        client,
        "/account/addresses",
        csrf,
        {**TEL_AVIV, "line1": "", "postal_code": "not a postcode!!", "phone": "abc"},
    )
    assert bad.status_code == 422
    for name in ("line1", "postal_code", "phone"):
        assert f'aria-describedby="{name}-error" aria-invalid="true"' in bad.text or (
            f'aria-describedby="{name}-hint {name}-error" aria-invalid="true"' in bad.text
        ), name
    assert 'value="not a postcode!!"' in bad.text
    assert 'value="Tel Aviv"' in bad.text
    assert _saved(client, api) == []  # nothing saved

    added = _post(client, "/account/addresses", csrf, TEL_AVIV)
    assert added.status_code == 200
    assert "The address was added." in added.text
    _post(client, "/account/addresses", csrf, HAIFA)
    first, second = _saved(client, api)
    assert (first["is_default"], second["is_default"]) == (True, False)
    assert first["phone"] == "+97235551234"  # E.164

    made = client.post(
        f"/account/addresses/{second['id']}/default", data={"csrf_token": csrf}, headers=HTML
    )
    assert "This is now your default address." in made.text
    assert [a["is_default"] for a in _saved(client, api)] == [False, True]
    checkout = client.get("/checkout", headers=HTML).text
    assert f'<option value="{second["id"]}" selected>' in checkout

    wrong = _post(
        client, f"/account/addresses/{first['id']}", csrf, {**TEL_AVIV, "postal_code": "12"}
    )
    assert wrong.status_code == 422
    assert 'value="12"' in wrong.text
    assert _saved(client, api)[0]["postal_code"] == "6688218"  # unchanged
    edited = _post(
        client, f"/account/addresses/{first['id']}", csrf, {**TEL_AVIV, "line2": "Apt 4"}
    )
    assert "The address was updated." in edited.text
    assert _saved(client, api)[0]["line2"] == "Apt 4"

    client.cookies.clear()
    register(client, "eve@example.com", country="IL")
    web_login(client, "eve@example.com", PASSWORD)
    eve_csrf = session_csrf(client, "/account/addresses")
    stolen = client.post(
        f"/account/addresses/{first['id']}/delete", data={"csrf_token": eve_csrf}, headers=HTML
    )
    assert stolen.status_code == 404
    assert len(_saved(client, api)) == 2  # still both

    client.cookies.clear()
    web_login(client, "noa@example.com", PASSWORD)
    csrf = session_csrf(client, "/account/addresses")
    gone = client.post(
        f"/account/addresses/{second['id']}/delete", data={"csrf_token": csrf}, headers=HTML
    )
    assert "The address was deleted." in gone.text
    (left,) = _saved(client, api)
    assert (left["id"], left["is_default"]) == (first["id"], True)  # the default passed on
