"""The signed-in person's own pages: account settings (``/account``) and the notifications
inbox (``/account/notifications``).

They call the same identity and notification functions as ``PATCH /api/v1/me``,
``POST /api/v1/me/password``, ``/api/v1/tokens`` and ``/api/v1/notifications``; a refusal comes
back as the form again, with what was typed kept and each error under its field.
"""

from __future__ import annotations

from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from tradewind.identity import service as identity
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import DomainError
from tradewind.kernel.i18n import N_, _
from tradewind.kernel.problems import ProblemCode
from tradewind.notifications import service as notifications
from tradewind.web.deps import (
    SESSION_COOKIE,
    ContainerDep,
    OptionalPrincipalDep,
    account_rules,
    client_address,
)
from tradewind.web.pages.account import COUNTRIES
from tradewind.web.pages.common import (
    field_text,
    need,
    page,
    problem_text,
    render,
    see_other,
    viewer_locale,
)

router = APIRouter(include_in_schema=False)
INBOX_PAGE_SIZE = 20
# The service names some fields as the API does; the password form calls them otherwise.
_PASSWORD_FIELDS = {"password": "new_password"}
_NOTICES = {
    "profile": N_("Your account was updated."),
    "password": N_("Your password was changed. Your other sessions and API tokens have ended."),
    "revoked": N_("The API token was revoked."),
}


def _notice(key: str) -> str | None:
    return _(_NOTICES[key]) if key in _NOTICES else None


def field_errors(exc: DomainError, rename: dict[str, str] | None = None) -> dict[str, str]:
    """A refusal's field errors as ``{field: message}`` for the form macros."""
    names = rename or {}
    return {names.get(f.field, f.field): field_text(f) for f in exc.errors}


def _country_options(principal: Principal) -> list[tuple[str, str]]:
    names = Locale.parse(viewer_locale(principal)).territories
    return sorted(((code, names.get(code, code)) for code in COUNTRIES), key=lambda o: o[1])


def _account_page(
    request: Request,
    principal: Principal,
    container: ContainerDep,
    status_code: int = 200,
    **context: Any,
) -> Response:
    with container.uow(read_only=True) as uow:
        tokens = identity.list_tokens(uow, principal)
    values = {
        "display_name": principal.display_name,
        "country": principal.country,
        "currency": principal.currency,
    }
    return render(
        request,
        "account/settings.html",
        {
            "principal": principal,
            "values": values | context.pop("values", {}),
            "country_options": _country_options(principal),
            "currency_options": [(c, c) for c in container.settings.account_currencies],
            "tokens": tokens,
            "done": _notice(request.query_params.get("done", "")),
            "profile_errors": {},
            "password_errors": {},
            **context,
        },
        status_code=status_code,
    )


@router.get("/account")
@page
def account_page(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    return _account_page(request, need(principal), container)


@router.post("/account/profile")
@page
def update_profile(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    display_name: Annotated[str, Form(max_length=100)],
    country: Annotated[str, Form(max_length=2)],
    currency: Annotated[str, Form(max_length=3)],
) -> Response:
    who = need(principal)
    changes = identity.ProfileChanges(display_name=display_name, country=country, currency=currency)
    try:
        identity.update_profile(container.uow, who, changes, account_rules(container))
    except DomainError as exc:
        errors = field_errors(exc) or {"display_name": problem_text(exc)}
        values = {"display_name": display_name, "country": country, "currency": currency}
        return _account_page(request, who, container, 422, values=values, profile_errors=errors)
    container.revocations.publish()  # cached principals carry the old profile
    return see_other("/account?done=profile")


@router.post("/account/password")
@page
def change_password(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
) -> Response:
    who = need(principal)
    try:
        identity.change_password(
            container.uow,
            who,
            current_password,
            new_password,
            client=client_address(request, container),
            rules=account_rules(container),
            policy=container.settings.login_throttle,
            keep=request.cookies.get(SESSION_COOKIE),
        )
    except DomainError as exc:
        errors = field_errors(exc, _PASSWORD_FIELDS)
        if exc.code == ProblemCode.WRONG_PASSWORD:
            errors = {"current_password": _("This is not your current password.")}
        elif not errors:
            errors = {"new_password": problem_text(exc)}
        return _account_page(request, who, container, 422, password_errors=errors)
    container.revocations.publish()
    return see_other("/account?done=password")


@router.post("/account/tokens/{token_id}/revoke")
@page
def revoke_token(
    token_id: Annotated[str, Path(max_length=40)],
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
) -> Response:
    identity.revoke_token(container.uow, need(principal), token_id)
    container.revocations.publish()
    return see_other("/account?done=revoked")


@router.get("/account/notifications")
@page
def notifications_page(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """Newest first, a page at a time (``before``: the last id of the previous page)."""
    who = need(principal)
    with container.uow(read_only=True) as uow:
        rows = notifications.inbox(uow, who.account_id, limit=INBOX_PAGE_SIZE + 1, after=before)
    shown = rows[:INBOX_PAGE_SIZE]
    return render(
        request,
        "account/notifications.html",
        {
            "principal": who,
            "items": shown,
            "unread": sum(1 for n in shown if n["read_at"] is None),
            "older": shown[-1]["id"] if len(rows) > INBOX_PAGE_SIZE else None,
            "first_page": before is None,
        },
    )


@router.post("/account/notifications/{notification_id}/read")
@page
def mark_read(
    notification_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
) -> Response:
    who = need(principal)
    with container.uow() as uow:
        notifications.mark_read(uow, who.account_id, notification_id)
        uow.commit()
    return see_other(f"/account/notifications#n-{notification_id}")
