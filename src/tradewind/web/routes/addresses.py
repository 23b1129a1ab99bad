"""A buyer's shipping addresses."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from tradewind.bootstrap import Container
from tradewind.db.uow import UnitOfWork
from tradewind.identity import address_book
from tradewind.identity import service as identity
from tradewind.identity.domain import Principal
from tradewind.risk.domain import EventKind
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.risk_signals import account_event, address_key
from tradewind.web.schemas import PROBLEM_RESPONSES, IdPath, StrictInput

router = APIRouter(prefix="/api/v1/addresses", tags=["identity"], responses=PROBLEM_RESPONSES)


class AddressIn(StrictInput):
    """Checked per country (required fields, postcode, region, phone): a missing or invalid
    field is 422 `invalid_address` with one error per field; the phone is stored in E.164."""

    full_name: str = Field(default="", max_length=100)
    line1: str = Field(default="", max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    region: str = Field(default="", max_length=100, description="state, province or region")
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(min_length=2, max_length=2)
    phone: str = Field(default="", max_length=32)


class AddressOut(BaseModel):
    id: str
    full_name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str
    is_default: bool = Field(description="The address the checkout offers first")
    created_at: datetime


class AddressList(BaseModel):
    items: list[AddressOut]


def _out(row: dict[str, Any]) -> AddressOut:
    return AddressOut.model_validate({k: v for k, v in row.items() if k != "account_id"})


@router.post("", response_model=AddressOut, status_code=201)
def add_address(
    body: AddressIn, request: Request, principal: PrincipalDep, container: ContainerDep
) -> AddressOut:
    with container.uow() as uow:
        row = save_new_address(uow, request, container, principal, body.model_dump())
        uow.commit()
    return _out(row)


def save_new_address(
    uow: UnitOfWork,
    request: Request,
    container: Container,
    principal: Principal,
    fields: dict[str, str],
) -> dict[str, Any]:
    """Add a checked address and tell risk about it (the API and the address book page)."""
    row = identity.add_address(uow, principal, identity.AddressInput(**fields))
    signal = account_event(
        EventKind.ADDRESS_ADDED, request, container, principal.account_id, uow.clock.now()
    )
    uow.publish(replace(signal, address=address_key(row)))
    return row


@router.get("", response_model=AddressList)
def list_addresses(principal: PrincipalDep, container: ContainerDep) -> AddressList:
    with container.uow(read_only=True) as uow:
        return AddressList(items=[_out(r) for r in identity.list_addresses(uow, principal)])


@router.get("/{address_id}", response_model=AddressOut)
def get_address(address_id: str, principal: PrincipalDep, container: ContainerDep) -> AddressOut:
    with container.uow(read_only=True) as uow:
        return _out(identity.get_address(uow, principal, address_id))


@router.put("/{address_id}", response_model=AddressOut)
def update_address(
    address_id: IdPath, body: AddressIn, principal: PrincipalDep, container: ContainerDep
) -> AddressOut:
    """Replace the address's fields, checked as a new address is; orders keep their copy."""
    row = address_book.update_address(
        container.uow, principal, address_id, identity.AddressInput(**body.model_dump())
    )
    return _out(row)


@router.post("/{address_id}/default", response_model=AddressOut)
def make_default(
    address_id: IdPath, principal: PrincipalDep, container: ContainerDep
) -> AddressOut:
    """The checkout offers this address first; the others stop being the default."""
    address_book.set_default_address(container.uow, principal, address_id)
    with container.uow(read_only=True) as uow:
        row = identity.get_address(uow, principal, address_id)
    return _out(row)


@router.delete("/{address_id}", status_code=204)
def delete_address(
    address_id: IdPath, principal: PrincipalDep, container: ContainerDep
) -> Response:
    """Remove the address (a deleted default passes to the newest remaining address)."""
    address_book.delete_address(container.uow, principal, address_id)
    return Response(status_code=204)
