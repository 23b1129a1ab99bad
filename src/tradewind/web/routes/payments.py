"""Paying a checkout through the provider's hosted page, and the provider's webhooks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tradewind.bootstrap import WEBHOOK_PATH, send_intents, webhook_handlers
from tradewind.identity.domain import Permission, require_permission
from tradewind.kernel.errors import DomainError
from tradewind.kernel.problems import ProblemCode
from tradewind.payments import mismatches, reconciliation
from tradewind.payments import service as payments
from tradewind.payments.signing import SIGNATURE_HEADER, verify
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.idempotency import run_idempotent
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.schemas import PROBLEM_RESPONSES, IdPath, StrictInput

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
    timestamp tolerance, then checks every field (422 `bad_event` naming each bad field, or
    `unknown_event_type`) before storing anything; a duplicate delivery is acknowledged and
    changes nothing."""
    body = await request.body()
    verify(
        container.psp_secret,
        body,
        request.headers.get(SIGNATURE_HEADER),
        int(container.clock.now().timestamp()),
    )
    try:
        event = json.loads(body)
    except ValueError as exc:  # also a number of more than 4,300 digits
        # 400 like any body that is not JSON (kernel.problems.STATUS_BY_CODE).
        raise DomainError("webhook body is not JSON", code=ProblemCode.MALFORMED_JSON) from exc

    def handle() -> bool:
        with container.uow() as uow:
            fresh = payments.record_event(uow, container.payments, event, webhook_handlers())
            uow.commit()
        return fresh

    fresh = await run_in_threadpool(handle)
    # The calls this event decided (a capture after an authorization) go out now, after the
    # commit; the worker retries whatever fails or is cut off here.
    await run_in_threadpool(send_intents, container, limit=20)
    return JSONResponse({"received": True, "duplicate": not fresh})


# --- the operators' queue of captures that did not match ----------------------------------


class MismatchOut(BaseModel):
    id: str
    payment_id: str
    checkout_id: str
    provider_payment_id: str
    event_id: str
    kind: str = Field(description="short_capture, currency_mismatch or over_capture")
    expected_minor: int
    expected_currency: str
    captured_minor: int
    captured_currency: str
    status: str = Field(description="held (waiting for an operator) or refunded")
    refund_id: str | None
    resolved_by: str | None
    note: str
    created_at: datetime
    resolved_at: datetime | None


class MismatchRefundIn(StrictInput):
    note: str = Field(default="", max_length=mismatches.MAX_NOTE_LEN)


def _mismatch(row: dict[str, Any]) -> MismatchOut:
    return MismatchOut.model_validate({k: row[k] for k in MismatchOut.model_fields})


@router.get("/api/v1/ops/payment-mismatches", response_model=Page[MismatchOut])
def list_mismatches(
    principal: PrincipalDep,
    container: ContainerDep,
    paging: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Literal["held", "refunded"] | None, Query()] = None,
) -> Page[MismatchOut]:
    """Captures the processor reported that did not match what was asked (operators)."""
    with container.uow(read_only=True) as uow:
        rows = mismatches.list_mismatches(
            uow, principal, status=status, limit=paging.limit, after=paging.after
        )
    return Page[MismatchOut](
        items=[_mismatch(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/api/v1/ops/payment-mismatches/{mismatch_id}", response_model=MismatchOut)
def get_mismatch(mismatch_id: str, principal: PrincipalDep, container: ContainerDep) -> MismatchOut:
    with container.uow(read_only=True) as uow:
        return _mismatch(mismatches.mismatch_view(uow, principal, mismatch_id))


@router.post("/api/v1/ops/payment-mismatches/{mismatch_id}/refund", response_model=MismatchOut)
def refund_mismatch(
    mismatch_id: str,
    body: MismatchRefundIn,
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    """Give a held capture back to the buyer through the processor, exactly once (operators;
    Idempotency-Key required). A resolved one is 409 `mismatch_resolved`."""
    require_permission(principal, Permission.LEDGER)
    response = run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: _mismatch(
            mismatches.refund_mismatch(uow, container.payments, principal, mismatch_id, body.note)
        ),
        required=True,
        status_code=200,
    )
    send_intents(container, limit=20)  # the refund goes out now, after the commit
    return response


# --- the operators' queue: what reconciliation found --------------------------------------


class SettlementMismatchOut(BaseModel):
    id: str
    settlement_date: str
    kind: str = Field(
        description="missing_ours, missing_theirs, amount_differs or currency_differs"
    )
    row_type: str = Field(description="capture, fee, refund, chargeback or payout")
    reference: str = Field(description="<row_type>:<processor payment id or request key>")
    reported_minor: int | None
    reported_currency: str | None
    booked_minor: int | None
    booked_currency: str | None
    action: str = Field(description="What an operator should do about it")
    status: str = Field(description="open or resolved")
    resolved_by: str | None
    note: str
    created_at: datetime
    resolved_at: datetime | None


class SettlementResolveIn(StrictInput):
    note: str = Field(min_length=1, max_length=reconciliation.MAX_NOTE_LEN)


def _settlement(row: dict[str, Any]) -> SettlementMismatchOut:
    return SettlementMismatchOut.model_validate(
        {k: row[k] for k in SettlementMismatchOut.model_fields}
    )


@router.get("/api/v1/ops/settlement-mismatches", response_model=Page[SettlementMismatchOut])
def list_settlement_mismatches(
    principal: PrincipalDep,
    container: ContainerDep,
    paging: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Literal["open", "resolved"] | None, Query()] = None,
) -> Page[SettlementMismatchOut]:
    """What reconciliation found between the processor's settlement reports and the ledger
    (operators)."""
    with container.uow(read_only=True) as uow:
        rows = reconciliation.list_settlement_mismatches(
            uow, principal, status=status, limit=paging.limit, after=paging.after
        )
    return Page[SettlementMismatchOut](
        items=[_settlement(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/api/v1/ops/settlement-mismatches/{mismatch_id}", response_model=SettlementMismatchOut)
def get_settlement_mismatch(
    mismatch_id: IdPath, principal: PrincipalDep, container: ContainerDep
) -> SettlementMismatchOut:
    with container.uow(read_only=True) as uow:
        return _settlement(reconciliation.settlement_mismatch(uow, principal, mismatch_id))


@router.post(
    "/api/v1/ops/settlement-mismatches/{mismatch_id}/resolve",
    response_model=SettlementMismatchOut,
)
def resolve_settlement_mismatch(
    mismatch_id: IdPath,
    body: SettlementResolveIn,
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    """Record what was done about a settlement mismatch, once (operators; Idempotency-Key
    required). A resolved one is 409 `mismatch_resolved`."""
    require_permission(principal, Permission.LEDGER)
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: _settlement(
            reconciliation.resolve_settlement_mismatch(uow, principal, mismatch_id, body.note)
        ),
        required=True,
        status_code=200,
    )
