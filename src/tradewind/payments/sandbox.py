"""The sandbox payment processor: behaves like a real one, lives in-process for demos and tests.

- A hosted payment page (``/sandbox/psp/pay/{id}``) takes the card; Tradewind never sees it.
- Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined,
  4000 0000 0000 3220 asks for a challenge (3-D Secure style) the buyer must complete.
- Authorize, capture, refund and payout, each idempotent by the caller's key, like a real
  API, each committed in the processor's own transaction (never the caller's); with
  ``flaky_every`` N, about one key in N fails its first call (:class:`ProcessorUnavailable`,
  a 503) and succeeds on retry.
- A fee of ``fee_bps`` on each capture, and a balance log (``sandbox_psp_balance_moves``)
  from which :meth:`SandboxProvider.settlement_report` lists one day's movements.
- Chargebacks, as a card network raises them (:meth:`SandboxProvider.open_chargeback`): the
  disputed amount leaves our balance at once (a ``chargeback`` row of the report), one
  evidence submission is taken, and the network's decision
  (:meth:`SandboxProvider.decide_chargeback`) returns it (``chargeback_reversal``) or not.
- Payouts the bank returns days after paying them (:meth:`SandboxProvider.return_payout`:
  account closed, wrong account, ... as ISO 20022 reason codes): the amount comes back to our
  balance (a ``payout_return`` row of the report, with its reason) and a ``payout.returned``
  webhook follows.
- Every state change emits an event, delivered as an HMAC-signed webhook by an outbox
  dispatcher: late (jittered by up to 3 s), sometimes twice, so out of order, and retried with
  backoff while the receiver fails.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.payments import (
    sandbox_psp_balance_moves,
    sandbox_psp_chargebacks,
    sandbox_psp_events,
    sandbox_psp_payments,
    sandbox_psp_requests,
)
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.kernel.errors import Conflict, FieldError, InvalidInput, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.money.amount import Money
from tradewind.payments.ports import ProviderAnswer, ProviderPayment, SettlementRow, WebhookSender
from tradewind.payments.signing import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

CARD_SUCCESS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_CHALLENGE = "4000000000003220"
MAX_JITTER_MS = 3000
DUPLICATE_EVERY = 4  # about one event in four is delivered twice
MAX_ATTEMPTS = 12
MAX_EVIDENCE_LEN = 5000


class ProcessorUnavailable(Exception):
    """The processor did not answer (a timeout, a 503): retry the call under the same key."""


def fee_of(amount: Money, fee_bps: int) -> Money:
    """The sandbox's fee on a capture: ``fee_bps`` of it, rounded half up to the minor unit."""
    return Money((amount.amount_minor * fee_bps + 5000) // 10_000, amount.currency)


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return checksum % 10 == 0


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


class SandboxProvider:
    name = "sandbox"

    def __init__(
        self, webhook_url: str, uow: UnitOfWorkFactory, *, fee_bps: int = 0, flaky_every: int = 0
    ) -> None:
        self.webhook_url = webhook_url
        # The processor's own transactions: it is another company, and commits on its own.
        self._uow = uow
        self.fee_bps = fee_bps
        self.flaky_every = flaky_every
        # Sellers whose payouts the sandbox's bank refuses (tests and demos of failed payouts).
        self.refuse_payouts_to: set[str] = set()

    # --- the processor's API, as Tradewind calls it -------------------------------------------

    def create_payment(
        self, uow: UnitOfWork, *, reference: str, amount_minor: int, currency: str, return_url: str
    ) -> ProviderPayment:
        payment_id = new_id("pi")
        uow.conn.execute(
            insert(sandbox_psp_payments).values(
                id=payment_id,
                merchant_reference=reference,
                amount_minor=amount_minor,
                currency=currency,
                status="requires_payment_method",
                card_last4=None,
                captured_minor=0,
                refunded_minor=0,
                return_url=return_url,
                webhook_url=self.webhook_url,
                created_at=uow.clock.now(),
            )
        )
        return ProviderPayment(payment_id, f"/sandbox/psp/pay/{payment_id}")

    def capture(
        self, provider_payment_id: str, amount: Money, idempotency_key: str
    ) -> ProviderAnswer:
        """Capture in the processor's own transaction; a repeat of the key answers the same."""
        return self._once(self._capture, provider_payment_id, amount, idempotency_key)

    def _once(
        self,
        call: Callable[[UnitOfWork, str, Money, str], ProviderAnswer],
        target: str,
        amount: Money,
        key: str,
    ) -> ProviderAnswer:
        """Run ``call`` in the processor's own transaction, once per key: a repeat answers
        the first answer."""
        with self._uow() as uow:
            answer = self._replayed(uow, key) or call(uow, target, amount, key)
            uow.commit()
        return answer

    def _capture(
        self, uow: UnitOfWork, provider_payment_id: str, amount: Money, key: str
    ) -> ProviderAnswer:
        self._flaky(uow, key)
        payment = self._payment(uow, provider_payment_id)
        if (
            payment["status"] != "authorized"
            or amount.currency != payment["currency"]
            or amount.amount_minor > payment["amount_minor"]
        ):
            return self._remember(
                uow, key, ProviderAnswer("refused", reason=f"payment is {payment['status']}")
            )
        uow.conn.execute(
            update(sandbox_psp_payments)
            .where(sandbox_psp_payments.c.id == provider_payment_id)
            .values(status="captured", captured_minor=amount.amount_minor)
        )
        fee = fee_of(amount, self.fee_bps)
        self._move(uow, "capture", payment["id"], payment["id"], amount.amount_minor, amount)
        if fee.amount_minor:
            self._move(uow, "fee", payment["id"], payment["id"], -fee.amount_minor, fee)
        self._emit(
            uow,
            payment,
            "payment.captured",
            amount_minor=amount.amount_minor,
            fee_minor=fee.amount_minor,
        )
        return self._remember(uow, key, ProviderAnswer("succeeded", processor_ref=payment["id"]))

    def refund(
        self, provider_payment_id: str, amount: Money, idempotency_key: str
    ) -> ProviderAnswer:
        return self._once(self._refund, provider_payment_id, amount, idempotency_key)

    def _refund(
        self, uow: UnitOfWork, provider_payment_id: str, amount: Money, key: str
    ) -> ProviderAnswer:
        self._flaky(uow, key)
        payment = self._payment(uow, provider_payment_id)
        refundable = payment["captured_minor"] - payment["refunded_minor"]
        if (
            payment["status"] not in ("captured", "partially_refunded", "refunded")
            or amount.currency != payment["currency"]
            or not 0 < amount.amount_minor <= refundable
        ):
            reason = f"cannot refund {amount.amount_minor} (refundable {refundable})"
            return self._remember(uow, key, ProviderAnswer("refused", reason=reason))
        refunded = payment["refunded_minor"] + amount.amount_minor
        status = "refunded" if refunded == payment["captured_minor"] else "partially_refunded"
        uow.conn.execute(
            update(sandbox_psp_payments)
            .where(sandbox_psp_payments.c.id == provider_payment_id)
            .values(status=status, refunded_minor=refunded)
        )
        refund_id = new_id("re")
        self._move(uow, "refund", payment["id"], key, -amount.amount_minor, amount)
        self._emit(
            uow,
            payment,
            "refund.succeeded",
            amount_minor=amount.amount_minor,
            refund_id=refund_id,
            request_key=key,
        )
        return self._remember(uow, key, ProviderAnswer("succeeded", processor_ref=refund_id))

    def payout(self, seller_id: str, amount: Money, idempotency_key: str) -> ProviderAnswer:
        """Pay a seller's sub-account out to its bank (the sandbox keeps no bank details)."""
        return self._once(self._payout, seller_id, amount, idempotency_key)

    def _payout(self, uow: UnitOfWork, seller_id: str, amount: Money, key: str) -> ProviderAnswer:
        self._flaky(uow, key)
        if seller_id in self.refuse_payouts_to:  # the bank account was closed, say
            answer = ProviderAnswer("refused", reason="sandbox: beneficiary account closed")
            return self._remember(uow, key, answer)
        self._move(uow, "payout", None, key, -amount.amount_minor, amount)
        return self._remember(uow, key, ProviderAnswer("succeeded", processor_ref=new_id("po")))

    def return_payout(self, idempotency_key: str, reason_code: str) -> str:
        """The seller's bank sends back a payout it had accepted (the bank's side: tests, the
        demo and ``/api/v1/sandbox/psp/payout-returns`` drive it): the amount comes back to
        our balance now and a ``payout.returned`` webhook follows. Returns the return's id."""
        with self._uow() as uow:
            paid = uow.conn.execute(
                select(sandbox_psp_balance_moves).where(
                    sandbox_psp_balance_moves.c.type.in_(("payout", "payout_return")),
                    sandbox_psp_balance_moves.c.reference == idempotency_key,
                )
            ).all()
            if [m.type for m in paid] != ["payout"]:
                raise Conflict(
                    "no paid payout with this key, or it was already returned",
                    code=ProblemCode.PAYOUT_NOT_RETURNABLE,
                )
            move = paid[0]
            amount = Money(-move.amount_minor, move.currency)
            return_id = new_id("pr")
            self._move(
                uow,
                "payout_return",
                None,
                idempotency_key,
                amount.amount_minor,
                amount,
                reason_code=reason_code,
            )
            answer = self._replayed(uow, idempotency_key)
            self._emit_about(
                uow,
                None,
                "payout.returned",
                currency=amount.currency,
                payout_id=answer.processor_ref if answer and answer.processor_ref else return_id,
                request_key=idempotency_key,
                amount_minor=amount.amount_minor,
                return_code=reason_code,
                return_id=return_id,
            )
            uow.commit()
        return return_id

    def submit_chargeback_evidence(
        self, chargeback_id: str, evidence: str, idempotency_key: str
    ) -> ProviderAnswer:
        """Take the one evidence submission of an open chargeback."""
        with self._uow() as uow:
            answer = self._replayed(uow, idempotency_key)
            if answer is None:
                self._flaky(uow, idempotency_key)
                taken = uow.conn.execute(
                    update(sandbox_psp_chargebacks)
                    .where(
                        sandbox_psp_chargebacks.c.id == chargeback_id,
                        sandbox_psp_chargebacks.c.status == "needs_response",
                    )
                    .values(status="under_review", evidence=evidence[:MAX_EVIDENCE_LEN])
                ).rowcount
                outcome = ProviderAnswer("succeeded", processor_ref=chargeback_id)
                if not taken:
                    outcome = ProviderAnswer("refused", reason="chargeback takes no evidence")
                answer = self._remember(uow, idempotency_key, outcome)
            uow.commit()
        return answer

    # --- the card network's side (tests, the demo and `tradewind sandbox` drive it) ----------

    def open_chargeback(
        self,
        provider_payment_id: str,
        amount: Money,
        reason_code: str,
        *,
        evidence_days: int = 14,
    ) -> str:
        """The cardholder's bank disputes a captured payment: the amount leaves our balance
        now, and a ``chargeback.opened`` webhook follows. Returns the chargeback id."""
        with self._uow() as uow:
            payment = self._payment(uow, provider_payment_id)
            disputable = payment["captured_minor"] - payment["refunded_minor"]
            if amount.currency != payment["currency"] or amount.amount_minor <= 0:
                raise InvalidInput("a chargeback takes a positive amount in the payment's currency")
            if amount.amount_minor > disputable:
                raise InvalidInput(f"at most {disputable} of this payment can be charged back")
            now = uow.clock.now()
            chargeback_id = new_id("cb")
            due = now + timedelta(days=evidence_days)
            uow.conn.execute(
                insert(sandbox_psp_chargebacks).values(
                    id=chargeback_id,
                    payment_id=payment["id"],
                    amount_minor=amount.amount_minor,
                    currency=amount.currency,
                    reason_code=reason_code,
                    evidence_due_at=due,
                    status="needs_response",
                    evidence=None,
                    created_at=now,
                )
            )
            self._move(
                uow, "chargeback", payment["id"], chargeback_id, -amount.amount_minor, amount
            )
            self._emit_chargeback(uow, payment, chargeback_id, "opened")
            uow.commit()
        return chargeback_id

    def decide_chargeback(self, chargeback_id: str, *, won: bool) -> None:
        """The network decides: won returns the money to our balance; lost keeps it."""
        with self._uow() as uow:
            decided = uow.conn.execute(
                update(sandbox_psp_chargebacks)
                .where(
                    sandbox_psp_chargebacks.c.id == chargeback_id,
                    sandbox_psp_chargebacks.c.status.in_(("needs_response", "under_review")),
                )
                .values(status="won" if won else "lost")
            ).rowcount
            if not decided:
                raise Conflict(
                    "this chargeback is already decided or does not exist",
                    code=ProblemCode.CHARGEBACK_CLOSED,
                )
            row = self._chargeback(uow, chargeback_id)
            payment = self._payment(uow, row["payment_id"])
            if won:
                amount = Money(row["amount_minor"], row["currency"])
                self._move(
                    uow,
                    "chargeback_reversal",
                    payment["id"],
                    chargeback_id,
                    row["amount_minor"],
                    amount,
                )
            self._emit_chargeback(uow, payment, chargeback_id, "won" if won else "lost")
            uow.commit()

    def chargeback_view(self, chargeback_id: str) -> dict[str, Any]:
        with self._uow(read_only=True) as uow:
            return self._chargeback(uow, chargeback_id)

    def _chargeback(self, uow: UnitOfWork, chargeback_id: str) -> dict[str, Any]:
        row = uow.conn.execute(
            select(sandbox_psp_chargebacks).where(sandbox_psp_chargebacks.c.id == chargeback_id)
        ).first()
        if row is None:
            raise NotFound("sandbox chargeback not found")
        return dict(row._mapping)

    def _emit_chargeback(
        self, uow: UnitOfWork, payment: dict[str, Any], chargeback_id: str, step: str
    ) -> None:
        row = self._chargeback(uow, chargeback_id)
        self._emit(
            uow,
            payment,
            f"chargeback.{step}",
            amount_minor=row["amount_minor"],
            chargeback_id=chargeback_id,
            reason_code=row["reason_code"],
            evidence_due_by=int(row["evidence_due_at"].timestamp()),
        )

    def settlement_report(self, day: date) -> list[SettlementRow]:
        """Every balance movement settled on ``day``, in the order they happened."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(sandbox_psp_balance_moves)
                .where(sandbox_psp_balance_moves.c.settlement_date == day.isoformat())
                .order_by(sandbox_psp_balance_moves.c.created_at, sandbox_psp_balance_moves.c.id)
            ).all()
        return [
            SettlementRow(
                r.id, r.type, r.reference, Money(r.amount_minor, r.currency), day, r.reason_code
            )
            for r in rows
        ]

    # --- the hosted page's actions (the buyer's browser talks to the processor) --------------

    def submit_card(self, uow: UnitOfWork, provider_payment_id: str, card_number: str) -> str:
        """Returns the next step: 'authorized', 'declined' or 'challenge'."""
        payment = self._payment(uow, provider_payment_id)
        number = card_number.replace(" ", "").replace("-", "")
        if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
            raise InvalidInput(
                "that card number is not valid",
                errors=[FieldError("card_number", "invalid", "invalid_card")],
            )
        if payment["status"] not in ("requires_payment_method", "declined"):
            return str(payment["status"])
        if number == CARD_CHALLENGE:
            self._set_status(uow, provider_payment_id, "requires_action", number[-4:])
            return "challenge"
        if number == CARD_DECLINED:
            self._set_status(uow, provider_payment_id, "declined", number[-4:])
            self._emit(uow, payment, "payment.failed", decline_code="card_declined")
            return "declined"
        self._authorize(uow, payment, number[-4:])
        return "authorized"

    def complete_challenge(self, uow: UnitOfWork, provider_payment_id: str, passed: bool) -> str:
        payment = self._payment(uow, provider_payment_id)
        if payment["status"] != "requires_action":
            return str(payment["status"])
        if not passed:
            self._set_status(uow, provider_payment_id, "declined", payment["card_last4"])
            self._emit(uow, payment, "payment.failed", decline_code="authentication_failed")
            return "declined"
        self._authorize(uow, payment, payment["card_last4"])
        return "authorized"

    def payment_view(self, uow: UnitOfWork, provider_payment_id: str) -> dict[str, Any]:
        return self._payment(uow, provider_payment_id)

    # --- internals ----------------------------------------------------------------------------

    def _authorize(self, uow: UnitOfWork, payment: dict[str, Any], last4: str | None) -> None:
        self._set_status(uow, payment["id"], "authorized", last4)
        self._emit(uow, payment, "payment.authorized", amount_minor=payment["amount_minor"])

    def _set_status(self, uow: UnitOfWork, payment_id: str, status: str, last4: str | None) -> None:
        uow.conn.execute(
            update(sandbox_psp_payments)
            .where(sandbox_psp_payments.c.id == payment_id)
            .values(status=status, card_last4=last4)
        )

    def _payment(self, uow: UnitOfWork, payment_id: str) -> dict[str, Any]:
        row = uow.conn.execute(
            select(sandbox_psp_payments).where(sandbox_psp_payments.c.id == payment_id)
        ).first()
        if row is None:
            raise NotFound("sandbox payment not found")
        return dict(row._mapping)

    def _replayed(self, uow: UnitOfWork, key: str) -> ProviderAnswer | None:
        found: dict[str, Any] | None = uow.conn.scalar(
            select(sandbox_psp_requests.c.result).where(
                sandbox_psp_requests.c.idempotency_key == key
            )
        )
        if found is None or "outcome" not in found:
            return None
        return ProviderAnswer(found["outcome"], found.get("processor_ref"), found.get("reason"))

    def _remember(self, uow: UnitOfWork, key: str, answer: ProviderAnswer) -> ProviderAnswer:
        result = {
            "outcome": answer.outcome,
            "processor_ref": answer.processor_ref,
            "reason": answer.reason,
        }
        insert_ignoring_conflicts(
            uow.conn, sandbox_psp_requests, {"idempotency_key": key, "result": result}
        )
        return answer

    def _flaky(self, uow: UnitOfWork, key: str) -> None:
        """About one key in ``flaky_every`` fails its first call, as a busy processor's 503
        does; the retry under the same key goes through."""
        if not self.flaky_every or _hash(key + "flaky") % self.flaky_every:
            return
        if insert_ignoring_conflicts(
            uow.conn, sandbox_psp_requests, {"idempotency_key": f"flaky:{key}", "result": {}}
        ):
            uow.commit()
            raise ProcessorUnavailable("sandbox: 503 service unavailable, retry later")

    def _move(
        self,
        uow: UnitOfWork,
        kind: str,
        payment_id: str | None,
        reference: str,
        signed_minor: int,
        amount: Money,
        *,
        reason_code: str | None = None,
    ) -> None:
        now = uow.clock.now()
        uow.conn.execute(
            insert(sandbox_psp_balance_moves).values(
                id=new_id("bm"),
                type=kind,
                payment_id=payment_id,
                reference=reference,
                amount_minor=signed_minor,
                currency=amount.currency,
                created_at=now,
                settlement_date=now.date().isoformat(),
                reason_code=reason_code,
            )
        )

    def _emit(self, uow: UnitOfWork, payment: dict[str, Any], kind: str, **data: Any) -> None:
        about = {
            "payment_id": payment["id"],
            "reference": payment["merchant_reference"],
            "currency": payment["currency"],
        }
        self._emit_about(uow, payment["id"], kind, **about, **data)

    def _emit_about(self, uow: UnitOfWork, subject: str | None, kind: str, **data: Any) -> None:
        """Queue one event: about a payment (``subject`` its id: delivered to the payment's
        webhook URL), or about a payout (None: delivered to this processor's webhook URL)."""
        event_id = new_id("evt")
        now = uow.clock.now()
        jitter = timedelta(milliseconds=_hash(event_id) % MAX_JITTER_MS)
        uow.conn.execute(
            insert(sandbox_psp_events).values(
                id=event_id,
                payment_id=subject,
                webhook_url=None if subject else self.webhook_url,
                type=kind,
                created_at=now,
                payload={
                    "id": event_id,
                    "type": kind,
                    "created": int(now.timestamp()),
                    "data": data,
                },
                due_at=now + jitter,
                deliveries_wanted=2 if _hash(event_id + "dup") % DUPLICATE_EVERY == 0 else 1,
                deliveries_done=0,
                attempts=0,
                last_error=None,
            )
        )


def dispatch_webhooks(
    uow_factory: UnitOfWorkFactory, sender: WebhookSender, secret: str, *, limit: int = 100
) -> int:
    """Deliver due webhook events; returns deliveries made. No transaction is held while
    sending, so the receiver (often this very process) can write freely."""
    now = uow_factory.clock.now()
    with uow_factory(read_only=True) as uow:
        due = [
            dict(r._mapping)
            for r in uow.conn.execute(
                select(
                    sandbox_psp_events,
                    func.coalesce(
                        sandbox_psp_payments.c.webhook_url, sandbox_psp_events.c.webhook_url
                    ).label("target_url"),
                )
                .outerjoin(
                    sandbox_psp_payments,
                    sandbox_psp_payments.c.id == sandbox_psp_events.c.payment_id,
                )
                .where(
                    sandbox_psp_events.c.deliveries_done < sandbox_psp_events.c.deliveries_wanted,
                    sandbox_psp_events.c.due_at <= now,
                    sandbox_psp_events.c.attempts < MAX_ATTEMPTS,
                )
                .order_by(sandbox_psp_events.c.due_at)
                .limit(limit)
            )
        ]
    delivered = 0
    for event in due:
        body = json.dumps(event["payload"], separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body, int(now.timestamp())),
        }
        try:
            status = sender(event["target_url"], body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried
            error = f"{type(exc).__name__}: {exc}"
        _record_delivery(uow_factory, event, now, error)
        delivered += error is None
    return delivered


def _record_delivery(
    uow_factory: UnitOfWorkFactory, event: dict[str, Any], now: datetime, error: str | None
) -> None:
    with uow_factory() as uow:
        if error is None:
            values: dict[str, Any] = {
                "deliveries_done": event["deliveries_done"] + 1,
                "due_at": now + timedelta(seconds=2),
                "last_error": None,
            }
        else:
            log.warning("webhook delivery failed", extra={"event_id": event["id"], "error": error})
            backoff = timedelta(seconds=min(3600, 2 ** (event["attempts"] + 1)))
            values = {
                "attempts": event["attempts"] + 1,
                "due_at": now + backoff,
                "last_error": error[:2000],
            }
        uow.conn.execute(
            update(sandbox_psp_events)
            .where(sandbox_psp_events.c.id == event["id"])
            .values(**values)
        )
        uow.commit()


def webhook_backlog(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Sandbox webhooks still to deliver: due now, and failing (tried at least once)."""
    undelivered = sandbox_psp_events.c.deliveries_done < sandbox_psp_events.c.deliveries_wanted

    def count(*where: Any) -> int:
        query = select(func.count()).select_from(sandbox_psp_events).where(undelivered, *where)
        return int(uow.conn.scalar(query) or 0)

    return {
        "webhooks_due": count(sandbox_psp_events.c.due_at <= now),
        "webhooks_failing": count(sandbox_psp_events.c.attempts > 0),
    }
