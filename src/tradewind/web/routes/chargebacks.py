"""Chargebacks (card-network disputes, not buyer disputes): the operators' queue, a seller's
own, the one evidence submission; and the sandbox card network that raises and decides them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from tradewind.bootstrap import send_intents
from tradewind.escrow import chargebacks
from tradewind.identity.domain import Permission, Role, require_permission, require_role
from tradewind.money.amount import Money
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.idempotency import run_idempotent
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.schemas import PROBLEM_RESPONSES, IdPath, StrictInput

router = APIRouter(tags=["chargebacks"], responses=PROBLEM_RESPONSES)

Status = Literal["open", "evidence_submitted", "won", "lost"]


class ChargebackPartOut(BaseModel):
    order_id: str
    seller_id: str
    amount_minor: int = Field(description="this order's part, in the chargeback's currency")
    seller_amount_minor: int = Field(description="the same part in the seller's currency")
    seller_currency: str
    liable: Literal["platform", "seller"] = Field(description="who bears it if it is lost")
    rule: str = Field(description="the liability rule that decided (money-and-ledger.md)")


class ChargebackOut(BaseModel):
    id: str
    provider_chargeback_id: str
    provider_payment_id: str
    checkout_id: str
    reason_code: str = Field(description="the card network's reason code, e.g. 10.4 or 4855")
    category: str = Field(
        description="fraud, not_received, not_as_described, credit_not_processed, "
        "processing_error or other"
    )
    amount_minor: int
    currency: str
    evidence_due_at: datetime
    status: Status
    evidence: str | None
    evidence_role: str | None
    evidence_at: datetime | None
    outcome_at: datetime | None
    created_at: datetime
    parts: list[ChargebackPartOut]


class EvidenceIn(StrictInput):
    evidence: str = Field(min_length=1, max_length=chargebacks.MAX_EVIDENCE_LEN)


def _out(row: dict[str, Any]) -> ChargebackOut:
    fields = {k: row[k] for k in ChargebackOut.model_fields if k != "parts"}
    parts = [
        ChargebackPartOut.model_validate({k: p[k] for k in ChargebackPartOut.model_fields})
        for p in row["parts"]
    ]
    return ChargebackOut.model_validate({**fields, "parts": parts})


@router.get("/api/v1/chargebacks", response_model=Page[ChargebackOut])
def list_chargebacks(
    principal: PrincipalDep,
    container: ContainerDep,
    paging: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Status | None, Query()] = None,
) -> Page[ChargebackOut]:
    """Operators: every chargeback; a seller: those on its orders (its parts only)."""
    with container.uow(read_only=True) as uow:
        rows = chargebacks.list_chargebacks.within(
            uow, principal, status=status, limit=paging.limit, after=paging.after
        )
    return Page[ChargebackOut](
        items=[_out(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/api/v1/chargebacks/{chargeback_id}", response_model=ChargebackOut)
def get_chargeback(
    chargeback_id: IdPath, principal: PrincipalDep, container: ContainerDep
) -> ChargebackOut:
    with container.uow(read_only=True) as uow:
        return _out(chargebacks.get_chargeback.within(uow, principal, chargeback_id))


@router.post("/api/v1/chargebacks/{chargeback_id}/evidence", response_model=ChargebackOut)
def submit_evidence(
    chargeback_id: IdPath,
    body: EvidenceIn,
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    """The one evidence submission, before `evidence_due_at` (an operator, or a seller with an
    order in it; Idempotency-Key required). A second is `409 evidence_already_submitted`, a
    late one `409 evidence_deadline_passed`, a decided chargeback `409 chargeback_closed`."""
    if principal.is_operator:
        require_permission(principal, Permission.CHARGEBACKS)
    response = run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: _out(
            chargebacks.submit_evidence.within(
                uow, principal, container.payments, chargeback_id, body.evidence
            )
        ),
        required=True,
        status_code=200,
    )
    send_intents(container, limit=20)  # the evidence goes to the processor now
    return response


# --- the sandbox card network (operators drive it in the demo; tests call it directly) -----


class SandboxChargebackIn(StrictInput):
    provider_payment_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    amount_minor: int = Field(ge=1, le=10**15)
    reason_code: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9.]*$")
    evidence_days: int = Field(default=14, ge=1, le=45)


class SandboxDecisionIn(StrictInput):
    won: bool


class SandboxChargebackOut(BaseModel):
    chargeback_id: str


@router.post(
    "/api/v1/sandbox/psp/chargebacks", response_model=SandboxChargebackOut, status_code=201
)
def sandbox_open_chargeback(
    body: SandboxChargebackIn, principal: PrincipalDep, container: ContainerDep
) -> SandboxChargebackOut:
    """The sandbox's card network disputes a captured payment (operators, for demos): the
    amount leaves the balance at the processor and a `chargeback.opened` webhook follows."""
    require_role(principal, Role.OPERATOR)
    with container.uow(read_only=True) as uow:
        payment = container.payments.payment_view(uow, body.provider_payment_id)
    chargeback_id = container.payments.open_chargeback(
        body.provider_payment_id,
        Money(body.amount_minor, payment["currency"]),
        body.reason_code,
        evidence_days=body.evidence_days,
    )
    return SandboxChargebackOut(chargeback_id=chargeback_id)


@router.post("/api/v1/sandbox/psp/chargebacks/{chargeback_id}/decision", status_code=204)
def sandbox_decide_chargeback(
    chargeback_id: IdPath, body: SandboxDecisionIn, principal: PrincipalDep, container: ContainerDep
) -> Response:
    """The sandbox's card network decides a chargeback (operators, for demos)."""
    require_role(principal, Role.OPERATOR)
    container.payments.decide_chargeback(chargeback_id, won=body.won)
    return Response(status_code=204)
