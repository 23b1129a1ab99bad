"""The operator console: approvals, FX, customs rules, the ledger, payouts and health.

Every handler starts with ``need(principal, Role.OPERATOR)``; the services check the role again
where they change anything. The dispute queue is the shared ``/disputes`` page.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import text

from tradewind.bootstrap import sync_manual_clock
from tradewind.catalog import service as catalog
from tradewind.customs import service as customs_service
from tradewind.customs.amendments import Amendment
from tradewind.escrow import payouts
from tradewind.identity.domain import Role
from tradewind.kernel.clock import ManualClock
from tradewind.kernel.errors import InvalidInput
from tradewind.ledger import service as ledger
from tradewind.money import service as fx
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import queries
from tradewind.web.pages.common import PAGE_SIZE, need, page, render, see_other

router = APIRouter(prefix="/ops", include_in_schema=False)
FX_PAGE = 200


@router.get("")
@page
def health(request: Request, principal: OptionalPrincipalDep, container: ContainerDep) -> Response:
    operator = need(principal, Role.OPERATOR)
    sync_manual_clock(container)
    now = container.clock.now()
    counts: dict[str, int] = {}
    try:
        with container.uow(read_only=True) as uow:
            uow.conn.execute(text("SELECT 1"))
            counts = queries.health(uow, now)
        database_ok = True
    except Exception:  # noqa: BLE001 - the dashboard reports any failure to reach the database
        database_ok = False
    return render(
        request,
        "ops/health.html",
        {
            "principal": operator,
            "database_ok": database_ok,
            "counts": counts,
            "now": now,
            "manual_clock": isinstance(container.clock, ManualClock),
        },
    )


@router.get("/sellers")
@page
def sellers(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    status: Literal["pending", "active", "suspended", ""] = "pending",
    after: str | None = None,
) -> Response:
    operator = need(principal, Role.OPERATOR)
    with container.uow(read_only=True) as uow:
        rows = catalog.list_sellers(
            uow, operator, status=status or None, limit=PAGE_SIZE, after=after
        )
    return render(
        request,
        "ops/sellers.html",
        {
            "principal": operator,
            "sellers": rows,
            "status": status,
            "next_after": rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
        },
    )


@router.post("/sellers/{seller_id}")
@page
def seller_action(
    seller_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    action: Annotated[Literal["approve", "suspend", "reinstate"], Form()],
) -> Response:
    operator = need(principal, Role.OPERATOR)
    with container.uow() as uow:
        catalog.change_seller_status(uow, operator, seller_id, action)
        uow.commit()
    return see_other("/ops/sellers", action)


@router.get("/fx")
@page
def fx_rates(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    after: str | None = None,
) -> Response:
    operator = need(principal, Role.OPERATOR)
    with container.uow(read_only=True) as uow:
        rows = fx.list_quotes(uow, limit=FX_PAGE, after=after)
    return render(
        request,
        "ops/fx.html",
        {
            "principal": operator,
            "quotes": rows,
            "next_after": rows[-1]["id"] if len(rows) == FX_PAGE else None,
        },
    )


@router.post("/fx")
@page
def add_fx_rate(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    base: Annotated[str, Form(min_length=3, max_length=3)],
    quote: Annotated[str, Form(min_length=3, max_length=3)],
    rate: Annotated[str, Form(max_length=40)],
    spread_bps: Annotated[int, Form(ge=0, le=2000)] = 0,
    source: Annotated[str, Form(max_length=100)] = "operator",
    valid_from: Annotated[datetime | None, Form()] = None,
) -> Response:
    operator = need(principal, Role.OPERATOR)
    with container.uow() as uow:
        fx.record_quote(
            uow,
            operator.account_id,
            base=base.upper(),
            quote=quote.upper(),
            rate=rate.strip(),
            spread_bps=spread_bps,
            source=source or "operator",
            valid_from=valid_from if valid_from is None or valid_from.tzinfo else None,
        )
        uow.commit()
    return see_other("/ops/fx", "fx")


@router.get("/customs")
@page
def customs_rules(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """The dated rule book (built-in rules plus operator amendments), and the amend form."""
    operator = need(principal, Role.OPERATOR)
    with container.uow(read_only=True) as uow:
        book = customs_service.rule_book(uow)
    countries = [(c, book.history(c)) for c in sorted(book.destinations)]
    today = container.clock.now().date()
    return render(
        request, "ops/customs.html", {"principal": operator, "countries": countries, "today": today}
    )


@router.post("/customs")
@page
def amend_customs_rule(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    destination: Annotated[str, Form(min_length=2, max_length=2)],
    effective_from: Annotated[date, Form()],
    vat_percent: Annotated[str, Form(max_length=10)] = "",
    de_minimis_minor: Annotated[str, Form(max_length=15)] = "",
    duty_default_percent: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    operator = need(principal, Role.OPERATOR)
    with container.uow() as uow:
        customs_service.amend(
            uow,
            operator.account_id,
            Amendment(
                destination=destination.upper(),
                effective_from=effective_from,
                vat_percent=_percent(vat_percent, "vat_percent"),
                de_minimis_minor=int(de_minimis_minor) if de_minimis_minor.isdigit() else None,
                duty_default_percent=_percent(duty_default_percent, "duty_default_percent"),
                note=note,
            ),
        )
        uow.commit()
    return see_other("/ops/customs", "amended")


def _percent(raw: str, field: str) -> Decimal | None:
    """An optional percentage from a form field (empty keeps the current figure)."""
    if not raw.strip():
        return None
    try:
        value = Decimal(raw.strip())
    except InvalidOperation as exc:
        raise InvalidInput(f"{field} must be a number", code="invalid_percent") from exc
    if not value.is_finite() or not 0 <= value <= 100:
        raise InvalidInput(f"{field} must be 0 to 100", code="invalid_percent")
    return value


@router.get("/ledger")
@page
def ledger_explorer(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    order_id: Annotated[str, Query(max_length=64)] = "",
    seller_id: Annotated[str, Query(max_length=64)] = "",
    prefix: Annotated[str, Query(max_length=100)] = "",
    after: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    operator = need(principal, Role.OPERATOR)
    with container.uow(read_only=True) as uow:
        txs = ledger.transactions(
            uow,
            order_id=order_id or None,
            seller_id=seller_id or None,
            limit=PAGE_SIZE,
            after=after,
        )
        accounts: list[dict[str, Any]] = ledger.accounts_like(uow, prefix) if prefix else []
    return render(
        request,
        "ops/ledger.html",
        {
            "principal": operator,
            "transactions": txs,
            "accounts": accounts,
            "filters": {"order_id": order_id, "seller_id": seller_id, "prefix": prefix},
            "next_after": txs[-1]["id"] if len(txs) == PAGE_SIZE else None,
        },
    )


@router.get("/payouts")
@page
def payout_list(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    after: str | None = None,
) -> Response:
    operator = need(principal, Role.OPERATOR)
    with container.uow(read_only=True) as uow:
        rows = payouts.list_payouts(uow, None, limit=PAGE_SIZE, after=after)
        names = queries.seller_names(uow, list({r["seller_id"] for r in rows}))
    return render(
        request,
        "ops/payouts.html",
        {
            "principal": operator,
            "payouts": rows,
            "names": names,
            "minimum": container.settings.payout_minimum,
            "today": container.clock.now().date().isoformat(),
            "next_after": rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
        },
    )


@router.post("/payouts/run")
@page
def run_payouts(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    batch: Annotated[str, Form(min_length=1, max_length=40)],
) -> Response:
    """A named batch pays nobody twice: re-running one name is harmless."""
    need(principal, Role.OPERATOR)
    with container.uow() as uow:
        payouts.run_payouts(uow, minimum_major=container.settings.payout_minimum, batch_key=batch)
        uow.commit()
    return see_other("/ops/payouts", "payouts")
