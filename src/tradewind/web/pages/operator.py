"""The operator console: approvals, FX, customs rules, the ledger, payouts and health.

Every handler starts with ``need(principal, Permission.X)`` (the staff role must grant X); the
where they change anything. The dispute queue is the shared ``/disputes`` page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import text

from tradewind.bootstrap import Container, sync_manual_clock
from tradewind.catalog import service as catalog
from tradewind.customs import service as customs_service
from tradewind.identity.domain import Permission, Principal
from tradewind.kernel.clock import ManualClock
from tradewind.kernel.errors import Conflict, DomainError, InvalidInput, LimitExceeded, NotFound
from tradewind.ledger import service as ledger
from tradewind.money import service as fx
from tradewind.payments import sandbox
from tradewind.timers import service as timers
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import operator_audit
from tradewind.web.pages import operator_forms as forms
from tradewind.web.pages.common import PAGE_SIZE, need, page, render, see_other
from tradewind.web.pages.csv_export import csv_response, major

router = APIRouter(prefix="/ops", include_in_schema=False)
FX_PAGE = 200
AMENDMENTS_PAGE = 200


@router.get("")
@page
def health(request: Request, principal: OptionalPrincipalDep, container: ContainerDep) -> Response:
    return health_page(request, need(principal, Permission.CONSOLE), container)


def health_page(
    request: Request,
    operator: Principal,
    container: Container,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    """Health, with the clock form (an admin moves the demo clock from here)."""
    sync_manual_clock(container)
    now = container.clock.now()
    counts: dict[str, int] = {}
    try:
        with container.uow(read_only=True) as uow:
            uow.conn.execute(text("SELECT 1"))
            counts = timers.backlog(uow, now) | sandbox.webhook_backlog(uow, now)
        database_ok = True
    except Exception:  # noqa: BLE001 - the dashboard reports any failure to reach the database
        database_ok = False
    values = {
        "principal": operator,
        "database_ok": database_ok,
        "counts": counts,
        "now": now,
        "manual_clock": isinstance(container.clock, ManualClock),
        "staff_roles": operator_audit.STAFF_ROLE_NAMES,
    }
    form = form or {"amount": "1", "unit": "days", "reason": ""}
    return forms.answer(request, "ops/health.html", values, form, error)


@router.post("/clock")
@page
def advance_clock(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    amount: Annotated[str, Form(max_length=20)] = "",
    unit: Annotated[str, Form(max_length=10)] = "hours",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The health page's clock form; a refusal answers with that page, the input kept."""
    operator = need(principal, Permission.CLOCK)
    form = {"amount": amount, "unit": unit, "reason": reason}
    error = operator_audit.clock_form(container, operator, form)
    if error is not None:
        return health_page(request, operator, container, form=form, error=error)
    return see_other("/ops", "clock")


