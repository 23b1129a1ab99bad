"""``/account/addresses``: a buyer's address book (list, add, edit, delete, choose the default).

The same identity functions as ``/api/v1/addresses``; every address is checked per country, and
a refusal shows the form again with what was typed kept and each error under its field. The
checkout and the flash-sale claim offer these addresses, the default first.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from tradewind.identity import address_book
from tradewind.identity import service as identity
from tradewind.identity.addresses import ADDRESS_FIELDS
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.errors import DomainError
from tradewind.kernel.i18n import N_
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import local_path, need, page, problem_text, render, see_other
from tradewind.web.pages.settings import _country_options, field_errors
from tradewind.web.problems import status_for
from tradewind.web.routes.addresses import save_new_address
from tradewind.web.schemas import IdPath

router = APIRouter(include_in_schema=False)
BOOK = "/account/addresses"
DONE = {
    "added": N_("The address was added."),
    "updated": N_("The address was updated."),
    "deleted": N_("The address was deleted."),
    "default": N_("This is now your default address."),
}


class AddressForm:
    """The address fields as one form dependency (FastAPI reads each as a form field)."""

    def __init__(
        self,
        full_name: Annotated[str, Form(max_length=100)] = "",
        line1: Annotated[str, Form(max_length=200)] = "",
        line2: Annotated[str, Form(max_length=200)] = "",
        city: Annotated[str, Form(max_length=100)] = "",
        region: Annotated[str, Form(max_length=100)] = "",
        postal_code: Annotated[str, Form(max_length=20)] = "",
        country: Annotated[str, Form(max_length=2)] = "",
        phone: Annotated[str, Form(max_length=32)] = "",
    ) -> None:
        values = (full_name, line1, line2, city, region, postal_code, country, phone)
        self.fields = dict(zip(ADDRESS_FIELDS, values, strict=True))


def _book(
    request: Request,
    container: ContainerDep,
    buyer: Principal,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    editing: str = "",
    next_path: str = "",
    form_error: str = "",
) -> Response:
    with container.uow(read_only=True) as uow:
        saved = identity.list_addresses(uow, buyer)
    blank = {"country": buyer.country, "full_name": buyer.display_name}
    if editing and values is None:
        values = next(({k: a[k] for k in ADDRESS_FIELDS} for a in saved if a["id"] == editing), {})
    return render(
        request,
        "account/addresses.html",
        {
            "principal": buyer,
            "addresses": saved,
            "values": values or blank,
            "errors": errors or {},
            "editing": editing,
            "next_path": next_path,
            "form_error": form_error,
            "country_options": _country_options(buyer),
            "done": DONE.get(request.query_params.get("done", "")),
        },
        status_code=status_code,
    )


def _after(done: str, next_path: str) -> Response:
    return see_other(local_path(next_path) if next_path else f"{BOOK}?done={done}")


@router.get(BOOK)
@page
def address_book_page(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    next: Annotated[str, Query(max_length=300)] = "",
    edit: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    buyer = need(principal, Role.BUYER)
    return _book(request, container, buyer, editing=edit, next_path=local_path(next, ""))


@router.post(BOOK)
@page
def add_address(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    form: Annotated[AddressForm, Depends()],
    next_path: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    buyer = need(principal, Role.BUYER)
    try:
        with container.uow() as uow:
            save_new_address(uow, request, container, buyer, form.fields)
            uow.commit()
    except DomainError as exc:
        return _refused(request, container, buyer, exc, form.fields, "", next_path)
    return _after("added", next_path)


def _refused(
    request: Request,
    container: ContainerDep,
    buyer: Principal,
    exc: DomainError,
    values: dict[str, str],
    editing: str,
    next_path: str,
) -> Response:
    return _book(
        request,
        container,
        buyer,
        status_code=status_for(exc),
        values=values,
        errors=field_errors(exc),
        form_error="" if exc.errors else problem_text(exc),
        editing=editing,
        next_path=next_path,
    )


@router.post(BOOK + "/{address_id}")
@page
def update_address(
    address_id: IdPath,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    form: Annotated[AddressForm, Depends()],
) -> Response:
    buyer = need(principal, Role.BUYER)
    data = identity.AddressInput(**form.fields)
    try:
        address_book.update_address(container.uow, buyer, address_id, data)
    except DomainError as exc:
        if not exc.errors:
            raise  # not a field problem (someone else's address: 404)
        return _refused(request, container, buyer, exc, form.fields, address_id, "")
    return _after("updated", "")


@router.post(BOOK + "/{address_id}/default")
@page
def make_default(
    address_id: IdPath, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    address_book.set_default_address(container.uow, need(principal, Role.BUYER), address_id)
    return _after("default", "")


@router.post(BOOK + "/{address_id}/delete")
@page
def delete_address(
    address_id: IdPath, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    address_book.delete_address(container.uow, need(principal, Role.BUYER), address_id)
    return _after("deleted", "")


def default_address_id(saved: list[dict[str, Any]]) -> str:
    """The address a form offers first: the default, else the newest."""
    chosen = next((a for a in saved if a["is_default"]), saved[-1] if saved else None)
    return str(chosen["id"]) if chosen else ""
