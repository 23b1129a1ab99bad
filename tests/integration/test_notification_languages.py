"""Parcel news in each reader's language: the Hebrew buyer and the Chinese seller of one
order read the same notification each in their own, on the page and through the API, with the
parcel number isolated from the sentence around it (decision 46)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.money_flow import advance, buy, pay, set_parcel_fate
from tests.support.web import HTML, web_login
from tradewind.bootstrap import Container
from tradewind.db.tables.notifications import notifications
from tradewind.kernel.clock import ManualClock
from tradewind.notifications import service


def _delivered(
    client: TestClient, container: Container, clock: ManualClock
) -> tuple[dict[str, str], dict[str, str], str]:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "shenzhen@example.test", "CN", currency="USD")
    # EMS plays the simulator's scripts as written (logistics.routes): delivered at 156 h.
    _, offer_id = list_product(client, shop, price_minor=5000, stock=5, services=("ems",))
    buyer = register(client, "noa@example.test", country="IL", currency="USD")
    for who, language in ((buyer, "he"), (shop.headers, "zh_CN")):
        changed = client.patch("/api/v1/me", headers=who, json={"locale": language})
        assert changed.status_code == 200, changed.text
    checkout = buy(client, buyer, offer_id)
    pay(client, container, clock, buyer, checkout["id"])
    order_id = checkout["orders"][0]["id"]
    sent = client.post(f"/api/v1/orders/{order_id}/ship", headers=shop.headers, json={})
    assert sent.status_code == 201, sent.text
    number = sent.json()["tracking_number"]
    set_parcel_fate(container, number, "happy_path")
    advance(client, container, clock, 162)  # the script delivers at 156 h
    return buyer, shop.headers, number


def test_parcel_news_reads_in_each_readers_language(
    client: TestClient, container: Container, clock: ManualClock
) -> None:
    buyer, seller, number = _delivered(client, container, clock)

    api_buyer = client.get("/api/v1/notifications", headers=buyer).json()
    api_seller = client.get("/api/v1/notifications", headers=seller).json()
    assert [(n["kind"], n["subject"]) for n in api_buyer] == [
        ("delivered", f"החבילה {number} נמסרה.")
    ]
    assert [(n["kind"], n["subject"]) for n in api_seller] == [
        ("delivered", f"包裹 {number} 已签收。")
    ]
    with container.uow(read_only=True) as uow:
        stored = uow.conn.execute(notifications.select()).mappings().all()
    # One English record per party, the message and its values kept for any reader.
    assert (
        sorted((r["subject"], r["message"], r["params"]["number"]) for r in stored)
        == [(f"Parcel {number} was delivered.", "Parcel %(number)s was delivered.", number)] * 2
    )

    web_login(client, "noa@example.test", PASSWORD)
    page = client.get("/account/notifications", headers=HTML)
    assert '<html lang="he" dir="rtl">' in page.text
    assert f"החבילה <bdi>{number}</bdi> נמסרה." in page.text
    assert "1 התראה שלא נקראה." in page.text
    assert "Parcel" not in page.text

    client.cookies.clear()
    web_login(client, "shenzhen@example.test", PASSWORD)
    page = client.get("/account/notifications", headers=HTML)
    assert '<html lang="zh-Hans" dir="ltr">' in page.text
    assert f"包裹 <bdi>{number}</bdi> 已签收。" in page.text
    assert re.search(r"\(中国标准时间\)|\(中国.*时间\)", page.text), "times in Asia/Shanghai, named"


def test_old_notifications_without_a_message_show_their_subject() -> None:
    assert service.text_of({"subject": "Parcel news", "message": None, "params": None}) == (
        "Parcel news"
    )
    # A translation that no longer fits its values falls back to the English subject.
    broken = {"subject": "Parcel X", "message": "Parcel %(number)s", "params": {"other": 1}}
    assert service.text_of(broken) == "Parcel X"
