"""The language and region switcher at the foot of every page.

A visitor's choice lives in two cookies (``tw_lang``, ``tw_region``); a signed-in person's is
saved on the account (locale, country, currency), so it follows them to every device. The
form posts here and comes back to the page it was on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from tradewind.identity import service as identity
from tradewind.identity.domain import Principal
from tradewind.kernel import i18n
from tradewind.kernel.errors import InvalidInput
from tradewind.logistics.shipping import REGIONS
from tradewind.web import locale
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep, account_rules
from tradewind.web.pages.common import _country, local_path, page
from tradewind.web.templating import templates

router = APIRouter(include_in_schema=False)
COOKIE_MAX_AGE_S = 365 * 24 * 3600


def choices(request: Request) -> dict[str, object]:
    """What the switcher offers: languages, delivery countries (by name in the page's
    language) and the currencies accounts may hold."""
    container = request.app.state.container
    countries = sorted(REGIONS, key=lambda code: _country(code).casefold())
    return {
        "languages": i18n.LANGUAGE_NAMES,
        "countries": [(code, _country(code)) for code in countries],
        "currencies": list(container.settings.account_currencies),
    }


templates.env.globals["preference_choices"] = choices


def account_locale(current: str, language: str) -> str:
    """The account locale for a chosen language: the current one if it already speaks it
    (keeps en_GB formats), else the language's usual one in the account's form (zh_CN)."""
    if locale.language_of(current) == language:
        return current
    return {"zh_Hans": "zh_CN"}.get(language, i18n.FORMAT_LOCALES.get(language, "en"))


def _save_account(
    container: ContainerDep, principal: Principal, language: str, country: str, currency: str
) -> None:
    changes = identity.ProfileChanges(
        locale=account_locale(principal.locale, language), country=country, currency=currency
    )
    identity.update_profile(container.uow, principal, changes, account_rules(container))
    container.revocations.publish()  # cached principals carry the old profile


@router.post("/preferences", response_model=None)
@page
def save_preferences(
    request: Request,
    container: ContainerDep,
    principal: OptionalPrincipalDep,
    language: Annotated[str, Form(max_length=16)],
    country: Annotated[str, Form(max_length=2)],
    currency: Annotated[str, Form(max_length=3)],
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    target = local_path(next_path)
    language = language if language in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    country, currency = country.upper(), currency.upper()
    if country not in REGIONS or currency not in container.settings.account_currencies:
        raise InvalidInput(i18n.N_("Choose a delivery country and a currency we offer."))
    if principal is not None:
        _save_account(container, principal, language, country, currency)
    response = RedirectResponse(target, status_code=303)
    secure = container.settings.secure_cookies
    cookies = ((locale.LANG_COOKIE, language), (locale.REGION_COOKIE, f"{country}-{currency}"))
    for name, value in cookies:
        response.set_cookie(
            name, value, max_age=COOKIE_MAX_AGE_S, httponly=True, samesite="lax", secure=secure
        )
    return response
