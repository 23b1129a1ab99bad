"""Customs rules: the dated rules in force per destination, and operators' amendments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from tradewind.customs import service as customs
from tradewind.customs.amendments import MAX_DE_MINIMIS_MINOR, MAX_NOTE_LEN, Amendment
from tradewind.identity.domain import Permission, require_permission
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

COUNTRY_PATTERN = r"^[A-Z]{2}$"
ID_PATTERN = r"^[A-Za-z0-9_]{1,40}$"

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
    destination: str = Field(min_length=2, max_length=2, pattern=COUNTRY_PATTERN)
    effective_from: date = Field(
        strict=False, description="ISO date (UTC), from tomorrow up to about ten years ahead"
    )
    vat_percent: Decimal | None = Field(
        default=None, ge=0, le=100, strict=False, description="0 is a rate: VAT 0 %"
    )
    de_minimis_minor: int | None = Field(default=None, ge=0, le=MAX_DE_MINIMIS_MINOR)
    duty_default_percent: Decimal | None = Field(default=None, ge=0, le=100, strict=False)
    note: str = Field(default="", max_length=MAX_NOTE_LEN)


class AmendmentOut(BaseModel):
    id: str
    destination: str
    effective_from: date
    vat_percent: str | None
    de_minimis_minor: int | None
    duty_default_percent: str | None
    note: str | None
    status: Literal["scheduled", "in_effect", "withdrawn", "invalid"] = Field(
        description="scheduled amendments can be withdrawn; invalid ones are skipped on reads"
    )
    created_by: str | None
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None


@router.get("", response_model=list[RuleOut])
def list_rules(
    container: ContainerDep,
    destination: Annotated[str, Query(min_length=2, max_length=2, pattern=COUNTRY_PATTERN)],
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
def amend(
    body: AmendmentIn, principal: PrincipalDep, container: ContainerDep, response: Response
) -> list[RuleOut]:
    """Operators change VAT, the de minimis threshold or the default duty from a later day on.
    Orders placed before keep the rule they were quoted with. ``Location`` names the stored
    amendment (to withdraw it before its day)."""
    require_permission(principal, Permission.CUSTOMS)
    with container.uow() as uow:
        stored = customs.amend(
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
    response.headers["Location"] = f"{router.prefix}/amendments/{stored['id']}"
    return list_rules(container, body.destination)


@router.get("/amendments", response_model=Page[AmendmentOut])
def list_amendments(
    principal: PrincipalDep,
    container: ContainerDep,
    paging: Annotated[PageParams, Depends(page_params)],
) -> Page[AmendmentOut]:
    """Every stored amendment, withdrawn ones included, in creation order (operators)."""
    require_permission(principal, Permission.CONSOLE)
    with container.uow(read_only=True) as uow:
        rows = customs.list_amendments(uow, limit=paging.limit, after=paging.after)
    return Page[AmendmentOut](
        items=[AmendmentOut.model_validate(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.post("/amendments/{amendment_id}/withdraw", response_model=AmendmentOut)
def withdraw(
    amendment_id: Annotated[str, Path(pattern=ID_PATTERN)],
    principal: PrincipalDep,
    container: ContainerDep,
) -> AmendmentOut:
    """Withdraw an amendment before its day; idempotent. Once in effect: 409
    ``amendment_in_effect`` (orders may have been quoted with it; amend again instead)."""
    require_permission(principal, Permission.CUSTOMS)
    with container.uow() as uow:
        row = customs.withdraw(uow, principal.account_id, amendment_id)
        uow.commit()
    return AmendmentOut.model_validate(row)
