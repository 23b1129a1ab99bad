"""The operator's part of the seller quality rules, kept small: the shops the rules warned or
paused, what they are past, and the decision that lifts a pause, with a reason the shop sees.
(The wider console, its queues and audit search, lives elsewhere.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from tradewind.bootstrap import Container
from tradewind.catalog import service as catalog
from tradewind.identity.domain import Principal, Role
from tradewind.kernel.errors import Conflict, DomainError, InvalidInput, LimitExceeded
from tradewind.quality import enforcement
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import operator_forms as forms
from tradewind.web.pages.common import need, page, see_other
from tradewind.web.pages.seller_performance import step_rows

router = APIRouter(prefix="/ops", include_in_schema=False)
SHOWN = 200  # shops on the page (the rules rarely hold more at once)


def _page(
    request: Request,
    operator: Principal,
    container: Container,
    *,
    failed: str | None = None,
    reason: str = "",
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        shops: list[dict[str, Any]] = catalog.active_sellers(
            uow, after=None, limit=SHOWN, levels=("warned", "paused")
        )
        for shop in shops:
            shop["steps"] = step_rows(enforcement.history(uow, shop["id"], limit=3))
    values = {"principal": operator, "shops": shops, "failed": failed, "reason": reason}
    return forms.answer(request, "ops/quality.html", values, {"reason": reason}, error)


@router.get("/quality")
@page
def quality_queue(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    return _page(request, need(principal, Role.OPERATOR), container)


@router.post("/quality/{seller_id}/reinstate")
@page
def reinstate(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    seller_id: Annotated[str, Path(max_length=40)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A refused decision (no reason, not paused) answers with the page again, the reason kept
    and the error beside it."""
    operator = need(principal, Role.OPERATOR)
    try:
        with container.uow() as uow:
            enforcement.reinstate(uow, operator, seller_id, reason)
            uow.commit()
    except (InvalidInput, LimitExceeded, Conflict) as exc:
        return _page(request, operator, container, failed=seller_id, reason=reason, error=exc)
    return see_other("/ops/quality", "reinstated")
