"""Disputes as a conversation: the buyer claims, the seller replies, an operator decides.

One page serves all three roles; ``dispute_view`` decides who may see it (404 otherwise), and
only operators get the resolution form (the service refuses anyone else as well).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradewind.escrow import disputes
from tradewind.escrow import service as escrow
from tradewind.escrow.domain import DisputeStatus, Resolution
from tradewind.identity.domain import Permission
from tradewind.kernel.errors import InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.money.amount import Money
from tradewind.ordering import orders
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages.common import need, page, render, see_other

router = APIRouter(include_in_schema=False)
MAX_LISTED = 200
# Queue order: what needs an operator first, then what waits on the seller, resolved last.
QUEUE_ORDER = {
    DisputeStatus.ESCALATED.value: 0,
    DisputeStatus.OPEN.value: 1,
    DisputeStatus.SELLER_RESPONDED.value: 2,
    DisputeStatus.RESOLVED.value: 3,
}


@router.get("/disputes")
@page
def dispute_list(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    viewer = need(principal)
    with container.uow(read_only=True) as uow:
        rows = disputes.list_disputes(uow, viewer, status=None, limit=MAX_LISTED, after=None)
    rows.sort(key=lambda d: (QUEUE_ORDER.get(d["status"], 9), d["id"]))
    return render(request, "disputes.html", {"principal": viewer, "disputes": rows})


@router.get("/disputes/{dispute_id}")
@page
def dispute_page(
    dispute_id: str, request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    viewer = need(principal)
    with container.uow(read_only=True) as uow:
        dispute = disputes.dispute_view(uow, viewer, dispute_id)
        order = orders.get_order(uow, viewer, dispute["order_id"])
        held = escrow.escrow_held(uow, order["id"]) if viewer.is_operator else None
    return render(
        request,
        "dispute.html",
        {
            "principal": viewer,
            "dispute": dispute,
            "order": order,
            "held_minor": held,
            "resolutions": list(Resolution),
            "resolved": dispute["status"] == DisputeStatus.RESOLVED.value,
        },
    )


@router.post("/disputes/{dispute_id}/messages")
@page
def post_message(
    dispute_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    message: Annotated[str, Form(min_length=1, max_length=disputes.MAX_MESSAGE_LEN)],
) -> Response:
    disputes.respond(container.uow, need(principal), dispute_id, message)
    return see_other(f"/disputes/{dispute_id}", "message")


@router.post("/disputes/{dispute_id}/escalate")
@page
def escalate(
    dispute_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    message: Annotated[str, Form(max_length=disputes.MAX_MESSAGE_LEN)] = "",
) -> Response:
    disputes.escalate(container.uow, need(principal), dispute_id, message or "please decide")
    return see_other(f"/disputes/{dispute_id}", "escalated")


@router.post("/disputes/{dispute_id}/resolve")
@page
def resolve(
    dispute_id: str,
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    resolution: Annotated[Resolution, Form()],
    refund: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """``refund`` is typed in major units of the order's currency (e.g. ``40.00``)."""
    operator = need(principal, Permission.DISPUTES)
    with container.uow() as uow:
        dispute = disputes.dispute_view(uow, operator, dispute_id)
        currency = orders.get_order(uow, operator, dispute["order_id"])["currency"]
        amount = None
        if resolution is Resolution.REFUND_PARTIAL:
            if not refund.strip():
                raise InvalidInput(
                    "enter the amount to refund", code=ProblemCode.INVALID_REFUND_AMOUNT
                )
            amount = Money.from_major(refund.strip(), currency).amount_minor
        disputes.resolve(
            uow,
            container.policy,
            container.payments,
            operator,
            dispute_id,
            resolution,
            amount,
            note,
        )
        uow.commit()
    return see_other(f"/disputes/{dispute_id}", "resolved")
