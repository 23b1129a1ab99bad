"""A seller's payout destination (the bank account payouts go to) and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from tradewind.escrow import destinations
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


class PayoutDestinationsOut(BaseModel):
    current: PayoutDestinationOut | None
    history: list[PayoutDestinationOut] = Field(description="every destination, newest first")


def _out(row: dict[str, Any]) -> PayoutDestinationOut:
    return PayoutDestinationOut.model_validate(
        {k: row[k] for k in PayoutDestinationOut.model_fields}
    )


@router.get("/api/v1/sellers/me/payout-destination", response_model=PayoutDestinationsOut)
def get_destination(principal: PrincipalDep, container: ContainerDep) -> PayoutDestinationsOut:
    with container.uow(read_only=True) as uow:
        rows = destinations.destination_history.within(uow, principal)
    return PayoutDestinationsOut(
        current=_out(rows[0]) if rows else None, history=[_out(r) for r in rows]
    )


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
