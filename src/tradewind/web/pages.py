"""Server-rendered pages (Jinja2 + htmx). Authorization is checked here, on the server."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tradewind import __version__
from tradewind.identity import service as identity
from tradewind.kernel.errors import TooManyRequests, Unauthenticated
from tradewind.web.deps import SESSION_COOKIE, ContainerDep, OptionalPrincipalDep, PrincipalDep

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["version"] = __version__

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "tw_login_csrf"


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: OptionalPrincipalDep) -> HTMLResponse:
    return render(request, "home.html", {"principal": principal})


def _login_page(
    request: Request, *, error: str | None = None, email: str = "", status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"principal": None, "csrf_token": token, "error": error, "email": email},
        status_code=status_code,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


@router.post("/login", response_model=None)
def login(
    request: Request,
    container: ContainerDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=64)],
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request, error="Your form expired; please try again.", email=email, status_code=403
        )
    settings = container.settings
    try:
        with container.uow() as uow:
            principal = identity.authenticate(
                uow,
                email,
                password,
                max_failures=settings.login_max_failures,
                window_s=settings.login_window_s,
            )
            secret = identity.create_session(uow, principal.account_id, settings.session_ttl_s)
            uow.commit()
    except Unauthenticated:
        return _login_page(
            request, error="Email or password is wrong.", email=email, status_code=401
        )
    except TooManyRequests:
        return _login_page(
            request,
            error="Too many failed attempts; try again later.",
            email=email,
            status_code=429,
        )
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_ttl_s,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, principal: PrincipalDep, container: ContainerDep) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with container.uow() as uow:
            identity.end_session(uow, secret)
            uow.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