@router.get("/sellers")
@page
def sellers(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    status: Literal["pending", "active", "suspended", "rejected", ""] = "pending",
    after: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    operator = need(principal, Permission.CONSOLE)
    return _sellers_page(request, operator, container, status, after)


def _sellers_page(
    request: Request,
    operator: Principal,
    container: Container,
    status: str,
    after: str | None,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        rows = catalog.list_sellers(
            uow, operator, status=status or None, limit=PAGE_SIZE, after=after
        )
    values = {
        "principal": operator,
        "sellers": rows,
        "status": status,
        "next_after": rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
    }
    return forms.answer(request, "ops/sellers.html", values, form or {}, error)


@router.post("/sellers/{seller_id}")
@page
def seller_action(
    seller_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    action: Annotated[Literal["approve", "reject", "suspend", "reinstate"], Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    status: Annotated[str, Form(max_length=20)] = "pending",
) -> Response:
    """Each decision needs a reason (written to the audit log); without one, or refused, the
    list answers again with the reason kept and the error beside that shop's form."""
    operator = need(principal, Permission.SELLERS)
    form = {"seller_id": seller_id, "reason": reason}
    try:
        with container.uow() as uow:
            catalog.change_seller_status(
                uow, operator, seller_id, action, forms.reason(reason, "reason")
            )
            uow.commit()
    except DomainError as exc:
        known = ("pending", "active", "suspended", "rejected", "")
        shown = status if status in known else "pending"
        return _sellers_page(request, operator, container, shown, None, form=form, error=exc)
    return see_other("/ops/sellers", action)


@router.get("/fx")
@page
def fx_rates(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    operator = need(principal, Permission.CONSOLE)
    return _fx_page(request, operator, container, after=after)


def _fx_page(
    request: Request,
    operator: Principal,
    container: Container,
    *,
    after: str | None = None,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        rows = fx.list_quotes(uow, limit=FX_PAGE, after=after)
    values = {
        "principal": operator,
        "quotes": rows,
        "next_after": rows[-1]["id"] if len(rows) == FX_PAGE else None,
    }
    return forms.answer(request, "ops/fx.html", values, form or forms.FX_DEFAULTS, error)


@router.post("/fx")
@page
def add_fx_rate(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    base: Annotated[str, Form()] = "",
    quote: Annotated[str, Form()] = "",
    rate: Annotated[str, Form()] = "",
    spread_bps: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    valid_from: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """A bad rate re-renders the form with the operator's input and the reasons in words."""
    operator = need(principal, Permission.FX)
    form = {
        "base": base,
        "quote": quote,
        "rate": rate,
        "spread_bps": spread_bps,
        "source": source,
        "valid_from": valid_from,
        "reason": reason,
    }
    try:
        parsed = forms.fx_quote(form)
        with container.uow() as uow:
            fx.record_quote(uow, operator.account_id, **parsed)
            uow.commit()
    except (InvalidInput, LimitExceeded, Conflict) as exc:
        return _fx_page(request, operator, container, form=form, error=exc)
    return see_other("/ops/fx", "fx")


@router.get("/customs")
@page
def customs_rules(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """The dated rule book (built-in rules plus operator amendments), and the amend form."""
    operator = need(principal, Permission.CONSOLE)
    return _customs_page(request, operator, container)


def _customs_page(
    request: Request,
    operator: Principal,
    container: Container,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        book = customs_service.rule_book(uow)
        amendments = customs_service.list_amendments(uow, limit=AMENDMENTS_PAGE, after=None)
    countries = [(c, book.history(c)) for c in sorted(book.destinations)]
    today = container.clock.now().date()
    values = {
        "principal": operator,
        "countries": countries,
        "today": today,
        "amendments": amendments,
    }
    form = form or forms.AMENDMENT_DEFAULTS
    return forms.answer(request, "ops/customs.html", values, form, error)


@router.post("/customs")
@page
def amend_customs_rule(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    destination: Annotated[str, Form()] = "",
    effective_from: Annotated[str, Form()] = "",
    vat_percent: Annotated[str, Form()] = "",
    de_minimis_minor: Annotated[str, Form()] = "",
    duty_default_percent: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """A refused amendment stores nothing and re-renders the form with the operator's input."""
    operator = need(principal, Permission.CUSTOMS)
    form = {
        "destination": destination,
        "effective_from": effective_from,
        "vat_percent": vat_percent,
        "de_minimis_minor": de_minimis_minor,
        "duty_default_percent": duty_default_percent,
        "note": note,
    }
    try:
        amendment = forms.amendment(form)
        with container.uow() as uow:
            customs_service.amend(uow, operator.account_id, amendment)
            uow.commit()
    except (InvalidInput, LimitExceeded, Conflict) as exc:
        return _customs_page(request, operator, container, form=form, error=exc)
    return see_other("/ops/customs", "amended")


@router.post("/customs/amendments/{amendment_id}/withdraw")
@page
def withdraw_customs_amendment(
    amendment_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_]{1,40}$")],
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    operator = need(principal, Permission.CUSTOMS)
    try:
        why = forms.reason(reason, "withdraw_reason")
        with container.uow() as uow:
            customs_service.withdraw(uow, operator.account_id, amendment_id, why)
            uow.commit()
    except (Conflict, NotFound, InvalidInput) as exc:
        form = {**forms.AMENDMENT_DEFAULTS, "amendment_id": amendment_id, "withdraw_reason": reason}
        return _customs_page(request, operator, container, form=form, error=exc)
    return see_other("/ops/customs", "withdrawn")


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
    operator = need(principal, Permission.LEDGER)
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


LEDGER_COLUMNS = (
    "entry_id", "transaction_id", "key", "kind", "order_id", "shop_id", "account", "currency",
    "amount", "amount_minor", "created_at",
)  # fmt: skip
LEDGER_EXPORT_PAGE = 1000
MAX_LEDGER_EXPORTED = 50_000  # entries in one download; narrow it by order or shop


@router.get("/ledger.csv")
@page
def export_ledger(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    order_id: Annotated[str, Query(max_length=64)] = "",
    seller_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The ledger entries the explorer's filters select, one row each (debits positive)."""
    need(principal, Permission.LEDGER)
    rows: list[dict[str, Any]] = []
    with container.uow(read_only=True) as uow:
        while len(rows) < MAX_LEDGER_EXPORTED:
            found = ledger.entry_rows(
                uow,
                order_id=order_id or None,
                seller_id=seller_id or None,
                limit=LEDGER_EXPORT_PAGE,
                after=rows[-1]["id"] if rows else None,
            )
            rows += found
            if len(found) < LEDGER_EXPORT_PAGE:
                break
    lines = (
        [
            str(r["id"]),
            str(r["transaction_id"]),
            r["idempotency_key"],
            r["kind"],
            r["order_id"] or "",
            r["seller_id"] or "",
            r["account"],
            r["currency"],
            major(r["amount_minor"], r["currency"]),
            str(r["amount_minor"]),
            r["created_at"].isoformat(),
        ]
        for r in rows[:MAX_LEDGER_EXPORTED]
    )
    return csv_response(LEDGER_COLUMNS, lines, "ledger.csv", numeric={0, 1, 8, 9})
