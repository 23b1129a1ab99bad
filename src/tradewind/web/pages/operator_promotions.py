"""The operator console's platform coupons: every one with where it stands, its uses and what
the platform has spent on it; a form for a new one and a button to end one early, each with the
reason the audit log keeps. Any staff role reads the list; making and ending need the
``promotions`` permission (admin, finance)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from tradewind.bootstrap import Container
from tradewind.identity.domain import Permission, Principal
from tradewind.kernel.errors import Conflict, DomainError, FieldError, InvalidInput, LimitExceeded
from tradewind.kernel.i18n import _
from tradewind.promotions import service as promotions
from tradewind.promotions.domain import Kind
from tradewind.web import locale
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import promotion_forms as forms
from tradewind.web.pages.common import need, page, render, see_other
from tradewind.web.pages.operator_forms import reason as checked_reason
from tradewind.web.pages.seller_promotions import rows

router = APIRouter(prefix="/ops", include_in_schema=False)
Text = Annotated[str, Form(max_length=600)]


def _where(container: Container, currency: str) -> forms.Where:
    return forms.Where(currency, locale.current().zone, container.clock.now())


def _page(
    request: Request,
    operator: Principal,
    container: Container,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    ended: tuple[str, str] | None = None,  # (promotion id, the error at its reason)
) -> Response:
    with container.uow(read_only=True) as uow:
        found = promotions.list_promotions.within(uow, operator)
    currencies = container.settings.account_currencies
    shown = form or forms.defaults(Kind.PLATFORM_COUPON, _where(container, operator.currency))
    context = {
        "principal": operator,
        "promotions": rows(found),
        "form": {"reason": "", **shown},
        "errors": errors or {},
        "ended": ended,
        "currencies": [(c, c) for c in currencies],
        "zone": locale.current().time_zone,
        "may_change": operator.may(Permission.PROMOTIONS),
    }
    failed = bool(errors) or ended is not None
    return render(request, "ops/promotions.html", context, status_code=422 if failed else 200)


@router.get("/promotions")
@page
def coupons(request: Request, principal: OptionalPrincipalDep, container: ContainerDep) -> Response:
    return _page(request, need(principal, Permission.CONSOLE), container)


@router.post("/promotions")
@page
def create_coupon(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    posted: Annotated[forms.FormIn, Form()],
) -> Response:
    """A refusal answers with the page again, the form's input kept, the error at its field."""
    operator = need(principal, Permission.PROMOTIONS)
    form = forms.kept(posted.model_dump())
    chosen, reason = posted.currency.strip().upper(), posted.reason
    try:
        errors = _currency_errors(chosen, container)
        try:
            why = checked_reason(reason, "reason")
        except InvalidInput as exc:
            errors += list(exc.errors)
        try:
            known = chosen if not errors or errors[0].field != "currency" else operator.currency
            spec = forms.spec(Kind.PLATFORM_COUPON, form, _where(container, known))
        except InvalidInput as exc:
            errors = list(exc.errors) + errors
        if errors:
            raise InvalidInput("please correct the form", errors=errors)
        with container.uow() as uow:
            promotions.create_promotion.within(uow, operator, spec, why)
            uow.commit()
    except (InvalidInput, LimitExceeded) as exc:
        shown = {**form, "reason": reason[:500]}
        return _page(request, operator, container, form=shown, errors=_errors(exc))
    return see_other("/ops/promotions", "promotion_created")


def _currency_errors(currency: str, container: Container) -> list[FieldError]:
    if currency in container.settings.account_currencies:
        return []
    return [FieldError("currency", _("Choose a currency from the list."), forms.IN_WORDS)]


def _errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, LimitExceeded):
        return {"reason": _("Write at most 500 characters.")}
    found = forms.field_errors(exc)
    for f in exc.errors:  # the reason's own words (operator_forms), in the page's language
        if f.field == "reason":
            found["reason"] = _(f.message)
    return found


@router.post("/promotions/{promotion_id}/end")
@page
def end_coupon(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    promotion_id: Annotated[str, Path(max_length=40)],
    reason: Text = "",
) -> Response:
    """No reason: the page again with the error at this coupon's reason; one already ended
    is said there too (409)."""
    operator = need(principal, Permission.PROMOTIONS)
    try:
        why = checked_reason(reason, "reason")
        with container.uow() as uow:
            promotions.end_promotion.within(uow, operator, promotion_id, why)
            uow.commit()
    except (InvalidInput, LimitExceeded, Conflict) as exc:
        text = _errors(exc).get("reason") if not isinstance(exc, Conflict) else None
        failed = (promotion_id, text or _("This promotion has already ended."))
        return _page(request, operator, container, ended=failed)
    return see_other("/ops/promotions", "promotion_ended")
