"""Request dependencies: the container, units of work, and who is asking.

``current_principal`` is the single authentication gate for the API and the pages: a bearer API
token, or a cookie session (which must then carry its CSRF token on every unsafe method).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from tradewind.bootstrap import Container
from tradewind.identity import service as identity
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import Forbidden, Unauthenticated

SESSION_COOKIE = "tw_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_container(request: Request) -> Container:
    container = request.app.state.container
    assert isinstance(container, Container)
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def optional_principal(request: Request, container: ContainerDep) -> Principal | None:
    if hasattr(request.state, "principal"):  # resolved once per request, however many deps ask
        cached: Principal | None = request.state.principal
        return cached
    principal: Principal | None = None
    auth = request.headers.get("authorization")
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("use 'Authorization: Bearer <token>'", code="bad_token")
        with container.uow(read_only=True) as uow:
            principal = identity.principal_from_token(uow, token.strip())
    elif (secret := request.cookies.get(SESSION_COOKIE)) is not None:
        with container.uow(read_only=True) as uow:
            principal = identity.principal_from_session(uow, secret)
        if principal is not None and request.method not in _SAFE_METHODS:
            await _check_csrf(request, principal)
    request.state.principal = principal
    return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = principal.csrf_token or ""
    if not sent or not hmac.compare_digest(sent, expected):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthenticated("log in or send an API token", code="unauthenticated")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
