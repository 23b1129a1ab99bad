"""The seller center's listings at scale: search, filters, keyset pages, bulk edit, CSV."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.web import HTML, csrf_in, web_login
from tradewind.bench.fixtures import bench_shop, bulk_offers
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers, products
from tradewind.web.pages import seller_csv

PASSWORD = "bench-seller-password"


def _shop(container: Container, email: str, count: int, prefix: str = "Widget") -> list[str]:
    with container.uow() as uow:
        seller = bench_shop(uow, f"Shop {prefix}", email)
        ids = bulk_offers(uow, seller, count, prefix=prefix)
        uow.commit()
    return ids


def _signed_in_beside_a_rival(
    client: TestClient, container: Container, email: str, count: int
) -> tuple[list[str], list[str]]:
    """This seller's ``count`` offers and a rival shop's two, signed in as this seller."""
    ids = _shop(container, email, count)
    rival = _shop(container, f"rival.{email}", 2, prefix="Gadget")
    web_login(client, email, PASSWORD)
    return ids, rival


def _offer_state(container: Container) -> dict[str, tuple[int, int, str, int]]:
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(
                offers.c.id, offers.c.price_minor, offers.c.stock, offers.c.status, offers.c.version
            )
        )
        return {r.id: (r.price_minor, r.stock, r.status, r.version) for r in rows}


def _ids_on(html: str) -> list[str]:
    return re.findall(r'name="offer_ids" value="([^"]+)"', html)


def _bulk_form(html: str) -> dict[str, str]:
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key is not None
    return {"csrf_token": csrf_in(html), "key": key.group(1)}


def test_search_filters_and_keyset_pages_over_120_listings(
    client: TestClient, container: Container
) -> None:
    ids, _rival = _signed_in_beside_a_rival(client, container, "many@example.com", 120)

    first = client.get("/seller/listings", headers=HTML)
    assert first.status_code == 200
    # counts over the whole shop: 120; sold out = multiples of 7 (17); paused = of 10 (12)
    counts = dict(re.findall(r'data-count="([a-z_]+)">([0-9,]+)<', first.text))
    assert counts == {
        "all": "120",
        "in_stock": "103",
        "out_of_stock": "17",
        "flash": "0",
        "inactive": "12",
    }
    shown = _ids_on(first.text)
    assert shown == list(reversed(ids))[:50]  # newest first
    assert "Gadget" not in first.text  # another shop's listings never show
    after = re.search(r'id="next-page" href="([^"]+)"', first.text)
    assert after is not None
    second = client.get(after.group(1).replace("&amp;", "&"), headers=HTML)
    assert _ids_on(second.text) == list(reversed(ids))[50:100]
    nxt = re.search(r'id="next-page" href="([^"]+)"', second.text)
    assert nxt is not None
    third = client.get(nxt.group(1).replace("&amp;", "&"), headers=HTML)
    assert _ids_on(third.text) == list(reversed(ids))[100:]
    assert 'id="next-page"' not in third.text

    sold_out = client.get("/seller/listings?filter=out_of_stock", headers=HTML)
    assert _ids_on(sold_out.text) == [ids[i - 1] for i in range(119, 0, -1) if i % 7 == 0]
    paused = client.get("/seller/listings?filter=inactive", headers=HTML)
    assert _ids_on(paused.text) == [ids[i - 1] for i in range(120, 0, -1) if i % 10 == 0]
    found = client.get("/seller/listings?q=widget+00042", headers=HTML)
    assert _ids_on(found.text) == [ids[41]]
    none = client.get("/seller/listings?q=Gadget", headers=HTML)
    assert _ids_on(none.text) == []
    assert "No listings match." in none.text
    odd = client.get("/seller/listings?q=100%25_x&filter=nonsense", headers=HTML)
    assert odd.status_code == 200
    assert _ids_on(odd.text) == []


def test_bulk_edit_is_idempotent_validated_and_scoped_to_the_shop(
    client: TestClient, container: Container
) -> None:
    ids, foreign = _signed_in_beside_a_rival(client, container, "bulk@example.com", 30)
    page = client.get("/seller/listings", headers=HTML).text
    form = _bulk_form(page)

    chosen = ids[:3]
    done = client.post(
        "/seller/listings/bulk",
        data={
            **form,
            "action": "price",
            "value": "19.99",
            "scope": "selected",
            "offer_ids": chosen,
        },
        headers=HTML,
    )
    assert done.status_code == 200, done.text
    assert "3 listings were updated." in done.text
    state = _offer_state(container)
    assert [state[i][0] for i in chosen] == [1999, 1999, 1999]
    assert [state[i][3] for i in chosen] == [2, 2, 2]
    assert state[ids[3]] == (400, 4, "active", 1)

    # The same form sent twice (a double click, a reload) changes nothing more.
    again = client.post(
        "/seller/listings/bulk",
        data={
            **form,
            "action": "price",
            "value": "19.99",
            "scope": "selected",
            "offer_ids": chosen,
        },
        headers=HTML,
    )
    assert "This change was already applied: 3 listings were updated then." in again.text
    assert _offer_state(container) == state

    # Every paused listing (the 10th, 20th and 30th) gets its price cut by 10 %, half up.
    paused = client.get("/seller/listings?filter=inactive", headers=HTML).text
    cut = client.post(
        "/seller/listings/bulk",
        data={
            **_bulk_form(paused),
            "action": "percent",
            "value": "-10",
            "scope": "matching",
            "filter": "inactive",
        },
        headers=HTML,
    )
    assert "3 listings were updated." in cut.text
    after_cut = _offer_state(container)
    assert [after_cut[ids[i - 1]][0] for i in (10, 20, 30)] == [900, 1800, 2700]
    assert after_cut[ids[8]] == state[ids[8]]

    before = _offer_state(container)

    def fresh() -> dict[str, str]:
        return _bulk_form(client.get("/seller/listings", headers=HTML).text)

    # Another shop's offer in the form: 404 in words, and not one listing changed.
    stolen = client.post(
        "/seller/listings/bulk",
        data={
            **fresh(),
            "action": "stock",
            "value": "0",
            "offer_ids": [ids[5], foreign[0]],
        },
        headers=HTML,
    )
    assert stolen.status_code == 422
    assert 'aria-describedby="offer_ids-error"' in stolen.text
    assert _offer_state(container) == before
    # A value that is not a number: the form again, input kept, the error on the field.
    bad = client.post(
        "/seller/listings/bulk",
        data={**fresh(), "action": "stock", "value": "lots", "offer_ids": [ids[5]]},
        headers=HTML,
    )
    assert bad.status_code == 422
    assert re.search(r'id="bulk-value" name="value" type="text" value="lots"', bad.text)
    assert 'aria-describedby="bulk-value-hint bulk-value-error" aria-invalid="true"' in bad.text
    assert "enter a whole number, such as 25" in bad.text
    negative = client.post(
        "/seller/listings/bulk",
        data={**fresh(), "action": "percent", "value": "-95", "offer_ids": [ids[5]]},
        headers=HTML,
    )
    assert "the percentage must be between -90 and 500" in negative.text
    nothing = client.post(
        "/seller/listings/bulk",
        data={**fresh(), "action": "activate", "scope": "selected"},
        headers=HTML,
    )
    assert "choose at least one listing" in nothing.text
    assert _offer_state(container) == before


def test_csv_export_round_trips_and_the_template_uploads(
    client: TestClient, container: Container
) -> None:
    ids, _rival = _signed_in_beside_a_rival(client, container, "csv@example.com", 12)
    exported = client.get("/seller/listings.csv", headers=HTML)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="listings-' in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert list(rows[0]) == [*seller_csv.COLUMNS, *seller_csv.OPTIONAL_COLUMNS]
    assert [r["title"] for r in rows] == [f"Widget {i:05d}" for i in range(1, 13)]
    assert rows[9]["price"] == "10.00"
    assert rows[9]["status"] == "paused"
    assert rows[6]["stock"] == "0"
    assert rows[0]["hs_code"] == "854442"
    assert rows[0]["shipping_services"] == "registered_small_packet"
    assert rows[0]["free_shipping"] == "no"

    before = _offer_state(container)
    page = client.get("/seller/listings", headers=HTML).text
    uploaded = client.post(
        "/seller/listings/upload",
        data={"csrf_token": csrf_in(page)},
        files={"file": ("listings.csv", exported.content, "text/csv")},
        headers=HTML,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert "12 rows applied" in uploaded.text
    assert "0 rejected" in uploaded.text
    after = _offer_state(container)
    assert {i: after[i][:3] for i in ids} == {i: before[i][:3] for i in ids}  # same values

    template = client.get("/seller/listings/template.csv", headers=HTML)
    assert template.status_code == 200
    new = client.post(
        "/seller/listings/upload",
        data={"csrf_token": csrf_in(page)},
        files={"file": ("t.csv", template.content, "text/csv")},
        headers=HTML,
    )
    assert "1 new product" in new.text
    assert "1 new offer" in new.text
    listed = client.get("/seller/listings?q=4006381333931", headers=HTML).text
    assert "USB-C charging cable, 1 m" in listed
    assert "12.50" in listed


def _add(client: TestClient, **fields: str) -> str:
    page = client.get("/seller/listings", headers=HTML).text
    base = {"csrf_token": csrf_in(page), "title": "", "brand": "Acme", "stock": "3"}
    answer = client.post(
        "/seller/listings",
        data={**base, "weight_g": "250", "origin_country": "CN", **fields},
        headers=HTML,
    )
    return f"{answer.status_code}\n{answer.text}"


def test_the_listing_form_keeps_the_input_and_points_at_the_field(
    client: TestClient, container: Container
) -> None:
    _signed_in_beside_a_rival(client, container, "form@example.com", 1)
    gtin = "4006381333986"
    bad = _add(client, gtin=gtin, title="Desk lamp", price="12.345", hs_code="12ab")
    assert bad.startswith("422\n")
    assert 'id="price" name="price" type="text" value="12.345"' in bad
    assert 'aria-describedby="price-error" aria-invalid="true"' in bad
    assert 'id="title" name="title" type="text" value="Desk lamp"' in bad
    with container.uow(read_only=True) as uow:  # nothing half-written: no product, no offer
        assert uow.conn.scalar(select(products.c.id).where(products.c.gtin == "0" + gtin)) is None
    hs_bad = _add(client, gtin=gtin, title="Desk lamp", price="12.34", hs_code="12ab")
    assert hs_bad.startswith("422\n")
    assert 'id="hs_code" name="hs_code" type="text" value="12ab"' in hs_bad
    assert 'aria-describedby="hs_code-hint hs_code-error" aria-invalid="true"' in hs_bad
    assert "HS code must be 6 digits" in hs_bad
    stock_bad = _add(client, gtin=gtin, title="Desk lamp", price="12.34", stock="many")
    assert 'aria-describedby="stock-error" aria-invalid="true"' in stock_bad

    done = _add(
        client,
        gtin=gtin,
        title="Desk lamp",
        price="12.34",
        description="A lamp with a 40 cm arm.",
        category="Laptops",
    )
    assert done.startswith("200\n")
    assert "1 row applied" in done
    explicit = _add(client, gtin="4006381333993", title="Desk fan", price="20", hs_code="841451")
    assert explicit.startswith("200\n")
    with container.uow(read_only=True) as uow:
        rows = dict(
            uow.conn.execute(
                select(products.c.gtin, products.c.hs_code).where(
                    products.c.gtin.in_(["04006381333986", "04006381333993"])
                )
            ).all()
        )
        described = uow.conn.scalar(
            select(products.c.description).where(products.c.gtin == "04006381333986")
        )
    assert rows == {"04006381333986": "847130", "04006381333993": "841451"}
    assert described == "A lamp with a 40 cm arm."
