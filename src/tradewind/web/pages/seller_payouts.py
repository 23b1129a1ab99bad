"""``/seller/payouts``: where the shop's payouts go and what became of each.

The bank account (an IBAN checked with schwifty, as ``PUT /api/v1/sellers/me/payout-destination``
checks it; a refusal shows the form again with what was typed and each error under its field),
why the next payout waits (a payout the bank sent back, the quality rules, a risk hold), and
every payout: paid, on its way, failed, or returned with the bank's reason, in the shop's
currency and the seller's time zone. ``/seller/payouts/{id}`` shows one; another shop's is
404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradewind.escrow import destinations, payouts
from tradewind.escrow.domain import return_reason
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.errors import DomainError, NotFound
from tradewind.kernel.i18n import N_, _
from tradewind.risk.domain import EventKind
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import PAGE_SIZE, need, page, problem_text, render, see_other
from tradewind.web.pages.seller_listings import active_shop
from tradewind.web.problems import status_for
from tradewind.web.risk_signals import account_event
from tradewind.web.schemas import IdPath

router = APIRouter(prefix="/seller", include_in_schema=False)

STATUS_WORDS = {
    "requested": N_("On its way"),
    "paid": N_("Paid"),
    "refused": N_("Failed: the processor refused it, and the money is back in your balance"),
    "returned": N_("Returned by your bank"),
}
HELD_WORDS = {
    payouts.HELD_DESTINATION: N_(
        "Your bank sent a payout back. Check your bank account and set it again below: "
        "payouts wait until you do."
    ),
    payouts.HELD_QUALITY: N_(
        "Your shop is paused by the quality rules: payouts wait until an operator reinstates it."
    ),
    payouts.HELD_RISK: N_("Payouts are held while our risk team reviews your account."),
}
FIELD_WORDS = {
    "invalid_iban": N_(
        "This is not a valid IBAN. Check the two country letters, the two check digits and "
        "the account number."
    ),
    "invalid_bic": N_("This is not a valid BIC (8 or 11 characters) of the IBAN's country."),
    "length": N_("Enter the account holder's name, up to 140 characters."),
}


def field_words(exc: DomainError) -> dict[str, str]:
    """Each refused field's problem in words, in the page's language."""
    words: dict[str, str] = {}
    for error in exc.errors:
        sentence = FIELD_WORDS.get(str(error.code))
        words.setdefault(error.field, _(sentence) if sentence else problem_text(exc))
    return words


def status_text(row: dict[str, Any]) -> str:
    """A payout's status in words; a returned one with the bank's reason and its code."""
    back = row.get("returned")
    if row["status"] == "returned" and back:
        return _("Returned by your bank: %(reason)s (%(code)s)") % {
            "reason": _(return_reason(back["reason_code"])),
            "code": back["reason_code"],
        }
    return _(STATUS_WORDS.get(row["status"], row["status"]))


def _payouts_page(
    request: Request,
    container: ContainerDep,
    seller: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with container.uow(read_only=True) as uow:
        shop = active_shop(uow, seller)
        history = destinations.destination_history.within(uow, seller)
        flag = destinations.own_flag.within(uow, seller)
        held = payouts.held_because(uow, shop["id"])
        balances = payouts.seller_balances(uow, shop["id"])
        made = payouts.list_payouts(uow, shop["id"], limit=PAGE_SIZE, after=None, newest_first=True)
    return render(
        request,
        "seller/payouts.html",
        {
            "principal": seller,
            "shop": shop,
            "current": history[0] if history else None,
            "flag": flag,
            "flag_reason": _(return_reason(flag["reason_code"])) if flag else "",
            "held": [_(HELD_WORDS[h]) for h in held],
            "balances": balances,
            "payouts": [{**p, "status_text": status_text(p)} for p in made],
            "values": values or {"holder_name": "", "iban": "", "bic": ""},
            "errors": errors or {},
            "saved": request.query_params.get("done") == "destination",
        },
        status_code=status_code,
    )


@router.get("/payouts")
@page
def payouts_page(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    seller = need(principal, Role.SELLER)
    return _payouts_page(request, container, seller)


@router.post("/payouts/destination")
@page
def set_destination(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    holder_name: Annotated[str, Form(max_length=200)] = "",
    iban: Annotated[str, Form(max_length=64)] = "",
    bic: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """The form's side of ``PUT /api/v1/sellers/me/payout-destination`` (the same checks and
    the same risk event)."""
    seller = need(principal, Role.SELLER)
    signal = account_event(
        EventKind.PAYOUT_DESTINATION, request, container, seller.account_id, container.clock.now()
    )
    try:
        destinations.set_destination(
            container.uow,
            seller,
            holder_name=holder_name,
            iban=iban,
            bic=bic or None,
            signal=signal,
        )
    except DomainError as exc:
        kept = {"holder_name": holder_name, "iban": iban, "bic": bic}
        errors = field_words(exc) or {"form": problem_text(exc)}
        return _payouts_page(
            request, container, seller, values=kept, errors=errors, status_code=status_for(exc)
        )
    return see_other("/seller/payouts?done=destination")


@router.get("/payouts/{payout_id}")
@page
def payout_page(
    payout_id: IdPath, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    """One payout of the shop's (another shop's, or none, is 404)."""
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        shop = active_shop(uow, seller)
        found = payouts.payout_of_seller(uow, shop["id"], payout_id)
        if found is None:
            raise NotFound("payout not found")
        went_to = destinations.destination_of(uow, shop["id"], found["destination_id"])
    return render(
        request,
        "seller/payout.html",
        {
            "principal": seller,
            "shop": shop,
            "payout": {**found, "status_text": status_text(found)},
            "destination": went_to,
        },
    )
