"""The sandbox processor's hosted payment page. It stands for an external processor's site:
the card number is posted here, handled by the sandbox, and never stored by Tradewind."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tradewind.kernel.errors import InvalidInput
from tradewind.kernel.i18n import _
from tradewind.money.amount import Money
from tradewind.money.display import format_money
from tradewind.payments.sandbox import CARD_CHALLENGE, CARD_DECLINED, CARD_SUCCESS
from tradewind.web import locale
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import problem_text
from tradewind.web.templating import render

router = APIRouter(prefix="/sandbox/psp", include_in_schema=False)


def _speak(request: Request) -> locale.PageLocale:
    """A processor's page speaks the payer's language too (the shop's negotiation). Its form
    posts carry no shop session check (it is another site), so after a post the language
    comes from the visitor's choice or the browser."""
    return locale.apply(request, getattr(request.state, "principal", None))


def _page(
    request: Request,
    container: ContainerDep,
    payment_id: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    spoken = _speak(request)
    with container.uow(read_only=True) as uow:
        payment = container.payments.payment_view(uow, payment_id)
    amount = format_money(Money(payment["amount_minor"], payment["currency"]), spoken.format_locale)
    template = (
        "sandbox_challenge.html" if payment["status"] == "requires_action" else "sandbox_pay.html"
    )
    return render(
        request,
        template,
        {
            "principal": None,
            "payment": payment,
            "amount": amount,
            "error": error,
            "cards": {
                "success": CARD_SUCCESS,
                "declined": CARD_DECLINED,
                "challenge": CARD_CHALLENGE,
            },
        },
        status_code=status_code,
    )


@router.get("/pay/{payment_id}", response_class=HTMLResponse)
def pay_page(
    payment_id: str, request: Request, container: ContainerDep, principal: OptionalPrincipalDep
) -> HTMLResponse:
    return _page(request, container, payment_id)


@router.post("/pay/{payment_id}", response_model=None)
def submit_card(
    payment_id: str,
    request: Request,
    container: ContainerDep,
    card_number: Annotated[str, Form(max_length=32)],
    expiry: Annotated[str, Form(max_length=7)] = "",
    cvc: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    _speak(request)
    try:
        with container.uow() as uow:
            outcome = container.payments.submit_card(uow, payment_id, card_number)
            return_url = container.payments.payment_view(uow, payment_id)["return_url"]
            uow.commit()
    except InvalidInput as exc:
        return _page(request, container, payment_id, error=problem_text(exc), status_code=422)
    if outcome == "challenge":
        return RedirectResponse(f"/sandbox/psp/pay/{payment_id}", status_code=303)
    if outcome == "declined":
        return _page(
            request, container, payment_id, error=_("Your card was declined."), status_code=402
        )
    return RedirectResponse(return_url, status_code=303)


@router.post("/pay/{payment_id}/challenge", response_model=None)
def complete_challenge(
    payment_id: str,
    request: Request,
    container: ContainerDep,
    outcome: Annotated[str, Form(max_length=10)],
) -> Response:
    _speak(request)
    with container.uow() as uow:
        result = container.payments.complete_challenge(uow, payment_id, outcome == "pass")
        return_url = container.payments.payment_view(uow, payment_id)["return_url"]
        uow.commit()
    if result == "declined":
        return _page(
            request, container, payment_id, error=_("Authentication failed."), status_code=402
        )
    return RedirectResponse(return_url, status_code=303)
