"""The payment-provider port. Tradewind talks to processors only through this.

Only :meth:`PaymentProvider.create_payment` runs inside Tradewind's transaction: it opens a
hosted payment page and moves no money (a page whose transaction rolls back is never shown and
expires unused). Every call that moves money (capture, refund, payout) is made by
:mod:`tradewind.payments.outbox` *after* the transaction that decided it has committed, with
the intent's idempotency key, so a retry after a crash is the same request to the processor.
The processor commits its side on its own; its answer comes back as a :class:`ProviderAnswer`
and, later, as a webhook, and whichever arrives first settles the intent (exactly once).

docs/design/money-and-ledger.md "The processor port" maps each operation onto Adyen for
Platforms and Mangopay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from tradewind.db.uow import UnitOfWork
from tradewind.money.amount import Money


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str
    redirect_url: str  # the processor's hosted payment page: card data never touches Tradewind


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    """What the processor answered to one call: ``succeeded`` (with its id for the movement)
    or ``refused`` (with its reason). A transport failure is an exception, not an answer: the
    call is retried under the same key."""

    outcome: Literal["succeeded", "refused"]
    processor_ref: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SettlementRow:
    """One movement of our balance at the processor, as its daily settlement report lists it.

    ``amount`` is signed from our side (a capture adds, refunds, fees, chargebacks and payouts
    take away); ``reference`` is what we can match: the processor payment id of a capture or a
    fee, our request key of a refund, a payout or a payout's return, the processor's
    chargeback id."""

    row_id: str
    type: str  # capture, refund, fee, chargeback, chargeback_reversal, payout, payout_return
    reference: str
    amount: Money
    settlement_date: date
    # A payout_return's ISO 20022 reason code (AC04: account closed), as the bank gave it.
    reason_code: str | None = None


class PaymentProvider(Protocol):
    name: str

    def create_payment(
        self, uow: UnitOfWork, *, reference: str, amount_minor: int, currency: str, return_url: str
    ) -> ProviderPayment: ...

    def capture(
        self, provider_payment_id: str, amount: Money, idempotency_key: str
    ) -> ProviderAnswer: ...

    def refund(
        self, provider_payment_id: str, amount: Money, idempotency_key: str
    ) -> ProviderAnswer: ...

    def payout(self, seller_id: str, amount: Money, idempotency_key: str) -> ProviderAnswer: ...

    def submit_chargeback_evidence(
        self, chargeback_id: str, evidence: str, idempotency_key: str
    ) -> ProviderAnswer:
        """Contest a chargeback with our one evidence submission (moves no money; the outcome
        arrives later as a ``chargeback.won`` or ``chargeback.lost`` webhook)."""
        ...

    def settlement_report(self, day: date) -> list[SettlementRow]: ...


# (url, body, headers) -> HTTP status. Real HTTP in production and the demo; tests plug in the
# ASGI test client so webhooks still go through the full HTTP stack.
WebhookSender = Callable[[str, bytes, dict[str, str]], int]
