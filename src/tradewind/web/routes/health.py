"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from tradewind.web.deps import ContainerDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: answers without touching the database (load balancers call it often)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health)
def readyz(container: ContainerDep) -> Health:
    """Readiness: the database answers."""
    with container.uow(read_only=True) as uow:
        uow.conn.execute(text("SELECT 1"))
    return Health(status="ok")
