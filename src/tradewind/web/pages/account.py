"""Logging in and out, and signing up as a buyer or a seller.

The login and sign-up forms come before any session exists, so their CSRF token is a
double-submit cookie set with the form; once logged in, the session's own token takes over.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tradewind.identity import service as identity
from tradewind.identity.domain import Role
from tradewind.kernel.errors import DomainError, TooManyRequests, Unauthenticated
from tradewind.kernel.i18n import _, ngettext
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.shipping import REGIONS
from tradewind.web import locale
from tradewind.web.deps import (
    SESSION_COOKIE,
    ContainerDep,
    PrincipalDep,
    account_rules,
    client_address,
)
from tradewind.web.pages.common import local_path, problem_text, render
from tradewind.web.pages.preferences import account_locale

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "tw_login_csrf"
COUNTRIES = sorted(REGIONS)
LOCALES = {"US": "en_US", "GB": "en_GB", "DE": "de_DE", "IL": "he_IL", "JP": "ja_JP"}


def _form_page(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: object,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        template,
        {"principal": None, "csrf_token": token, "countries": COUNTRIES, **context},
        status_code=status_code,
    )
    response.headers.update(headers or {})
    container = request.app.state.container
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=container.settings.secure_cookies,
        max_age=3600,
    )
    return response


def _csrf_ok(request: Request, sent: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected, sent)


def _start_session(container: ContainerDep, account_id: str, target: str) -> Response:
    settings = container.settings
    with container.uow() as uow:
        secret = identity.create_session(uow, account_id, settings.session_ttl_s)
        uow.commit()
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_ttl_s,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _form_page(request, "login.html", next=local_path(next))


@router.post("/login", response_model=None)
def login(
    request: Request,
    container: ContainerDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=64)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    target = local_path(next)
    locale.apply(request, None)
    if not _csrf_ok(request, csrf_token):
        return _form_page(
            request,
            "login.html",
            403,
            error=_("Your form expired; please try again."),
            email=email,
            next=target,
        )
    try:
        principal = identity.authenticate(
            container.uow,
            email,
            password,
            client=client_address(request, container),
            policy=container.settings.login_throttle,
        )
    except Unauthenticated:
        return _form_page(
            request,
            "login.html",
            401,
            error=_("Email or password is wrong."),
            email=email,
            next=target,
        )
    except TooManyRequests as exc:
        return _form_page(
            request,
            "login.html",
            429,
            headers={"Retry-After": str(exc.retry_after_s)},
            error=ngettext(
                "Too many failed attempts; try again in %(num)d second.",
                "Too many failed attempts; try again in %(num)d seconds.",
                exc.retry_after_s,
            )
            % {"num": exc.retry_after_s},
            email=email,
            next=target,
        )
    return _start_session(container, principal.account_id, landing(principal.role, target))


def landing(role: Role, target: str) -> str:
    """Where a login goes: the page asked for, else the role's own console."""
    if target != "/":
        return target
    return {Role.SELLER: "/seller", Role.OPERATOR: "/ops"}.get(role, "/")


@router.post("/logout")
def logout(request: Request, principal: PrincipalDep, container: ContainerDep) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with container.uow() as uow:
            identity.end_session(uow, secret)
            uow.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=container.settings.secure_cookies
    )
    return response


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, role: str = "buyer") -> HTMLResponse:
    return _form_page(
        request, "register.html", values={"role": role if role == "seller" else "buyer"}
    )


_SIGN_UP_FIELDS = ("display_name", "email", "password", "country")


@router.post("/register", response_model=None)
def register(
    request: Request,
    container: ContainerDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    display_name: Annotated[str, Form(max_length=100)],
    country: Annotated[str, Form(max_length=2)],
    role: Annotated[str, Form(max_length=10)],
    csrf_token: Annotated[str, Form(max_length=64)],
) -> Response:
    """Only buyers and sellers sign up here; operators are created by operators."""
    values = {"email": email, "display_name": display_name, "country": country, "role": role}
    language = locale.apply(request, None).language
    if not _csrf_ok(request, csrf_token):
        return _form_page(
            request,
            "register.html",
            403,
            error=_("Your form expired; please try again."),
            values=values,
        )
    chosen = Role.SELLER if role == "seller" else Role.BUYER
    new = identity.NewAccount(
        email=email,
        password=password,
        display_name=display_name,
        role=chosen,
        country=country,
        locale=account_locale(LOCALES.get(country.upper(), "en"), language),
    )
    try:
        prepared = identity.prepare_account(new, account_rules(container))  # no txn open
        with container.uow() as uow:
            account_id = identity.insert_account(uow, prepared)
            uow.commit()
    except DomainError as exc:
        # The reason beside its field (the email taken, a password too easy to guess), in
        # words; a refusal that names no field stays above the form.
        fields = [f.field for f in exc.errors if f.field in _SIGN_UP_FIELDS] or (
            ["email"] if exc.code is ProblemCode.EMAIL_TAKEN else []
        )
        errors = {fields[0]: problem_text(exc)} if fields else {}
        return _form_page(
            request,
            "register.html",
            422,
            error=None if errors else problem_text(exc),
            errors=errors,
            values=values,
        )
    target = "/seller" if chosen is Role.SELLER else "/"
    return _start_session(container, account_id, f"{target}?notice=registered")
