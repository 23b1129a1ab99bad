"""The ledger explorer (operators)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from tradewind.identity.domain import Permission, require_permission
from tradewind.ledger import service as ledger
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import MAX_PAGE_SIZE, MAX_SERIAL_ID, PROBLEM_RESPONSES

PREFIX_PATTERN = r"^[A-Za-z0-9_:-]+$"  # the alphabet of account names

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"], responses=PROBLEM_RESPONSES)


class LedgerEntryOut(BaseModel):
    account: str
    currency: str
    amount_minor: int


class LedgerTransactionOut(BaseModel):
    id: int
    idempotency_key: str
    kind: str
    memo: str
    order_id: str | None
    seller_id: str | None
    created_at: datetime
    entries: list[LedgerEntryOut]


class LedgerTransactionPage(BaseModel):
    items: list[LedgerTransactionOut]
    next_cursor: int | None


class LedgerAccountOut(BaseModel):
    name: str
    currency: str
    balance_minor: int


@router.get("/transactions", response_model=LedgerTransactionPage)
def list_transactions(
    principal: PrincipalDep,
    container: ContainerDep,
    order_id: Annotated[str | None, Query(max_length=64)] = None,
    seller_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    after: Annotated[int | None, Query(ge=0, le=MAX_SERIAL_ID)] = None,
) -> LedgerTransactionPage:
    require_permission(principal, Permission.LEDGER)
    with container.uow(read_only=True) as uow:
        rows = ledger.transactions(
            uow, order_id=order_id, seller_id=seller_id, limit=limit, after=after
        )
    return LedgerTransactionPage(
        items=[LedgerTransactionOut.model_validate(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == limit else None,
    )


@router.get("/accounts", response_model=list[LedgerAccountOut])
def list_accounts(
    principal: PrincipalDep,
    container: ContainerDep,
    prefix: Annotated[str, Query(min_length=1, max_length=150, pattern=PREFIX_PATTERN)],
    as_of: Annotated[AwareDatetime | None, Query()] = None,
) -> list[LedgerAccountOut]:
    """Accounts under a prefix (``seller:slr_...``, ``order:ord_...``, ``platform:``) with their
    balances, optionally as of an instant. Positive balances are debits."""
    require_permission(principal, Permission.LEDGER)
    with container.uow(read_only=True) as uow:
        rows: list[dict[str, Any]] = ledger.accounts_like(uow, prefix)
        if as_of is not None:
            past = ledger.balances(uow, [r["name"] for r in rows], as_of=as_of)
            rows = [{**r, "balance": past[r["name"]]} for r in rows]
    return [
        LedgerAccountOut(name=r["name"], currency=r["currency"], balance_minor=int(r["balance"]))
        for r in rows
    ]
