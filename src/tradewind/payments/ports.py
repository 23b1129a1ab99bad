"""The payment-provider port. Tradewind talks to processors only through this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tradewind.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str
    redirect_url: str  # the processor's hosted payment page: card data never touches Tradewind


class PaymentProvider(Protocol):
    name: str

    def create_payment(
        self, uow: UnitOfWork, *, reference: str, amount_minor: int, currency: str, return_url: str
    ) -> ProviderPayment: ...

    def capture(
        self, uow: UnitOfWork, provider_payment_id: str, amount_minor: int, idempotency_key: str
    ) -> None: ...

    def refund(
        self, uow: UnitOfWork, provider_payment_id: str, amount_minor: int, idempotency_key: str
    ) -> str: ...


# (url, body, headers) -> HTTP status. Real HTTP in production and the demo; tests plug in the
# ASGI test client so webhooks still go through the full HTTP stack.
WebhookSender = Callable[[str, bytes, dict[str, str]], int]
