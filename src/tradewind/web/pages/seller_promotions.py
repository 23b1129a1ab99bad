"""The seller center's promotions: the shop's discounts and coupons with where each stands,
what it has been used and what is left of it; a form for a new item discount or store coupon;
ending one early. The figures are the API's (``GET /api/v1/promotions``); a seller sees and
ends only its own shop's (anyone else's is 404).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from babel.numbers import format_percent
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from tradewind.bootstrap import Container
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.errors import DomainError, InvalidInput
from tradewind.kernel.i18n import N_, _
from tradewind.promotions import service as promotions
from tradewind.promotions.domain import COUPON_KINDS, Kind
from tradewind.web import locale
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import promotion_forms as forms
from tradewind.web.pages.common import money_text, need, page, render, see_other, viewer_locale
from tradewind.web.pages.seller_listings import active_shop

router = APIRouter(prefix="/seller", include_in_schema=False)

# The kinds a seller makes on these pages, by the path's name for them.
MADE_HERE = {"discount": Kind.ITEM_DISCOUNT, "coupon": Kind.STORE_COUPON}
TITLES = {
    Kind.ITEM_DISCOUNT: N_("New discount on your listings"),
    Kind.STORE_COUPON: N_("New shop coupon"),
}
STATUSES = {
    "scheduled": N_("scheduled"),
    "active": N_("active"),
    "ended": N_("ended"),
}


def value_text(p: dict[str, Any]) -> str:
    """What a promotion takes off, in words: ``15%`` or ``₪5.00``, the kind's way."""
    if p["percent_bps"] is not None:
        share = Decimal(p["percent_bps"]) / 10_000
        return str(format_percent(share, "#,##0.##%", locale=viewer_locale()))
    if p["amount_minor"] is not None:
        return str(money_text(p["amount_minor"], p["currency"]))
    return ""


def rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list's rows: uses so far (a coupon's uses, a discount's orders) and what is left."""
    return [
        {
            **p,
            "value_text": value_text(p),
            "status_text": _(STATUSES.get(p["status"], "")),
            "uses": p["used_count"] if Kind(p["kind"]) in COUPON_KINDS else p["orders"],
        }
        for p in found
    ]


def _where(container: Container, currency: str) -> forms.Where:
    return forms.Where(currency, locale.current().zone, container.clock.now())


@router.get("/promotions")
@page
def promotions_page(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    seller = need(principal, Role.SELLER)
    with container.uow(read_only=True) as uow:
        shop = active_shop(uow, seller)
        found = promotions.list_promotions.within(uow, seller)
    context = {"principal": seller, "shop": shop, "promotions": rows(found)}
    return render(request, "seller/promotions.html", context)


def _kind(name: str) -> Kind:
    if name not in MADE_HERE:
        raise InvalidInput("choose a discount or a coupon")
    return MADE_HERE[name]


def _form_page(
    request: Request,
    seller: Principal,
    container: Container,
    kind: str,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        shop = active_shop(uow, seller)
    made = _kind(kind)
    context = {
        "principal": seller,
        "shop": shop,
        "kind": kind,
        "coupon": made is Kind.STORE_COUPON,
        "title": _(TITLES[made]),
        "form": {**(form or forms.defaults(made, _where(container, shop["currency"])))}
        | {"currency": shop["currency"]},
        "errors": forms.field_errors(error) if error else {},
        "zone": locale.current().time_zone,
    }
    status = 422 if error else 200
    return render(request, "seller/promotion_form.html", context, status_code=status)


@router.get("/promotions/new/{kind}")
@page
def new_promotion(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    kind: Annotated[str, Path(max_length=20)],
) -> Response:
    return _form_page(request, need(principal, Role.SELLER), container, kind)


@router.post("/promotions/new/{kind}")
@page
def create_promotion(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    kind: Annotated[str, Path(max_length=20)],
    posted: Annotated[forms.FormIn, Form()],
) -> Response:
    """A refusal (a field's value, a code taken) answers with the form again, input kept."""
    seller = need(principal, Role.SELLER)
    made = _kind(kind)
    form = forms.kept(posted.model_dump())
    try:
        with container.uow() as uow:
            shop = active_shop(uow, seller)
            spec = forms.spec(made, form, _where(container, shop["currency"]))
            promotions.create_promotion.within(uow, seller, spec)
            uow.commit()
    except InvalidInput as exc:
        return _form_page(request, seller, container, kind, form, exc)
    return see_other("/seller/promotions", "promotion_created")


@router.post("/promotions/{promotion_id}/end")
@page
def end_promotion(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    promotion_id: Annotated[str, Path(max_length=40)],
) -> Response:
    """Another shop's promotion is 404; one already ended is the error page (409)."""
    seller = need(principal, Role.SELLER)
    with container.uow() as uow:
        promotions.end_promotion.within(uow, seller, promotion_id)
        uow.commit()
    return see_other("/seller/promotions", "promotion_ended")
