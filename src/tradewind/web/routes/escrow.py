"""Shipping, receipt, protection, refunds, disputes, balances and payouts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tradewind.bootstrap import send_intents
from tradewind.catalog import service as catalog
from tradewind.escrow import disputes, payouts
from tradewind.escrow import service as escrow
from tradewind.escrow.domain import DisputeReason, DisputeStatus, Resolution, return_reason
from tradewind.fulfilment import service as fulfilment
from tradewind.identity.domain import Permission, require_permission
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.idempotency import run_idempotent
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.schemas import PROBLEM_RESPONSES, IdPath, ReasonField, StrictInput

router = APIRouter(prefix="/api/v1", tags=["escrow"], responses=PROBLEM_RESPONSES)
Paging = Annotated[PageParams, Depends(page_params)]


class ShipIn(StrictInput):
    tracking_number: str | None = Field(
        default=None,
        max_length=32,
        description="UPU S10 number; omit to have the simulated origin post issue one",
    )


class ShipmentOut(BaseModel):
    id: str
    order_id: str
    carrier: str
    tracking_number: str
    service_code: str
    shipping_kind: str
    origin_country: str
    destination_country: str
    status: str
    declaration: dict[str, Any]
    shipped_at: datetime
    delivered_at: datetime | None


def _shipment(row: dict[str, Any]) -> ShipmentOut:
    return ShipmentOut.model_validate({k: row[k] for k in ShipmentOut.model_fields})


@router.post("/orders/{order_id}/ship", response_model=ShipmentOut, status_code=201)
def ship(
    order_id: IdPath,
    body: ShipIn,
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    """The seller hands the parcel to the post: buyer protection starts counting."""
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: _shipment(
            fulfilment.ship_order(
                uow,
                container.policy,
                principal,
                order_id,
                body.tracking_number,
                carrier=container.carrier,
            )
        ),
    )


@router.get("/orders/{order_id}/shipment", response_model=ShipmentOut)
def get_shipment(order_id: IdPath, principal: PrincipalDep, container: ContainerDep) -> ShipmentOut:
    with container.uow(read_only=True) as uow:
        return _shipment(fulfilment.shipment_for_order(uow, principal, order_id))


class StatusOut(BaseModel):
    id: str
    status: str


class ProtectionOut(BaseModel):
    order_id: str
    auto_confirm_at: datetime


@router.post("/orders/{order_id}/confirm-receipt", response_model=StatusOut)
def confirm_receipt(order_id: str, principal: PrincipalDep, container: ContainerDep) -> StatusOut:
    """The buyer confirms the parcel arrived: escrow is released to the seller."""
    status = escrow.confirm_receipt(container.uow, container.policy, principal, order_id)
    return StatusOut(id=order_id, status=status.value)


@router.post("/orders/{order_id}/extend-protection", response_model=ProtectionOut)
def extend_protection(
    order_id: str, principal: PrincipalDep, container: ContainerDep
) -> ProtectionOut:
    """Once per order, in the last days of protection, the buyer gets a few more days."""
    deadline = escrow.extend_protection(container.uow, container.policy, principal, order_id)
    return ProtectionOut(order_id=order_id, auto_confirm_at=deadline)


class RefundIn(StrictInput):
    amount_minor: int = Field(ge=1, le=10**15)
    reason: str = Field(min_length=1, max_length=200)


@router.post("/orders/{order_id}/refunds", response_model=StatusOut, status_code=201)
def after_sales_refund(
    order_id: str,
    body: RefundIn,
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    """Operators refund a released order; the seller's share becomes a receivable netted from
    the next payout. Requires an Idempotency-Key."""

    def work(uow: Any) -> StatusOut:
        escrow.refund_after_release(
            uow, container.payments, principal, order_id, body.amount_minor, reason=body.reason
        )
        return StatusOut(id=order_id, status="refunded")

    response = run_idempotent(request, container, principal, body, work, required=True)
    send_intents(container, limit=20)  # the refund goes out now, after the commit
    return response


class DisputeIn(StrictInput):
    reason: DisputeReason = Field(strict=False)  # enums arrive as their JSON strings
    message: str = Field(min_length=1, max_length=4000)


class MessageIn(StrictInput):
    message: str = Field(min_length=1, max_length=4000)


class ResolveIn(StrictInput):
    resolution: Resolution = Field(strict=False)
    refund_minor: int | None = Field(default=None, ge=1, le=10**15)
    note: str = Field(default="", max_length=2000)


class DisputeMessageOut(BaseModel):
    author_id: str | None
    author_role: str
    action: str
    body: str
    at: datetime


class DisputeOut(BaseModel):
    id: str
    order_id: str
    reason: str
    status: str
    resolution: str | None
    refund_minor: int | None
    seller_response_due_at: datetime
    created_at: datetime
    resolved_at: datetime | None


class DisputeDetail(DisputeOut):
    messages: list[DisputeMessageOut]


def _dispute(row: dict[str, Any]) -> DisputeOut:
    return DisputeOut.model_validate({k: row[k] for k in DisputeOut.model_fields})


@router.post("/orders/{order_id}/disputes", response_model=DisputeOut, status_code=201)
def open_dispute(
    order_id: str,
    body: DisputeIn,
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    """The buyer opens a dispute: protection pauses and the money is frozen."""
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: _dispute(
            disputes.open_dispute(
                uow, container.policy, principal, order_id, body.reason, body.message
            )
        ),
    )


@router.get("/disputes", response_model=Page[DisputeOut])
def list_disputes(
    principal: PrincipalDep,
    container: ContainerDep,
    paging: Paging,
    status: Annotated[DisputeStatus | None, Query()] = None,
) -> Page[DisputeOut]:
    with container.uow(read_only=True) as uow:
        rows = disputes.list_disputes(
            uow,
            principal,
            status=status.value if status else None,
            limit=paging.limit,
            after=paging.after,
        )
    return Page[DisputeOut](
        items=[_dispute(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/disputes/{dispute_id}", response_model=DisputeDetail)
def get_dispute(dispute_id: str, principal: PrincipalDep, container: ContainerDep) -> DisputeDetail:
    with container.uow(read_only=True) as uow:
        row = disputes.dispute_view(uow, principal, dispute_id)
    return DisputeDetail.model_validate({k: row[k] for k in DisputeDetail.model_fields})


@router.post("/disputes/{dispute_id}/messages", response_model=DisputeOut)
def post_message(
    dispute_id: str, body: MessageIn, principal: PrincipalDep, container: ContainerDep
) -> DisputeOut:
    """Buyer, seller or operator adds to the conversation (the seller's first message is its
    response)."""
    row = disputes.respond(container.uow, principal, dispute_id, body.message)
    return _dispute(row)


@router.post("/disputes/{dispute_id}/escalate", response_model=DisputeOut)
def escalate(
    dispute_id: str, body: MessageIn, principal: PrincipalDep, container: ContainerDep
) -> DisputeOut:
    row = disputes.escalate(container.uow, principal, dispute_id, body.message)
    return _dispute(row)


@router.post("/disputes/{dispute_id}/resolve", response_model=DisputeOut)
def resolve(
    dispute_id: str,
    body: ResolveIn,
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    """Operators decide: full refund, partial refund (the rest to the seller) or release."""
    require_permission(principal, Permission.DISPUTES)
    response = run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: _dispute(
            disputes.resolve(
                uow,
                container.policy,
                container.payments,
                principal,
                dispute_id,
                body.resolution,
                body.refund_minor,
                body.note,
            )
        ),
        status_code=200,
    )
    send_intents(container, limit=20)  # a refund goes out now, after the commit
    return response


class BalancesOut(BaseModel):
    currency: str
    held_in_escrow_minor: int
    available_minor: int
    paid_out_minor: int
    owed_minor: int


class PayoutReturnOut(BaseModel):
    reason_code: str = Field(description="ISO 20022 return reason code, such as AC04")
    reason: str = Field(description="the reason in English words")
    amount_minor: int = Field(description="what came back, in the payout's currency")
    source: str = Field(description="webhook or report: which told of it first")
    created_at: datetime


class PayoutOut(BaseModel):
    id: str
    seller_id: str
    currency: str
    amount_minor: int
    netted_minor: int
    status: str = Field(description="requested, paid, refused or returned")
    created_at: datetime
    returned: PayoutReturnOut | None = Field(
        default=None, description="the bank's return of a paid payout, with its reason"
    )


def payout_out(row: dict[str, Any]) -> PayoutOut:
    back = row.get("returned")
    shown = {k: row[k] for k in PayoutOut.model_fields if k != "returned"}
    if back:
        shown["returned"] = PayoutReturnOut(
            reason_code=back["reason_code"],
            reason=return_reason(back["reason_code"]),
            amount_minor=back["amount_minor"],
            source=back["source"],
            created_at=back["created_at"],
        )
    return PayoutOut.model_validate(shown)


@router.get("/sellers/me/balances", response_model=BalancesOut)
def my_balances(principal: PrincipalDep, container: ContainerDep) -> BalancesOut:
    with container.uow(read_only=True) as uow:
        shop = catalog.seller_of(uow, principal)
        return BalancesOut.model_validate(payouts.seller_balances(uow, shop["id"]))


@router.get("/payouts", response_model=Page[PayoutOut])
def list_payouts(
    principal: PrincipalDep, container: ContainerDep, paging: Paging
) -> Page[PayoutOut]:
    """Sellers see their payouts; operators see all."""
    with container.uow(read_only=True) as uow:
        seller_id = None if principal.is_operator else catalog.seller_of(uow, principal)["id"]
        rows = payouts.list_payouts(uow, seller_id, limit=paging.limit, after=paging.after)
    return Page[PayoutOut](
        items=[payout_out(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


class PayoutRunIn(StrictInput):
    batch: str = Field(
        min_length=1,
        max_length=40,
        description="Batch name; re-running one batch pays nobody twice",
    )
    reason: str | None = ReasonField


@router.post("/ops/payouts/run", response_model=list[PayoutOut])
def run_payouts(
    body: PayoutRunIn, principal: PrincipalDep, container: ContainerDep
) -> list[PayoutOut]:
    require_permission(principal, Permission.PAYOUTS)
    rows = payouts.run_batch(
        container.uow,
        principal,
        container.payments,
        minimum_major=container.settings.payout_minimum,
        batch_key=body.batch,
        reason=body.reason,
    )
    send_intents(container)  # the payouts go out now, after the commit
    return [payout_out({**r, "returned": None}) for r in rows]
