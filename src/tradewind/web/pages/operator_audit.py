"""The operator console's audit log: every operator action (who, when, what, to which subject,
why), searched by who, kind of action, subject, words of the reason and days, newest first and
keyset paged; and the demo clock, moved from the console and written to the same log.

A bad search (a day that is no date) answers with the search form again, the input kept and
the error at its field; so does a refused clock move.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tradewind.audit import service as audit
from tradewind.bootstrap import Container
from tradewind.identity import service as identity
from tradewind.identity.domain import Permission, Principal
from tradewind.kernel.errors import DomainError, FieldError, InvalidInput
from tradewind.kernel.i18n import N_, _
from tradewind.kernel.problems import ProblemCode
from tradewind.web import locale
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import operator_forms as forms
from tradewind.web.pages.common import PAGE_SIZE, need, page
from tradewind.web.routes.ops import move_clock

router = APIRouter(prefix="/ops", include_in_schema=False)

# Kinds of action an operator can search for (prefixes of the stored action names).
ACTION_GROUPS: Final = {
    "seller.": N_("Shops: approvals, rejections, suspensions, reinstatements"),
    "dispute.": N_("Dispute rulings"),
    "fx.": N_("FX rates"),
    "customs.": N_("Customs amendments"),
    "payouts.": N_("Payouts: batches, holds, releases, retries"),
    "risk.": N_("Risk decisions and rules"),
    "chargeback.": N_("Chargeback evidence"),
    "clock.": N_("Clock moves"),
    "promotion.": N_("Marketplace coupons"),
}
# Each stored action in words.
ACTION_NAMES: Final = {
    "seller.approve": N_("Approved a shop"),
    "seller.suspend": N_("Suspended a shop"),
    "seller.reinstate": N_("Reinstated a shop"),
    "seller.reject": N_("Rejected a shop's application"),
    "dispute.refund_full": N_("Ruled a dispute: full refund"),
    "dispute.refund_partial": N_("Ruled a dispute: partial refund"),
    "dispute.release": N_("Ruled a dispute: paid the seller"),
    "fx.add": N_("Added an FX rate"),
    "customs.amend": N_("Scheduled a customs amendment"),
    "customs.withdraw": N_("Withdrew a customs amendment"),
    "payouts.run": N_("Ran a payout batch"),
    "payouts.hold": N_("Held a shop's payouts"),
    "payouts.release": N_("Released a shop's payouts"),
    "payouts.retry": N_("Retried a failed payout"),
    "risk.case.allow": N_("Allowed a risk case"),
    "risk.case.confirm": N_("Confirmed a risk case as fraud"),
    "risk.rules.add": N_("Published risk rules"),
    "chargeback.evidence": N_("Sent chargeback evidence"),
    "clock.advance": N_("Moved the demo clock"),
    "promotion.create": N_("Created a marketplace coupon"),
    "promotion.end": N_("Ended a marketplace coupon"),
}
STAFF_ROLE_NAMES: Final = {
    "admin": N_("Admin"),
    "support": N_("Support"),
    "finance": N_("Finance"),
    "catalog": N_("Catalog"),
}
SEARCH_FIELDS: Final = ("actor", "action", "subject", "text", "since", "until")
CLOCK_UNITS: Final = {"hours": 3600, "days": 86_400}
MAX_CLOCK_AMOUNT: Final = 400  # days, or hours


def _day(raw: str, field: str, problems: list[FieldError]) -> date | None:
    text = raw.strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        message = _("Enter a date such as %(example)s.") % {"example": "2027-01-31"}
        problems.append(FieldError(field, message, ProblemCode.INVALID_DATE))
        return None


def _start_of(day: date | None) -> datetime | None:
    """The operator's day starts at midnight in the operator's zone."""
    return None if day is None else datetime.combine(day, time(), locale.current().zone)


def parse_search(form: dict[str, str]) -> audit.Search:
    """The search form's text into a query; every field's problem in one error."""
    problems: list[FieldError] = []
    since = _day(form["since"], "since", problems)
    until = _day(form["until"], "until", problems)
    if problems:
        raise InvalidInput(
            "please correct: " + "; ".join(p.message for p in problems),
            code=ProblemCode.INVALID_DATE,
            errors=problems,
        )
    return audit.Search(
        actor_id=form["actor"] or None,
        action=form["action"] if form["action"] in ACTION_GROUPS else None,
        subject_id=form["subject"].strip() or None,
        text=form["text"].strip() or None,
        since=_start_of(since),
        until=_start_of(until + timedelta(days=1)) if until else None,
    )


def _audit_page(
    request: Request,
    operator: Principal,
    container: Container,
    form: dict[str, str],
    before: int | None,
) -> Response:
    error: DomainError | None = None
    rows: list[audit.Entry] = []
    with container.uow(read_only=True) as uow:
        staff = identity.staff_accounts(uow)
        try:
            rows = audit.search(uow, parse_search(form), limit=PAGE_SIZE, before=before)
        except InvalidInput as exc:
            error = exc
        names = identity.display_names(uow, {r.actor_id for r in rows})
    query = urlencode({k: form[k] for k in SEARCH_FIELDS if form[k]})
    context: dict[str, Any] = {
        "principal": operator,
        "entries": rows,
        "names": names,
        "staff": staff,
        "groups": ACTION_GROUPS,
        "actions": ACTION_NAMES,
        "roles": STAFF_ROLE_NAMES,
        "next_before": rows[-1].id if len(rows) == PAGE_SIZE else None,
        "query": query,
        "no_reason": audit.NO_REASON,
    }
    return forms.answer(request, "ops/audit.html", context, form, error)


Text = Annotated[str, Query(max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]


@router.get("/audit")
@page
def audit_log(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    actor: Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z0-9_]*$")] = "",
    action: Annotated[str, Query(max_length=20, pattern=r"^[a-z_.]*$")] = "",
    subject: Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z0-9_]*$")] = "",
    text: Text = "",
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    operator = need(principal, Permission.CONSOLE)
    form = {
        "actor": actor,
        "action": action,
        "subject": subject,
        "text": text,
        "since": since,
        "until": until,
    }
    return _audit_page(request, operator, container, form, before)


def parse_clock(amount: str, unit: str) -> int:
    """Seconds to move the clock by: a whole number of hours or days, in words if not."""
    text = amount.strip()
    digits = text.isascii() and text.isdigit() and len(text) <= 3
    if unit in CLOCK_UNITS and digits and 1 <= int(text) <= MAX_CLOCK_AMOUNT:
        return int(text) * CLOCK_UNITS[unit]
    message = _("Enter a whole number from 1 to %(max)s.") % {"max": MAX_CLOCK_AMOUNT}
    raise InvalidInput(
        message,
        code=ProblemCode.INVALID_INPUT,
        errors=[FieldError("amount", message, ProblemCode.INVALID_INPUT)],
    )


def clock_form(
    container: Container, operator: Principal, form: dict[str, str]
) -> DomainError | None:
    """Move the clock as the console's form asks; the refusal, if any, to show at the form."""
    try:
        seconds = parse_clock(form["amount"], form["unit"])
        reason = form["reason"].strip()
        if not reason:
            raise InvalidInput(
                N_("say why, in a few words"),
                code=ProblemCode.REASON_REQUIRED,
                errors=[FieldError("reason", _("Give a reason."), ProblemCode.REASON_REQUIRED)],
            )
        move_clock(container, operator, seconds, reason)
    except DomainError as exc:
        return exc
    return None
