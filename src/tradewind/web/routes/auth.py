"""Accounts, API tokens, the owner's profile and password, and logging out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from tradewind.identity import service as identity
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.errors import Unauthenticated
from tradewind.kernel.problems import ProblemCode
from tradewind.risk.domain import EventKind
from tradewind.web.deps import (
    SESSION_COOKIE,
    ContainerDep,
    PrincipalDep,
    account_rules,
    bearer_token,
    client_address,
)
from tradewind.web.risk_signals import account_event
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

router = APIRouter(prefix="/api/v1", tags=["identity"], responses=PROBLEM_RESPONSES)


class RegisterIn(StrictInput):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    display_name: str = Field(max_length=100)
    role: Literal["buyer", "seller"] = "buyer"
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    currency: str | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        description="ISO 4217, one of TRADEWIND_ACCOUNT_CURRENCIES; defaults to the country's "
        "currency when supported, else the first supported one",
    )
    locale: str = Field(default="en", max_length=16)


class ProfileIn(StrictInput):
    display_name: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    locale: str | None = Field(default=None, max_length=16)
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description='IANA zone for times on pages (Asia/Shanghai); "" goes back to the country\'s',
    )


class PasswordIn(StrictInput):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class AccountOut(BaseModel):
    id: str
    email: str
    display_name: str
    role: str
    country: str
    currency: str
    locale: str
    time_zone: str | None


class TokenIn(StrictInput):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    name: str = Field(default="api", max_length=100)


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    account: AccountOut


class TokenInfo(BaseModel):
    id: str
    name: str
    created_at: datetime
    expires_at: datetime | None


class TokenList(BaseModel):
    items: list[TokenInfo]


def account_out(p: Principal) -> AccountOut:
    return AccountOut(
        id=p.account_id,
        email=p.email,
        display_name=p.display_name,
        role=p.role.value,
        country=p.country,
        currency=p.currency,
        locale=p.locale,
        time_zone=p.time_zone,
    )


@router.post("/accounts", response_model=TokenOut, status_code=201)
def register(body: RegisterIn, request: Request, container: ContainerDep) -> TokenOut:
    """Create a buyer or seller account and return an API token for it."""
    new = identity.NewAccount(
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        role=Role(body.role),
        country=body.country,
        currency=body.currency,
        locale=body.locale,
    )
    prepared = identity.prepare_account(new, account_rules(container))  # hashes: no txn open
    with container.uow() as uow:
        account_id = identity.insert_account(uow, prepared)
        token = identity.create_api_token(
            uow, account_id, ttl_days=container.settings.api_token_ttl_days
        )
        principal = identity.principal_for_account(uow, account_id)
        uow.publish(
            account_event(EventKind.SIGNUP, request, container, account_id, uow.clock.now())
        )
        uow.commit()
    return TokenOut(token=token, account=account_out(principal))


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(body: TokenIn, request: Request, container: ContainerDep) -> TokenOut:
    """Exchange email and password for a bearer token (throttled per account and per client
    address: 429 with Retry-After)."""
    principal = identity.authenticate(
        container.uow,
        body.email,
        body.password,
        client=client_address(request, container),
        policy=container.settings.login_throttle,
    )
    with container.uow() as uow:
        token = identity.create_api_token(
            uow, principal.account_id, body.name, ttl_days=container.settings.api_token_ttl_days
        )
        now = uow.clock.now()
        uow.publish(account_event(EventKind.LOGIN, request, container, principal.account_id, now))
        uow.commit()
    return TokenOut(token=token, account=account_out(principal))


@router.get("/tokens", response_model=TokenList)
def list_tokens(principal: PrincipalDep, container: ContainerDep) -> TokenList:
    """The caller's usable API tokens (never their secrets)."""
    with container.uow(read_only=True) as uow:
        rows = identity.list_tokens(uow, principal)
    return TokenList(items=[TokenInfo(**r) for r in rows])


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    token_id: Annotated[str, Path(max_length=40)], principal: PrincipalDep, container: ContainerDep
) -> Response:
    """Revoke one of the caller's tokens, on every server process at once (idempotent)."""
    identity.revoke_token(container.uow, principal, token_id)
    container.revocations.publish()
    return Response(status_code=204)


@router.post("/logout", status_code=204)
def logout(request: Request, principal: PrincipalDep, container: ContainerDep) -> Response:
    """End the credential this request came with: revoke its API token or its cookie session."""
    token = bearer_token(request)
    secret = request.cookies.get(SESSION_COOKIE)
    with container.uow() as uow:
        if token is not None:
            identity.revoke_token_secret(uow, token)
        elif secret is not None:
            identity.end_session(uow, secret)
        else:  # unreachable: PrincipalDep needs one of the two
            raise Unauthenticated("log in or send an API token", code=ProblemCode.UNAUTHENTICATED)
        uow.commit()
    container.revocations.publish()
    response = Response(status_code=204)
    if token is None:
        response.delete_cookie(
            SESSION_COOKIE, httponly=True, samesite="lax", secure=container.settings.secure_cookies
        )
    return response


@router.get("/me", response_model=AccountOut)
def me(principal: PrincipalDep) -> AccountOut:
    return account_out(principal)


@router.patch("/me", response_model=AccountOut)
def update_me(body: ProfileIn, principal: PrincipalDep, container: ContainerDep) -> AccountOut:
    """Change the caller's display name, country, currency, locale or time zone (sign-up's
    rules)."""
    changes = identity.ProfileChanges(**body.model_dump())
    updated = identity.update_profile(container.uow, principal, changes, account_rules(container))
    container.revocations.publish()  # cached principals carry the old profile
    return account_out(updated)


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordIn, request: Request, principal: PrincipalDep, container: ContainerDep
) -> Response:
    """Change the caller's password: the current one is checked (and throttled like a login).
    The caller's other API tokens and sessions end, on every server process."""
    identity.change_password(
        container.uow,
        principal,
        body.current_password,
        body.new_password,
        client=client_address(request, container),
        rules=account_rules(container),
        policy=container.settings.login_throttle,
        keep=bearer_token(request) or request.cookies.get(SESSION_COOKIE),
    )
    container.revocations.publish()
    return Response(status_code=204)
