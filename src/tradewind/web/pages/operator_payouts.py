"""The operator's payouts queue: what is due to each shop, the shops held, the payouts that
failed, and every payout made; hold, release and retry, each with a reason for the audit log.

Reading needs the console; acting needs ``payouts`` (finance and admin staff). Money only
moves through :mod:`tradewind.escrow.payouts` (the ledger books it, the processor is asked after
commit); a hold or release changes who the next batch pays. Every refusal answers with the page
again, the reason kept at the row it was typed in.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from tradewind.bootstrap import Container, send_intents
from tradewind.catalog import reads as catalog_reads
from tradewind.catalog import service as catalog
from tradewind.escrow import payout_queue, payouts
from tradewind.identity.domain import Permission, Principal
from tradewind.kernel.errors import DomainError
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import operator_forms as forms
from tradewind.web.pages.common import PAGE_SIZE, need, page, see_other
from tradewind.web.pages.csv_export import csv_response, major

router = APIRouter(prefix="/ops", include_in_schema=False)
ID = Annotated[str, Path(pattern=r"^[A-Za-z0-9_]{1,40}$")]
Reason = Annotated[str, Form(max_length=500)]
EXPORT_PAGE = 1000
MAX_EXPORTED = 50_000  # rows in one download; a bigger book is exported by date range
PAYOUT_COLUMNS = (
    "payout_id", "shop_id", "shop", "currency", "amount", "amount_minor", "netted_minor",
    "status", "batch", "created_at",
)  # fmt: skip


@router.get("/payouts")
@page
def payout_list(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    after: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return payouts_page(request, need(principal, Permission.CONSOLE), container, after=after)


def _queues(container: Container, after: str | None) -> dict[str, Any]:
    with container.uow(read_only=True) as uow:
        rows = payouts.list_payouts(uow, None, limit=PAGE_SIZE, after=after)
        due = payout_queue.due(uow)
        holds = payout_queue.holds(uow)
        failed = payout_queue.failed(uow, limit=PAGE_SIZE, after=None)
        paused = catalog.active_sellers(uow, after=None, limit=PAGE_SIZE, levels=("paused",))
        shops = {r["seller_id"] for r in [*rows, *due, *holds, *failed]}
        names = catalog_reads.seller_names(uow, list(shops))
    held = {h["seller_id"] for h in holds}
    # The forms on the page; a refusal for any other (a payout no longer failed) shows on top.
    targets = {"batch"} | {f"hold:{d['seller_id']}" for d in due if d["seller_id"] not in held}
    targets |= {f"release:{s}" for s in held} | {f"retry:{p['id']}" for p in failed}
    return {
        "targets": targets,
        "payouts": rows,
        "due": due,
        "holds": holds,
        "held": held,
        "failed": failed,
        "paused": paused,
        "names": names,
        "next_after": rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
    }


def payouts_page(
    request: Request,
    operator: Principal,
    container: Container,
    *,
    after: str | None = None,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    values = {
        "principal": operator,
        "minimum": container.settings.payout_minimum,
        "today": container.clock.now().date().isoformat(),
        **_queues(container, after),
    }
    empty = {"batch": "", "reason": "", "target": ""}
    return forms.answer(request, "ops/payouts.html", values, form or empty, error)


@router.post("/payouts/run")
@page
def run_payouts(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    batch: Annotated[str, Form(max_length=100)] = "",
    reason: Reason = "",
) -> Response:
    """A named batch pays nobody twice: re-running one name is harmless. A missing name or
    reason answers with the form again."""
    operator = need(principal, Permission.PAYOUTS)
    form = {"batch": batch, "reason": reason, "target": "batch"}
    try:
        name = forms.batch_name(batch)
        payouts.run_batch(
            container.uow,
            operator,
            container.payments,
            minimum_major=container.settings.payout_minimum,
            batch_key=name,
            reason=forms.reason(reason, "reason"),
        )
    except DomainError as exc:
        return payouts_page(request, operator, container, form=form, error=exc)
    send_intents(container, limit=20)  # the payouts go out now, after the commit
    return see_other("/ops/payouts", "payouts")


@router.post("/payouts/holds/{seller_id}")
@page
def hold_or_release(
    seller_id: ID,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    action: Annotated[Literal["hold", "release"], Form()],
    reason: Reason = "",
) -> Response:
    """Hold a shop's payouts, or release them; doing it twice changes nothing the second time."""
    operator = need(principal, Permission.PAYOUTS)
    form = {"batch": "", "reason": reason, "target": f"{action}:{seller_id}"}
    step = payout_queue.release if action == "release" else payout_queue.hold
    try:
        why = forms.reason(reason, "reason")
        with container.uow() as uow:
            changed = step(uow, operator, seller_id, why)
            uow.commit()
    except DomainError as exc:
        return payouts_page(request, operator, container, form=form, error=exc)
    done = "payout_released" if action == "release" else "payout_held"
    return see_other("/ops/payouts", done if changed else f"{done}_already")


@router.post("/payouts/{payout_id}/retry")
@page
def retry(
    payout_id: ID,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    reason: Reason = "",
) -> Response:
    """Pay a failed payout again (once: a second retry answers the first one's payout)."""
    operator = need(principal, Permission.PAYOUTS)
    form = {"batch": "", "reason": reason, "target": f"retry:{payout_id}"}
    try:
        why = forms.reason(reason, "reason")
        with container.uow() as uow:
            payouts.retry_payout(uow, operator, container.payments, payout_id, why)
            uow.commit()
    except DomainError as exc:
        return payouts_page(request, operator, container, form=form, error=exc)
    send_intents(container, limit=20)  # the payout goes out now, after the commit
    return see_other("/ops/payouts", "payout_retried")


@router.get("/payouts.csv")
@page
def export_payouts(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """Every payout, oldest first (at most ``MAX_EXPORTED``): finance staff only."""
    need(principal, Permission.PAYOUTS)
    rows: list[dict[str, Any]] = []
    with container.uow(read_only=True) as uow:
        while len(rows) < MAX_EXPORTED:
            after = rows[-1]["id"] if rows else None
            found = payouts.list_payouts(uow, None, limit=EXPORT_PAGE, after=after)
            rows += found
            if len(found) < EXPORT_PAGE:
                break
        names = catalog_reads.seller_names(uow, list({r["seller_id"] for r in rows}))
    lines = (
        [
            r["id"],
            r["seller_id"],
            names.get(r["seller_id"], ""),
            r["currency"],
            major(r["amount_minor"], r["currency"]),
            str(r["amount_minor"]),
            str(r["netted_minor"]),
            r["status"],
            r["batch_key"],
            r["created_at"].isoformat(),
        ]
        for r in rows[:MAX_EXPORTED]
    )
    return csv_response(PAYOUT_COLUMNS, lines, "payouts.csv", numeric={4, 5, 6})
