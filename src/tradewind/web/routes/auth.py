"""Accounts and API tokens."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tradewind.identity import service as identity
from tradewind.identity.domain import Principal, Role
from tradewind.web.deps import ContainerDep, PrincipalDep
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
        description="ISO 4217; defaults to the country's currency",
    )
    locale: str = Field(default="en", max_length=16)


class AccountOut(BaseModel):
    id: str
    email: str
    display_name: str
    role: str
    country: str
    currency: str
    locale: str


class TokenIn(StrictInput):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    name: str = Field(default="api", max_length=100)


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    account: AccountOut


def account_out(p: Principal) -> AccountOut:
    return AccountOut(
        id=p.account_id,
        email=p.email,
        display_name=p.display_name,
        role=p.role.value,
        country=p.country,
        currency=p.currency,
        locale=p.locale,
    )


@router.post("/accounts", response_model=TokenOut, status_code=201)
def register(body: RegisterIn, container: ContainerDep) -> TokenOut:
    """Create a buyer or seller account and return an API token for it."""
    with container.uow() as uow:
        account_id = identity.register_account(
            uow,
            identity.NewAccount(
                email=body.email,
                password=body.password,
                display_name=body.display_name,
                role=Role(body.role),
                country=body.country,
                currency=body.currency,
                locale=body.locale,
            ),
        )
        token = identity.create_api_token(uow, account_id)
        principal = identity.principal_from_token(uow, token)
        uow.commit()
    return TokenOut(token=token, account=account_out(principal))


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(body: TokenIn, container: ContainerDep) -> TokenOut:
    """Exchange email and password for a bearer token (throttled after repeated failures)."""
    settings = container.settings
    with container.uow() as uow:
        principal = identity.authenticate(
            uow,
            body.email,
            body.password,
            max_failures=settings.login_max_failures,
            window_s=settings.login_window_s,
        )
        token = identity.create_api_token(uow, principal.account_id, body.name)
        uow.commit()
    return TokenOut(token=token, account=account_out(principal))


@router.get("/me", response_model=AccountOut)
def me(principal: PrincipalDep) -> AccountOut:
    return account_out(principal)
