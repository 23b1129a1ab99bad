"""Names a client generator turns into a client's API: operation ids and schema names.

A generated client's functions are named after operation ids and its classes after schema
names, so both are part of the public API: short, unique, and stable.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from tradewind.bootstrap import build
from tradewind.config import Settings
from tradewind.web.app import create_app
from tradewind.web.openapi import tag_slug

OPERATION_ID = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")

# A client's function names are its API: these must not change by accident (renaming an
# endpoint function renames its operation). Add to the list, don't edit it.
STABLE_OPERATION_IDS = {
    ("POST", "/api/v1/accounts"): "identity_register",
    ("POST", "/api/v1/tokens"): "identity_create_token",
    ("GET", "/api/v1/me"): "identity_me",
    ("POST", "/api/v1/addresses"): "identity_add_address",
    ("POST", "/api/v1/sellers"): "catalog_apply_as_seller",
    ("POST", "/api/v1/sellers/{seller_id}/status"): "catalog_change_seller_status",
    ("POST", "/api/v1/products"): "catalog_create_product",
    ("GET", "/api/v1/products"): "catalog_list_products",
    ("GET", "/api/v1/products/{product_id}"): "catalog_get_product",
    ("POST", "/api/v1/offers"): "catalog_create_offer",
    ("GET", "/api/v1/offers"): "catalog_list_offers",
    ("PATCH", "/api/v1/offers/{offer_id}"): "catalog_update_offer",
    ("GET", "/api/v1/search"): "search_products",
    ("GET", "/api/v1/cart"): "ordering_get_cart",
    ("PUT", "/api/v1/cart/lines/{offer_id}"): "ordering_set_cart_line",
    ("POST", "/api/v1/checkouts"): "ordering_place_checkout",
    ("GET", "/api/v1/checkouts/{checkout_id}"): "ordering_get_checkout",
    ("GET", "/api/v1/orders"): "ordering_list_orders",
    ("GET", "/api/v1/orders/{order_id}"): "ordering_get_order",
    ("POST", "/api/v1/orders/{order_id}/cancel"): "ordering_cancel_order",
    ("POST", "/api/v1/checkouts/{checkout_id}/payment"): "payments_start_payment",
    ("GET", "/api/v1/checkouts/{checkout_id}/payment"): "payments_get_payment",
    ("POST", "/api/v1/orders/{order_id}/ship"): "escrow_ship",
    ("POST", "/api/v1/orders/{order_id}/confirm-receipt"): "escrow_confirm_receipt",
    ("POST", "/api/v1/orders/{order_id}/disputes"): "escrow_open_dispute",
    ("GET", "/api/v1/orders/{order_id}/tracking"): "tracking_order_tracking",
    ("GET", "/api/v1/ledger/transactions"): "ledger_list_transactions",
    ("GET", "/api/v1/ledger/accounts"): "ledger_list_accounts",
    ("POST", "/api/v1/fx-rates"): "money_set_rate",
    ("POST", "/api/v1/flash-sales"): "flash_sales_create_sale",
    ("POST", "/api/v1/flash-sales/{sale_id}/claims"): "flash_sales_claim",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    # The document is built from the routes alone: no table is read, so no migration is needed.
    db = Path(tmp_path_factory.mktemp("openapi-names")) / "api.db"
    container = build(Settings(database_url=f"sqlite:///{db}", secret_key="x"))
    yield create_app(container, access_log=False)
    container.engine.dispose()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_operation_id_is_short_unique_and_named_after_its_tag(app: FastAPI) -> None:
    operations = list(_operations(app.openapi()))
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for method, path, op in operations:
        assert OPERATION_ID.match(op["operationId"]), (method, path, op["operationId"])
        assert op.get("tags"), f"{method} {path} has no tag, so no id prefix"
        assert op["operationId"].startswith(tag_slug(op["tags"][0]) + "_"), (method, path)


def test_the_important_operation_ids_are_stable(app: FastAPI) -> None:
    actual = {(method, path): op["operationId"] for method, path, op in _operations(app.openapi())}
    assert {key: actual.get(key) for key in STABLE_OPERATION_IDS} == STABLE_OPERATION_IDS


def _classes_in(annotation: Any, seen: set[type]) -> None:
    """Every model and enum an annotation reaches, through generics, unions and fields."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | Enum):
        if annotation in seen:
            return
        seen.add(annotation)
        if issubclass(annotation, BaseModel):
            for field in annotation.model_fields.values():
                _classes_in(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _classes_in(arg, seen)


def _schema_classes(app: FastAPI) -> set[type]:
    """The Python classes behind /openapi.json's components: responses, bodies, parameters."""
    seen: set[type] = set()
    for context in iter_route_contexts(app.routes):  # through the included routers
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        _classes_in(route.response_model, seen)
        for response in route.responses.values():
            _classes_in(response.get("model"), seen)
        for param in _params(route.dependant):
            _classes_in(param.field_info.annotation, seen)
    return seen


def _params(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.body_params
    yield from dependant.query_params
    yield from dependant.path_params
    yield from dependant.header_params
    yield from dependant.cookie_params
    for sub in dependant.dependencies:
        yield from _params(sub)


def test_no_two_models_share_a_schema_name(app: FastAPI) -> None:
    """FastAPI does not refuse two classes with one name: it keys them by module
    (``tradewind__web__routes__auth__AccountOut``), which generators then drop or merge."""
    classes = _schema_classes(app)
    by_name: dict[str, list[str]] = {}
    for cls in classes:
        by_name.setdefault(cls.__name__, []).append(f"{cls.__module__}.{cls.__qualname__}")
    shared = {name: where for name, where in by_name.items() if len(where) > 1}
    assert not shared, shared
    # And every component is one of those classes, under the class's own name (no
    # ``Page_OfferOut_``, no ``-Input``/``-Output`` split).
    assert set(app.openapi()["components"]["schemas"]) == set(by_name)


def test_a_page_of_items_is_named_after_its_items() -> None:
    from tradewind.web.pagination import Page
    from tradewind.web.routes.catalog import OfferOut

    assert Page[OfferOut].__name__ == "OfferPage"


def test_errors_are_documented_as_problem_json(app: FastAPI) -> None:
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for method, path, op in _operations(app.openapi()):
        for status, response in op["responses"].items():
            if status.startswith("4") and "content" in response:
                assert response["content"] == {"application/problem+json": problem}, (
                    method,
                    path,
                    status,
                )
