"""Arranging a marketplace through the real HTTP API, so browser tests spend their time on
the pages they are about. Every name is unique per call: tests never share accounts."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import httpx

from tradewind.catalog.domain import gtin_check_digit
from tradewind.fulfilment.postal_sim import scenario_for
from tradewind.logistics.s10 import issue_s10
from tradewind.seed import DEMO_PASSWORD

DAY_S = 24 * 3600
SHIP_TO = {
    "full_name": "Avery Tester",
    "line1": "350 Fifth Avenue",
    "city": "New York",
    "region": "NY",
    "postal_code": "10118",
    "country": "US",
}


def unique() -> str:
    """Eight random letters: unique per call, and a plain word to the search analyzer (hex
    digits could read as numbers or model codes)."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def new_gtin() -> str:
    body = "2" + "".join(str(secrets.randbelow(10)) for _ in range(11))
    return body + str(gtin_check_digit(body))


def happy_s10(service: str, country: str) -> str:
    """A fresh S10 number whose simulated parcel takes the ordinary route to Delivered."""
    while True:
        number = str(issue_s10(service, secrets.randbelow(10**8), country))
        if scenario_for(number) == "happy_path":
            return number


@dataclass(frozen=True)
class Shop:
    email: str
    name: str
    seller_id: str
    headers: dict[str, str]


class Market:
    PASSWORD = DEMO_PASSWORD  # the seeded demo accounts (seeding bypasses the password policy)
    ACCOUNT_PASSWORD = "correct-horse-battery"  # accounts a test signs up: the policy applies

    @classmethod
    def password_for(cls, email: str) -> str:
        return cls.PASSWORD if email.endswith("@tradewind.test") else cls.ACCOUNT_PASSWORD

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self._operator: dict[str, str] | None = None

    def __enter__(self) -> Market:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.http.close()

    def _ok(self, response: httpx.Response) -> Any:
        assert response.status_code < 300, response.text
        return response.json()

    def headers_for(self, email: str) -> dict[str, str]:
        found = self._ok(
            self.http.post(
                "/api/v1/tokens", json={"email": email, "password": self.password_for(email)}
            )
        )
        return {"Authorization": f"Bearer {found['token']}"}

    @property
    def operator(self) -> dict[str, str]:
        if self._operator is None:
            self._operator = self.headers_for("operator@tradewind.test")
        return self._operator

    def account(self, role: str, country: str = "US", name: str = "") -> tuple[str, dict[str, str]]:
        email = f"{role}.{unique()}@example.com"
        found = self._ok(
            self.http.post(
                "/api/v1/accounts",
                json={
                    "email": email,
                    "password": self.ACCOUNT_PASSWORD,
                    "display_name": name or email.split("@")[0],
                    "role": role,
                    "country": country,
                    "locale": "en_US",
                },
            )
        )
        return email, {"Authorization": f"Bearer {found['token']}"}

    def shop(self, country: str = "US") -> Shop:
        """A seller account with an approved shop."""
        name = f"Shop {unique()}"
        email, headers = self.account("seller", country, name)
        applied = self._ok(
            self.http.post(
                "/api/v1/sellers",
                headers=headers,
                json={"name": name, "ship_from": {"line1": "1 Dock St", "city": "Austin"}},
            )
        )
        self._ok(
            self.http.post(
                f"/api/v1/sellers/{applied['id']}/status",
                headers=self.operator,
                json={"action": "approve"},
            )
        )
        return Shop(email, name, applied["id"], headers)

    def listing(self, shop: Shop, title: str, price_minor: int, **offer: Any) -> tuple[str, str]:
        """(product id, offer id) of a new product with one offer from ``shop``."""
        product = self._ok(
            self.http.post(
                "/api/v1/products",
                headers=shop.headers,
                json={
                    "title": title,
                    "brand": "Acme",
                    "gtin": new_gtin(),
                    "origin_country": "CN",
                    "weight_g": 200,
                    "hs_code": "847160",
                },
            )
        )
        created = self._ok(
            self.http.post(
                "/api/v1/offers",
                headers=shop.headers,
                json={
                    "product_id": product["id"],
                    "price_minor": price_minor,
                    "stock": 10,
                    **offer,
                },
            )
        )
        return product["id"], created["id"]

    def add_to_cart(self, headers: dict[str, str], offer_id: str, quantity: int = 1) -> None:
        self._ok(
            self.http.put(
                f"/api/v1/cart/lines/{offer_id}", headers=headers, json={"quantity": quantity}
            )
        )

    def server_now(self) -> datetime:
        """The server's clock, which tests move ahead of the machine's."""
        return datetime.fromisoformat(self._ok(self.http.get("/api/v1/ops/clock"))["now"])

    def flash_sale(
        self, shop: Shop, offer_id: str, *, price_minor: int, pool: int, hours: int = 2
    ) -> str:
        """A live flash sale on ``offer_id`` for the next ``hours`` hours (server time)."""
        now = self.server_now()
        found = self._ok(
            self.http.post(
                "/api/v1/flash-sales",
                headers={**shop.headers, "Idempotency-Key": unique()},
                json={
                    "offer_id": offer_id,
                    "price_minor": price_minor,
                    "pool_units": pool,
                    "per_buyer_limit": 2,
                    "hold_s": 900,
                    "starts_at": now.isoformat(),
                    "ends_at": (now + timedelta(hours=hours)).isoformat(),
                },
            )
        )
        return str(found["id"])

    def claim(self, headers: dict[str, str], sale_id: str, quantity: int) -> None:
        self._ok(
            self.http.post(
                f"/api/v1/flash-sales/{sale_id}/claims",
                headers={**headers, "Idempotency-Key": unique()},
                json={"quantity": quantity, "ship_to": SHIP_TO},
            )
        )

    def advance(self, seconds: int) -> None:
        """Move the server clock forward and run whatever timers and webhooks fell due."""
        self._ok(
            self.http.post(
                "/api/v1/ops/clock/advance", headers=self.operator, json={"seconds": seconds}
            )
        )

    def shipment(self, headers: dict[str, str], order_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._ok(
            self.http.get(f"/api/v1/orders/{order_id}/shipment", headers=headers)
        )
        return found
