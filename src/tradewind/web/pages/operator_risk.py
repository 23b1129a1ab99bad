"""The operator console's risk section: open cases (score, fired rules, linked accounts,
orders, holds) and a decision with a reason; a refused decision answers with the form again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from tradewind.identity.domain import Permission, Principal
from tradewind.kernel.errors import DomainError
from tradewind.risk import service as risk
from tradewind.web.deps import ContainerDep, OptionalPrincipalDep
from tradewind.web.pages import operator_forms as forms
from tradewind.web.pages.common import PAGE_SIZE, need, page, see_other

router = APIRouter(prefix="/ops", include_in_schema=False)


def _risk_page(
    request: Request,
    operator: Principal,
    container: ContainerDep,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    with container.uow(read_only=True) as uow:
        cases = [
            risk.get_case(uow, operator, c["id"])
            for c in risk.list_cases(uow, operator, status="open", limit=PAGE_SIZE, after=None)
        ]
        rules = risk.active_rules(uow)
    values = {
        "principal": operator,
        "cases": cases,
        "rules_version": rules.version,
        "mode": container.settings.risk_mode,
    }
    return forms.answer(request, "ops/risk.html", values, form or {}, error)


@router.get("/risk")
@page
def risk_cases(
    request: Request, principal: OptionalPrincipalDep, container: ContainerDep
) -> Response:
    return _risk_page(request, need(principal, Permission.CONSOLE), container)


@router.post("/risk/{case_id}")
@page
def decide_case(
    request: Request,
    principal: OptionalPrincipalDep,
    container: ContainerDep,
    case_id: Annotated[str, Path(max_length=40)],
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    operator = need(principal, Permission.RISK)
    form = {"case_id": case_id, "decision": decision, "reason": reason}
    try:
        with container.uow() as uow:
            risk.decide(uow, operator, case_id, decision, reason)
            uow.commit()
    except DomainError as exc:
        return _risk_page(request, operator, container, form=form, error=exc)
    return see_other("/ops/risk", "decided")
