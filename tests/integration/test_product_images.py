"""Sellers upload product pictures (API and listing form); pages show the stored sizes."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from PIL import Image

from tests.support.api import PASSWORD, assert_problem, register
from tests.support.market import list_product, open_shop, operator_headers
from tests.support.web import HTML, session_csrf, web_login
from tradewind.bootstrap import Container
from tradewind.catalog import service as catalog


def _png(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _image_url(container: Container, product_id: str) -> str | None:
    with container.uow(read_only=True) as uow:
        url: str | None = catalog.get_product(uow, product_id)["image_url"]
    return url


def test_a_seller_uploads_a_picture_and_every_page_shows_it(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "pics@example.com", "CN", "USD")
    product_id, _ = list_product(client, shop, price_minor=1500, stock=4, title="Kettle")
    answer = client.post(
        f"/api/v1/products/{product_id}/image",
        headers=shop.headers,
        files={"image": ("kettle.png", _png(), "image/png")},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["width"], body["height"]) == (500, 375)
    assert re.fullmatch(
        rf"/media/products/{product_id.lower()}/[0-9a-f]{{32}}-large\.webp", body["image_url"]
    )
    assert body["thumbnail_url"] == body["image_url"].replace("-large.webp", "-thumb.webp")
    assert _image_url(container, product_id) == body["image_url"]

    large = client.get(body["image_url"])
    assert large.status_code == 200
    assert large.headers["content-type"] == "image/webp"
    assert "immutable" in large.headers["cache-control"]
    with Image.open(io.BytesIO(large.content)) as shown:
        assert shown.size == (500, 375)
    page = client.get(f"/products/{product_id}", headers=HTML)
    assert f'id="product-image" src="{body["image_url"]}"' in page.text
    assert 'loading="lazy"' in page.text
    assert f'<meta property="og:image" content="http://testserver{body["image_url"]}">' in (
        page.text
    )
    shop_page = client.get(f"/shops/{shop.seller_id}", headers=HTML)
    assert f'src="{body["thumbnail_url"]}"' in shop_page.text


def test_uploads_are_refused_clearly_and_change_nothing(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "owner@example.com", "CN", "USD")
    other = open_shop(client, ops, "other@example.com", "CN", "USD")
    product_id, _ = list_product(client, shop, price_minor=1500, stock=4, title="Kettle")
    buyer = register(client, "buyer@example.com")

    def send(headers: dict[str, str], data: bytes, name: str = "x.png") -> object:
        return client.post(
            f"/api/v1/products/{product_id}/image",
            headers=headers,
            files={"image": (name, data, "image/png")},
        )

    not_image = assert_problem(send(shop.headers, b"GIF89a? no: just text"), 422, "not_an_image")
    assert not_image["errors"] == [
        {
            "field": "image",
            "message": "this file is not a picture (JPEG, PNG or WebP)",
            "code": "not_an_image",
        }
    ]
    assert_problem(send(other.headers, _png()), 403, "not_your_product")
    assert_problem(send(buyer, _png()), 403, "role_required")
    assert_problem(send({}, _png()), 401, "unauthenticated")
    too_big = b"\x89PNG" + b"0" * container.settings.media_max_bytes
    assert_problem(send(shop.headers, too_big), 422, "image_too_large")
    assert _image_url(container, product_id) is None
    assert client.get("/media/products/../../etc/passwd").status_code == 404
    assert client.get("/media/products/nothing-here.webp").status_code == 404


def test_the_listing_form_uploads_and_ties_errors_to_the_row(
    client: TestClient, container: Container
) -> None:
    ops = operator_headers(client, container)
    shop = open_shop(client, ops, "form@example.com", "CN", "USD")
    product_id, _ = list_product(client, shop, price_minor=1500, stock=4, title="Kettle")
    web_login(client, "form@example.com", PASSWORD)
    csrf = session_csrf(client, "/seller/listings")
    refused = client.post(
        f"/seller/products/{product_id}/image",
        data={"csrf_token": csrf},
        files={"image": ("notes.txt", b"hello", "text/plain")},
        headers=HTML,
    )
    assert refused.status_code == 422
    field = f"image-{product_id}"
    assert f'aria-describedby="{field}-error" aria-invalid="true"' in refused.text
    assert "this file is not a picture (JPEG, PNG or WebP)" in refused.text
    done = client.post(
        f"/seller/products/{product_id}/image",
        data={"csrf_token": csrf},
        files={"image": ("kettle.png", _png(), "image/png")},
        headers=HTML,
    )
    assert done.status_code == 200
    assert "The picture was added." in done.text
    url = _image_url(container, product_id)
    assert url is not None
    assert f'src="{url.replace("-large.webp", "-thumb.webp")}"' in done.text
