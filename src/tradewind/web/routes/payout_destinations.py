"""A seller's payout destination (the bank account payouts go to) and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tradewind.escrow import destinations, payouts
from tradewind.escrow.domain import return_reason
from tradewind.identity.domain import Role, require_role
from tradewind.risk.domain import EventKind
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.risk_signals import account_event
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

router = APIRouter(tags=["payouts"], responses=PROBLEM_RESPONSES)


class PayoutDestinationIn(StrictInput):
    holder_name: str = Field(max_length=200)
    iban: str = Field(max_length=64, description="ISO 13616; spaces allowed")
    bic: str | None = Field(default=None, max_length=16)


class PayoutDestinationOut(BaseModel):
    id: str
    scheme: str = Field(description="iban")
    holder_name: str
    iban_masked: str = Field(description="country, check digits and the last 4 only")
    bic: str | None
    country: str
    created_at: datetime


class DestinationFlagOut(BaseModel):
    payout_id: str = Field(description="the payout the bank sent back")
    reason_code: str = Field(description="ISO 20022 return reason code, such as AC04")
    reason: str = Field(description="the reason in English words")
    returned_at: datetime


class PayoutDestinationsOut(BaseModel):
    current: PayoutDestinationOut | None
    history: list[PayoutDestinationOut] = Field(description="every destination, newest first")
    flag: DestinationFlagOut | None = Field(
        default=None,
        description="a payout to the destination in use came back: payouts wait until the "
        "seller sets a destination again",
    )


def _out(row: dict[str, Any]) -> PayoutDestinationOut:
    return PayoutDestinationOut.model_validate(
        {k: row[k] for k in PayoutDestinationOut.model_fields}
    )


@router.get("/api/v1/sellers/me/payout-destination", response_model=PayoutDestinationsOut)
def get_destination(principal: PrincipalDep, container: ContainerDep) -> PayoutDestinationsOut:
    with container.uow(read_only=True) as uow:
        rows = destinations.destination_history.within(uow, principal)
        flag = destinations.own_flag.within(uow, principal)
    return PayoutDestinationsOut(
        current=_out(rows[0]) if rows else None,
        history=[_out(r) for r in rows],
        flag=_flag(flag) if flag else None,
    )


def _flag(row: dict[str, Any]) -> DestinationFlagOut:
    return DestinationFlagOut(
        payout_id=row["payout_id"],
        reason_code=row["reason_code"],
        reason=return_reason(row["reason_code"]),
        returned_at=row["created_at"],
    )


class SandboxPayoutReturnIn(StrictInput):
    payout_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$")
    reason_code: str = Field(
        min_length=4, max_length=4, pattern=r"^[A-Z0-9]{4}$", description="ISO 20022, e.g. AC04"
    )


class SandboxPayoutReturnOut(BaseModel):
    return_id: str


@router.post(
    "/api/v1/sandbox/psp/payout-returns", response_model=SandboxPayoutReturnOut, status_code=201
)
def sandbox_return_payout(
    body: SandboxPayoutReturnIn, principal: PrincipalDep, container: ContainerDep
) -> SandboxPayoutReturnOut:
    """The sandbox's bank sends back a paid payout (operators, for demos): the amount comes
    back to the processor balance (a `payout_return` report row) and a `payout.returned`
    webhook follows. `404` unknown payout, `409 payout_not_returnable` if never paid or
    already returned."""
    require_role(principal, Role.OPERATOR)
    with container.uow(read_only=True) as uow:
        key = payouts.payout_key(uow, body.payout_id)
    return SandboxPayoutReturnOut(return_id=container.payments.return_payout(key, body.reason_code))


@router.put("/api/v1/sellers/me/payout-destination", response_model=PayoutDestinationOut)
def set_destination(
    body: PayoutDestinationIn, request: Request, principal: PrincipalDep, container: ContainerDep
) -> PayoutDestinationOut:
    """Set where payouts go (sellers): `422 invalid_input` with field codes `invalid_iban`,
    `invalid_bic` or `length`; nothing is stored then. Each change is a risk event (account
    takeover: a payout soon after a change, from a new device, may be held)."""
    signal = account_event(
        EventKind.PAYOUT_DESTINATION,
        request,
        container,
        principal.account_id,
        container.clock.now(),
    )
    row = destinations.set_destination(
        container.uow,
        principal,
        holder_name=body.holder_name,
        iban=body.iban,
        bic=body.bic,
        signal=signal,
    )
    return _out(row)
