"""A client generated from /openapi.json by openapi-python-client drives a whole purchase.

The generator runs offline on a local copy of the document (scripts/test installs it into
.cache/openapi-python-client, pinned in pyproject's ``[dependency-groups]``). If it refuses part
of the document, the fix belongs in the document (src/tradewind/web/openapi.py), not here.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.support.market import SHIP_TO, add_fx, next_gtin, operator_token
from tests.support.server import ServerProcess
from tradewind.bootstrap import Container
from tradewind.web.openapi import tag_slug

ROOT = Path(__file__).resolve().parents[2]
GENERATOR_ENV = "TRADEWIND_OPENAPI_PYTHON_CLIENT"
GENERATOR = ROOT / ".cache" / "openapi-python-client" / "bin" / "openapi-python-client"
PACKAGE = "tradewind_client"


def _generator() -> Path:
    path = Path(os.environ.get(GENERATOR_ENV, GENERATOR))
    if not path.is_file():
        pytest.fail(
            f"openapi-python-client not found at {path}: ./scripts/test installs it "
            f"(or point {GENERATOR_ENV} at one)"
        )
    return path


def _generate(spec: dict[str, Any], folder: Path) -> str:
    """Generates the client package into ``folder``; returns the generator's report."""
    spec_path = folder / "openapi.json"
    spec_path.write_text(json.dumps(spec))
    generator = _generator()
    done = subprocess.run(
        [str(generator), "generate", "--path", str(spec_path), "--meta", "none"],
        cwd=folder,
        # Its post-generation hooks run ruff, found beside the generator.
        env={**os.environ, "PATH": f"{generator.parent}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    return report


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[Path]:
    """The generated package, importable for this test only."""
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _operation(tag: str, operation_id: str) -> ModuleType:
    """A generated operation module: ``api/<tag>/<operation id>.py``."""
    return importlib.import_module(f"{PACKAGE}.api.{tag_slug(tag)}.{operation_id}")


# SQLite only: this test is about the document and the generated code, which are the same on
# either database; every call is already covered on PostgreSQL by test_marketplace_api.py.
@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_generated_client_drives_a_purchase(
    container: Container, db_url: str, generated: Path, tmp_path: Path
) -> None:
    server = ServerProcess(db_url, command="serve", log_path=tmp_path / "server.log")
    server.start()
    try:
        spec = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()
        report = _generate(spec, generated)
        # The generator prints what it had to leave out (a dropped response, a duplicate model).
        assert "Warning" not in report, report
        assert "Unable to parse" not in report, report
        with contextlib.ExitStack() as clients:  # each holds an httpx connection pool
            _purchase(server.base_url, container, clients)
    finally:
        server.stop()


def _purchase(base_url: str, container: Container, clients: contextlib.ExitStack) -> None:
    client_mod = importlib.import_module(PACKAGE)
    m = importlib.import_module(f"{PACKAGE}.models")
    register = _operation("identity", "identity_register")
    apply_as_seller = _operation("catalog", "catalog_apply_as_seller")
    change_seller_status = _operation("catalog", "catalog_change_seller_status")
    create_product = _operation("catalog", "catalog_create_product")
    create_offer = _operation("catalog", "catalog_create_offer")
    set_cart_line = _operation("ordering", "ordering_set_cart_line")
    place_checkout = _operation("ordering", "ordering_place_checkout")
    get_order = _operation("ordering", "ordering_get_order")
    me = _operation("identity", "identity_me")

    def authenticated(token: str) -> Any:
        return clients.enter_context(
            client_mod.AuthenticatedClient(
                base_url=base_url, token=token, raise_on_unexpected_status=True
            )
        )

    anonymous = clients.enter_context(
        client_mod.Client(base_url=base_url, raise_on_unexpected_status=True)
    )

    def sign_up(email: str, role: Any, country: str) -> Any:
        body = m.RegisterIn(
            email=email,
            password="correct-horse-battery",
            display_name=email[:20],
            country=country,
            role=role,
        )
        answer = register.sync_detailed(client=anonymous, body=body)
        assert answer.status_code == 201, answer.content
        return authenticated(answer.parsed.token)

    operator = authenticated(operator_token(container))
    add_fx(container, "CNY", "ILS", "0.5")
    add_fx(container, "USD", "ILS", "3.7")  # postage is priced in USD

    seller = sign_up("shop@example.com", m.RegisterInRole.SELLER, "CN")
    shop = apply_as_seller.sync(
        client=seller,
        body=m.SellerIn(
            name="Shenzhen Parts", ship_from=m.ShipFrom(line1="1 Export Rd", city="SZ")
        ),
    )
    assert isinstance(shop, m.SellerOut), shop
    assert shop.status == "pending"
    approved = change_seller_status.sync(
        client=operator,
        seller_id=shop.id,
        body=m.SellerAction(action=m.SellerActionAction.APPROVE),
    )
    assert isinstance(approved, m.SellerOut), approved
    assert approved.status == "active"

    product = create_product.sync(
        client=seller,
        body=m.ProductIn(
            title="USB-C cable 1 m",
            brand="Acme",
            origin_country="CN",
            weight_g=120,
            gtin=next_gtin(),
            hs_code="854442",
        ),
    )
    assert isinstance(product, m.ProductOut), product
    offer = create_offer.sync(
        client=seller,
        body=m.OfferIn(
            product_id=product.id,
            price_minor=6900,
            stock=5,
            free_shipping=True,
            shipping_services=["registered_small_packet"],
        ),
    )
    assert isinstance(offer, m.OfferOut), offer

    buyer = sign_up("noa@example.com", m.RegisterInRole.BUYER, "IL")
    profile = me.sync(client=buyer)
    assert isinstance(profile, m.AccountOut), profile
    cart = set_cart_line.sync(client=buyer, offer_id=offer.id, body=m.CartLineIn(quantity=2))
    assert isinstance(cart, m.CartOut), cart
    assert (cart.currency, cart.total_minor) == ("ILS", 6900)  # 2 x CNY 69.00 x 0.5

    ship_to = m.ShipTo.from_dict(SHIP_TO)
    checkout = m.CheckoutIn(ship_to=ship_to)
    placed = place_checkout.sync_detailed(client=buyer, body=checkout, idempotency_key="buy-1")
    assert placed.status_code == 201, placed.content
    assert isinstance(placed.parsed, m.CheckoutOut)
    again = place_checkout.sync_detailed(client=buyer, body=checkout, idempotency_key="buy-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.parsed.id == placed.parsed.id
    # A refusal arrives typed: the generated code parses problem+json into Problem.
    refused = place_checkout.sync_detailed(client=buyer, body=checkout, idempotency_key="k" * 256)
    assert refused.status_code == 422
    assert isinstance(refused.parsed, m.Problem), refused.content
    assert refused.parsed.errors[0]["code"] == "invalid_idempotency_key"

    (summary,) = placed.parsed.orders
    order = get_order.sync(client=buyer, order_id=summary.id)
    assert isinstance(order, m.OrderDetail), order
    assert order.id == summary.id
    assert order.seller_id == shop.id
    assert order.status == "AWAITING_PAYMENT"
    assert [(line.quantity, line.unit_price_minor) for line in order.lines] == [(2, 3450)]
