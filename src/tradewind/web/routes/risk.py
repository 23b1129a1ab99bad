"""Operators' risk tools: the case queue, decisions, rule versions, backtests, the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from tradewind.audit import service as audit
from tradewind.identity.domain import Permission, require_permission
from tradewind.risk import service as risk
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.idempotency import key_header_openapi, run_idempotent
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

router = APIRouter(prefix="/api/v1/ops", tags=["risk"], responses=PROBLEM_RESPONSES)
Paging = Annotated[PageParams, Depends(page_params)]
MAX_RULES_JSON = 20_000
MAX_BACKTEST_DAYS = 400


class HoldOut(BaseModel):
    action: str
    target_id: str
    amount: int
    lifted: bool


class CaseOut(BaseModel):
    id: str
    subject_kind: str
    subject_id: str
    rules_version: int
    score_bp: int = Field(description="Score in basis points: 1 - prod(1 - weight) x 10,000")
    rules: list[str]
    shadow_rules: list[str]
    actions: list[str]
    orders: list[str]
    accounts: list[str] = Field(description="Linked accounts: those the fired rules tie together")
    status: Literal["open", "allowed", "confirmed"]
    opened_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None
    holds: list[HoldOut] = []


class DecisionIn(StrictInput):
    decision: Literal["allow", "confirm"]
    reason: str = Field(min_length=1, max_length=500)


class RulesIn(StrictInput):
    rules: str = Field(min_length=2, max_length=MAX_RULES_JSON, description="Rule set JSON")
    note: str = Field(min_length=1, max_length=200)
    activate: bool = False


class RulesOut(BaseModel):
    version: int
    case_at: float
    rules: list[dict[str, Any]]


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: str
    action: str
    subject_kind: str
    subject_id: str
    reason: str
    detail: dict[str, Any]


def _rules_out(rule_set: Any) -> RulesOut:
    import json

    data = json.loads(rule_set.to_json())
    return RulesOut(version=rule_set.version, case_at=data["case_at"], rules=data["rules"])


@router.get("/risk/cases", response_model=Page[CaseOut])
def list_cases(
    principal: PrincipalDep,
    container: ContainerDep,
    paging: Paging,
    status: Annotated[Literal["open", "allowed", "confirmed"] | None, Query()] = None,
) -> Page[CaseOut]:
    """The case queue, oldest first: score, fired rules, linked accounts, holds."""
    with container.uow(read_only=True) as uow:
        rows = risk.list_cases(
            uow, principal, status=status, limit=paging.limit, after=paging.after
        )
    return Page[CaseOut](
        items=[CaseOut.model_validate(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/risk/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: str, principal: PrincipalDep, container: ContainerDep) -> CaseOut:
    with container.uow(read_only=True) as uow:
        return CaseOut.model_validate(risk.get_case(uow, principal, case_id))


@router.post(
    "/risk/cases/{case_id}/decision",
    response_model=CaseOut,
    openapi_extra=key_header_openapi(required=True),
)
def decide(
    case_id: str,
    body: DecisionIn,
    request: Request,
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    """Allow (lift the holds: a held capture goes ahead) or confirm (keep them), with a reason;
    written to the audit log. Requires an Idempotency-Key (allowing moves money)."""
    require_permission(principal, Permission.RISK)
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: CaseOut.model_validate(
            risk.decide(uow, principal, case_id, body.decision, body.reason)
        ),
        status_code=200,
        required=True,
    )


@router.get("/risk/rules", response_model=RulesOut)
def active_rules(principal: PrincipalDep, container: ContainerDep) -> RulesOut:
    require_permission(principal, Permission.CONSOLE)
    with container.uow(read_only=True) as uow:
        return _rules_out(risk.active_rules(uow))


@router.post("/risk/rules", response_model=RulesOut, status_code=201)
def add_rules(body: RulesIn, principal: PrincipalDep, container: ContainerDep) -> RulesOut:
    """Store the next rules version (active now, or kept for backtests)."""
    require_permission(principal, Permission.RISK)
    with container.uow() as uow:
        added = risk.add_rules_version(
            uow, principal, body.rules, note=body.note, activate=body.activate
        )
        uow.commit()
    return _rules_out(added)


@router.get("/risk/backtest")
def backtest(
    principal: PrincipalDep,
    container: ContainerDep,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> dict[str, Any]:
    """Replay stored events of those days (``to`` included) through a rules version."""
    require_permission(principal, Permission.RISK)
    first = datetime.combine(start, time(), UTC)
    last = datetime.combine(end, time(), UTC) + timedelta(days=1)
    if (last - first).days > MAX_BACKTEST_DAYS:
        from tradewind.kernel.errors import LimitExceeded

        raise LimitExceeded(f"at most {MAX_BACKTEST_DAYS} days")
    with container.uow(read_only=True) as uow:
        result = risk.backtest(uow, first, last, version)
    result.pop("assessments")
    return result


@router.get("/audit", response_model=Page[AuditOut])
def audit_log(
    principal: PrincipalDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    subject_kind: Annotated[str | None, Query(max_length=20, pattern=r"^[a-z_]+$")] = None,
    subject_id: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_]+$")] = None,
) -> Page[AuditOut]:
    """Operator actions, oldest first: who, when, what, to which subject, why."""
    require_permission(principal, Permission.CONSOLE)
    with container.uow(read_only=True) as uow:
        rows = audit.entries(
            uow, subject_kind=subject_kind, subject_id=subject_id, limit=limit, after=after
        )
    return Page[AuditOut](
        items=[AuditOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=str(rows[-1].id) if len(rows) == limit else None,
    )
