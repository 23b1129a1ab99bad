"""Customs rules: the dated rules in force per destination, and operators' amendments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tradewind.customs import service as customs
from tradewind.customs.amendments import Amendment
from tradewind.identity.domain import Role, require_role
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

router = APIRouter(prefix="/api/v1/customs/rules", tags=["customs"], responses=PROBLEM_RESPONSES)


class RuleOut(BaseModel):
    rule_id: str
    destination: str
    effective_from: date
    effective_to: date | None
    vat_percent: str
    valuation: str
    duty_default_percent: str
    de_minimis: list[str]
    low_value_regime: str | None
    source: str


class AmendmentIn(StrictInput):
    destination: str = Field(min_length=2, max_length=2)
    effective_from: date = Field(strict=False, description="ISO date, in the destination")
    vat_percent: Decimal | None = Field(default=None, ge=0, le=100, strict=False)
    de_minimis_minor: int | None = Field(default=None, ge=0, le=10**12)
    duty_default_percent: Decimal | None = Field(default=None, ge=0, le=100, strict=False)
    note: str = Field(default="", max_length=200)


@router.get("", response_model=list[RuleOut])
def list_rules(
    container: ContainerDep, destination: Annotated[str, Query(min_length=2, max_length=2)]
) -> list[RuleOut]:
    """Every rule for a destination, oldest first: built-in data plus amendments."""
    with container.uow(read_only=True) as uow:
        book = customs.rule_book(uow)
    return [
        RuleOut(
            rule_id=r.rule_id,
            destination=r.destination,
            effective_from=r.effective_from,
            effective_to=r.effective_to,
            vat_percent=str(r.vat_percent),
            valuation=r.valuation.value,
            duty_default_percent=str(r.duty.default_percent),
            de_minimis=[
                f"{d.limit.amount_minor} {d.limit.currency} on {d.applies_to.value}"
                for d in r.de_minimis
            ],
            low_value_regime=r.low_value_regime.name if r.low_value_regime else None,
            source=r.source,
        )
        for r in book.history(destination)
    ]


@router.post("", response_model=list[RuleOut], status_code=201)
def amend(body: AmendmentIn, principal: PrincipalDep, container: ContainerDep) -> list[RuleOut]:
    """Operators change VAT, the de minimis threshold or the default duty from a date on.
    Orders placed before keep the rule they were quoted with."""
    require_role(principal, Role.OPERATOR)
    with container.uow() as uow:
        customs.amend(
            uow,
            principal.account_id,
            Amendment(
                destination=body.destination,
                effective_from=body.effective_from,
                vat_percent=body.vat_percent,
                de_minimis_minor=body.de_minimis_minor,
                duty_default_percent=body.duty_default_percent,
                note=body.note,
            ),
        )
        uow.commit()
    return list_rules(container, body.destination)
