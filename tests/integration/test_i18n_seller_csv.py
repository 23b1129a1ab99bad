"""A Chinese or Hebrew seller's CSV upload report reads in their language, down to which
column of which row was refused; nothing of a refused row is written."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.api import PASSWORD
from tests.support.market import next_gtin, open_shop, operator_headers
from tests.support.web import HTML, csrf_in, web_login
from tradewind.bootstrap import Container


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("locale", "applied", "reason"),
    [
        ("zh_CN", "1 行已导入", "stock 列：请输入整数（数字 0-9）。"),
        ("he_IL", "שורה אחת נקלטה", "עמודה stock: הזינו מספר שלם בספרות 0-9."),
        ("en_US", "1 row applied, 1 rejected", "stock must be a whole number, not &#39;x&#39;"),
    ],
)
def test_csv_report_speaks_the_sellers_language(
    client: TestClient, container: Container, db_url: str, locale: str, applied: str, reason: str
) -> None:
    shop = open_shop(client, operator_headers(client, container), "csv.zh@example.test", "CN")
    changed = client.patch("/api/v1/me", headers=shop.headers, json={"locale": locale})
    assert changed.status_code == 200, changed.text
    web_login(client, "csv.zh@example.test", PASSWORD)
    good, bad = next_gtin(), next_gtin()
    body = (
        "gtin,title,brand,price,stock,weight_g,origin_country\n"
        f"{good},USB-C 数据线,Acme,19.90,5,120,CN\n"
        f"{bad},USB-C 充电器,Acme,29.90,x,120,CN\n"
    )
    page = client.get("/seller/listings", headers=HTML).text
    uploaded = client.post(
        "/seller/listings/upload",
        data={"csrf_token": csrf_in(page)},
        files={"file": ("listings.csv", body.encode(), "text/csv")},
        headers=HTML,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert applied in uploaded.text
    assert f'<tr><th scope="row">3</th><td>{reason}</td></tr>' in uploaded.text
    listings = client.get("/seller/listings", headers=HTML).text
    assert "USB-C 数据线" in listings
    assert "USB-C 充电器" not in listings  # the refused row wrote nothing
