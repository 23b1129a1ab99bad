"""Chargebacks (operators: all; a seller: those on its orders) with the one evidence form,
and the operators' two mismatch queues (reconciliation's settlement mismatches, with what to do
for each kind, and the captures held for not matching what was asked). A refused form answers
with the page again, the input kept and the error tied to its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from tradewind.bootstrap import Container, send_intents
from tradewind.db.uow import UnitOfWork
from tradewind.escrow import chargebacks
from tradewind.identity.domain import Permission, Principal, Role
from tradewind.kernel.errors import DomainError
from tradewind.kernel.i18n import N_
from tradewind.kernel.text import check_plain_text
from tradewind.payments import mismatches, reconciliation
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import operator_forms as forms
from tradewind.web.pages.common import PAGE_SIZE, need, page, see_other

router = APIRouter(include_in_schema=False)

# What an operator does about each kind of settlement mismatch, in words (the API's `action`
# is the English of the same advice).
SETTLEMENT_ACTIONS = {
    reconciliation.MISSING_OURS: N_(
        "The processor moved this money and the ledger has no record of it. Find the cause (an "
        "unannounced fee, a webhook never delivered, a movement made twice); book it with an "
        "adjusting entry, or claim it back from the processor."
    ),
    reconciliation.MISSING_THEIRS: N_(
        "The ledger booked this processor movement and the report does not list it. Check its "
        "call to the processor (refused, or still pending?): retry it, or reverse the booking."
    ),
    reconciliation.AMOUNT_DIFFERS: N_(
        "The processor settled another amount than the ledger booked. A capture settled short "
        "is not paid in full: hold the order's release, claim the difference from the processor "
        "or refund the buyer; then book the difference."
    ),
    reconciliation.CURRENCY_DIFFERS: N_(
        "The processor settled in another currency than the ledger booked. Do not release the "
        "order; refund the buyer or convert through an FX entry, then resolve."
    ),
}
KIND_NAMES = {
    reconciliation.MISSING_OURS: N_("Missing in our ledger"),
    reconciliation.MISSING_THEIRS: N_("Missing in the processor's report"),
    reconciliation.AMOUNT_DIFFERS: N_("Amount differs"),
    reconciliation.CURRENCY_DIFFERS: N_("Currency differs"),
    "short_capture": N_("Captured less than asked"),
    "currency_mismatch": N_("Captured in another currency"),
    "over_capture": N_("Captured more than authorized"),
}


# Why a part of a chargeback is the platform's or the seller's (escrow.domain rules).
RULES = {
    "fraud_risk_allowed": N_(
        "Card fraud on a payment the platform screened and captured: the platform bears it."
    ),
    "fraud_seller_restricted": N_(
        "Card fraud while risk restricted this shop's payouts: the shop bears it."
    ),
    "not_received_delivery_scanned": N_(
        "The carrier scanned the parcel delivered: the platform defends and bears a loss."
    ),
    "not_received_no_delivery_scan": N_(
        "Not received and never scanned delivered: the shop bears it."
    ),
    "not_received_without_tracking": N_(
        "Not received and sent without tracking: the shop bears it."
    ),
    "not_as_described": N_("The goods were not as described: the shop bears it."),
    "credit_already_processed": N_("A refund was already made: the platform bears it."),
    "credit_not_processed": N_(
        "The buyer was promised a refund that was never made: the shop bears it."
    ),
    "processing_error": N_("A processing error: the platform bears it."),
    "other_reason": N_("Another reason: the platform bears it."),
}


def _chargebacks_page(
    request: Request,
    who: Principal,
    container: Container,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        rows = chargebacks.list_chargebacks.within(
            uow, who, status=None, limit=PAGE_SIZE, after=None
        )
    rows.sort(key=lambda r: (r["status"] not in chargebacks.OPEN_STATES, r["evidence_due_at"]))
    base = "/ops/chargebacks" if who.role is Role.OPERATOR else "/seller/chargebacks"
    values = {
        "principal": who,
        "chargebacks": rows,
        "base": base,
        "rules": RULES,
        "now": container.clock.now(),
    }
    return forms.answer(request, "chargebacks.html", values, form or {}, error)


@router.get("/ops/chargebacks")
@page
def ops_chargebacks(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    return _chargebacks_page(request, need(principal, Permission.CONSOLE), container)


@router.get("/seller/chargebacks")
@page
def seller_chargebacks(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    return _chargebacks_page(request, need(principal, Role.SELLER), container)


def _submit(
    request: Request,
    who: Principal,
    container: Container,
    chargeback_id: str,
    evidence: str,
    base: str,
) -> Response:
    form = {"chargeback_id": chargeback_id, "evidence": evidence}
    try:
        chargebacks.submit_evidence(container.uow, who, container.payments, chargeback_id, evidence)
    except DomainError as exc:
        return _chargebacks_page(request, who, container, form=form, error=exc)
    send_intents(container, limit=20)  # the evidence goes to the processor now
    return see_other(base, "evidence")


@router.post("/ops/chargebacks/{chargeback_id}/evidence")
@page
def ops_evidence(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    chargeback_id: Annotated[str, Path(max_length=40)],
    evidence: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    who = need(principal, Permission.CHARGEBACKS)
    return _submit(request, who, container, chargeback_id, evidence, "/ops/chargebacks")


@router.post("/seller/chargebacks/{chargeback_id}/evidence")
@page
def seller_evidence(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    chargeback_id: Annotated[str, Path(max_length=40)],
    evidence: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    who = need(principal, Role.SELLER)
    return _submit(request, who, container, chargeback_id, evidence, "/seller/chargebacks")


# --- the operators' mismatch queues --------------------------------------------------------


def _mismatches_page(
    request: Request,
    operator: Principal,
    container: Container,
    *,
    status: str,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        settlement = reconciliation.list_settlement_mismatches(
            uow, operator, status=status, limit=PAGE_SIZE, after=None
        )
        held = mismatches.list_mismatches(
            uow,
            operator,
            status="held" if status == "open" else "refunded",
            limit=PAGE_SIZE,
            after=None,
        )
    context: dict[str, Any] = {
        "principal": operator,
        "settlement": settlement,
        "held": held,
        "status": status,
        "actions": SETTLEMENT_ACTIONS,
        "kinds": KIND_NAMES,
    }
    return forms.answer(request, "ops/mismatches.html", context, form or {}, error)


@router.get("/ops/mismatches")
@page
def ops_mismatches(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    status: Annotated[str, Query(pattern="^(open|resolved)$")] = "open",
) -> Response:
    return _mismatches_page(request, need(principal, Permission.CONSOLE), container, status=status)


def _act_on_mismatch(
    request: Request,
    operator: Principal,
    container: Container,
    mismatch_id: str,
    note: str,
    act: Callable[[UnitOfWork], object],
    notice: str,
) -> Response:
    """Run ``act`` in one transaction; a refusal shows the queue again with the note kept."""
    try:
        with container.uow() as uow:
            act(uow)
            uow.commit()
    except DomainError as exc:
        form = {"mismatch_id": mismatch_id, "note": note}
        return _mismatches_page(request, operator, container, status="open", form=form, error=exc)
    send_intents(container, limit=20)  # a refund goes out now, after the commit
    return see_other("/ops/mismatches", notice)


@router.post("/ops/mismatches/settlement/{mismatch_id}")
@page
def resolve_settlement(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    mismatch_id: Annotated[str, Path(max_length=40)],
    note: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    operator = need(principal, Permission.LEDGER)

    def act(uow: UnitOfWork) -> object:
        return reconciliation.resolve_settlement_mismatch(uow, operator, mismatch_id, _note(note))

    return _act_on_mismatch(
        request, operator, container, mismatch_id, note, act, "mismatch_resolved"
    )


@router.post("/ops/mismatches/held/{mismatch_id}")
@page
def refund_held(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    mismatch_id: Annotated[str, Path(max_length=40)],
    note: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    operator = need(principal, Permission.LEDGER)

    def act(uow: UnitOfWork) -> object:
        return mismatches.refund_mismatch(uow, container.payments, operator, mismatch_id, note)

    return _act_on_mismatch(
        request, operator, container, mismatch_id, note, act, "mismatch_refunded"
    )


def _note(note: str) -> str:
    """A resolution note is one line of 1-500 characters (the API's rule)."""
    return check_plain_text(note.strip(), "note", max_len=reconciliation.MAX_NOTE_LEN, min_len=1)
