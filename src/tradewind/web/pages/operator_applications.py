"""The seller applications queue: each waiting shop's whole application (name, country, what it
sells, how to reach it, where it ships from, when it applied), approved or rejected with a
reason that the seller then reads on its seller-center page.

Reading needs the console; deciding needs ``sellers`` (catalog and admin staff), as the shop
list's approve button does. A refused decision answers with the queue again, the reason kept in
that application's form and the error beside it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from tradewind.bootstrap import Container
from tradewind.catalog import service as catalog
from tradewind.catalog.domain import SellerStatus
from tradewind.identity import contacts
from tradewind.identity.domain import Permission, Principal
from tradewind.kernel.errors import DomainError
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import operator_forms as forms
from tradewind.web.pages.common import PAGE_SIZE, need, page, see_other

router = APIRouter(prefix="/ops", include_in_schema=False)


@router.get("/applications")
@page
def applications(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    after: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    return _page(request, need(principal, Permission.CONSOLE), container, after)


def _page(
    request: Request,
    operator: Principal,
    container: Container,
    after: str | None,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        rows = catalog.list_sellers(
            uow, operator, status=SellerStatus.PENDING.value, limit=PAGE_SIZE, after=after
        )
        emails = contacts.emails(uow, [r["account_id"] for r in rows])
    values = {
        "principal": operator,
        "applications": rows,
        "emails": emails,
        "next_after": rows[-1]["id"] if len(rows) == PAGE_SIZE else None,
    }
    empty = {"seller_id": "", "reason": ""}
    return forms.answer(request, "ops/applications.html", values, form or empty, error)


@router.post("/applications/{seller_id}")
@page
def decide(
    seller_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_]{1,40}$")],
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    action: Annotated[Literal["approve", "reject"], Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Approve or reject one application, with a reason the seller sees (and the audit log
    keeps); deciding one already decided is refused and changes nothing."""
    operator = need(principal, Permission.SELLERS)
    form = {"seller_id": seller_id, "reason": reason}
    try:
        why = forms.reason(reason, "reason")
        with container.uow() as uow:
            catalog.change_seller_status(uow, operator, seller_id, action, why)
            uow.commit()
    except DomainError as exc:
        return _page(request, operator, container, None, form=form, error=exc)
    return see_other("/ops/applications", action)
