"""Paying a checkout through the provider's hosted page, and the provider's webhooks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tradewind.bootstrap import WEBHOOK_PATH
from tradewind.kernel.errors import InvalidInput
from tradewind.payments import service as payments
from tradewind.payments.signing import SIGNATURE_HEADER, verify
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.idempotency import run_idempotent
from tradewind.web.schemas import PROBLEM_RESPONSES

router = APIRouter(tags=["payments"], responses=PROBLEM_RESPONSES)


class PaymentOut(BaseModel):
    id: str
    checkout_id: str
    provider: str
    status: str
    amount_minor: int
    currency: str
    captured_minor: int
    refunded_minor: int
    redirect_url: str
    created_at: datetime
    updated_at: datetime


def _out(row: dict[str, Any]) -> PaymentOut:
    return PaymentOut.model_validate({k: row[k] for k in PaymentOut.model_fields})


@router.post("/api/v1/checkouts/{checkout_id}/payment", response_model=PaymentOut, status_code=201)
def start_payment(
    checkout_id: str, request: Request, principal: PrincipalDep, container: ContainerDep
) -> Response:
    """Open the provider's hosted payment page for this checkout (send the buyer to
    `redirect_url`). Requires an Idempotency-Key."""
    return_url = f"/checkouts/{checkout_id}"
    return run_idempotent(
        request,
        container,
        principal,
        None,
        lambda uow: _out(
            payments.start_payment(
                uow, principal, container.payments, checkout_id, return_url=return_url
            )
        ),
        required=True,
    )


@router.get("/api/v1/checkouts/{checkout_id}/payment", response_model=PaymentOut)
def get_payment(checkout_id: str, principal: PrincipalDep, container: ContainerDep) -> PaymentOut:
    with container.uow(read_only=True) as uow:
        return _out(payments.payment_for_checkout(uow, principal, checkout_id))


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool


@router.post(WEBHOOK_PATH, response_model=WebhookAck)
async def sandbox_webhook(request: Request, container: ContainerDep) -> Response:
    """The sandbox processor's signed webhooks. Verifies the HMAC over the raw body and the
    timestamp tolerance; a duplicate delivery is acknowledged and changes nothing."""
    body = await request.body()
    verify(
        container.psp_secret,
        body,
        request.headers.get(SIGNATURE_HEADER),
        int(container.clock.now().timestamp()),
    )
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise InvalidInput("webhook body is not JSON", code="malformed_json") from exc
    if not isinstance(event, dict):
        raise InvalidInput("webhook body must be an object", code="bad_event")

    def handle() -> bool:
        with container.uow() as uow:
            fresh = payments.record_event(uow, container.payments, event)
            uow.commit()
        return fresh

    fresh = await run_in_threadpool(handle)
    return JSONResponse({"received": True, "duplicate": not fresh})
