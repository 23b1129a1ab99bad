"""Parcel tracking: the carrier's webhooks in, the buyer-visible timeline out; notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tradewind.bootstrap import POSTAL_WEBHOOK_PATH
from tradewind.fulfilment import postal_sim
from tradewind.fulfilment import tracking as tracking_service
from tradewind.kernel import i18n
from tradewind.notifications import service as notifications
from tradewind.web import locale
from tradewind.web.deps import ContainerDep, PrincipalDep
from tradewind.web.schemas import MAX_PAGE_SIZE, MAX_SERIAL_ID, PROBLEM_RESPONSES, IdPath

router = APIRouter(tags=["tracking"], responses=PROBLEM_RESPONSES)


class TrackingEventOut(BaseModel):
    code: str
    status: str
    occurred_at: datetime
    location: str
    description: str


class TrackingAck(BaseModel):
    received: int


@router.get("/api/v1/orders/{order_id}/tracking", response_model=list[TrackingEventOut])
def order_tracking(
    order_id: IdPath, principal: PrincipalDep, container: ContainerDep
) -> list[TrackingEventOut]:
    """The parcel's timeline, oldest first, in event time (not arrival order)."""
    with container.uow(read_only=True) as uow:
        rows = tracking_service.timeline_for_order(uow, principal, order_id)
    return [TrackingEventOut.model_validate(r) for r in rows]


@router.post(POSTAL_WEBHOOK_PATH, response_model=TrackingAck)
async def postal_webhook(request: Request, container: ContainerDep) -> Response:
    """Signed tracking events from the carrier. Duplicates and out-of-order events are fine."""
    body = await request.body()
    signature = request.headers.get(postal_sim.SIGNATURE_HEADER)

    def handle() -> int:
        return tracking_service.receive_webhook(
            container.uow,
            container.policy,
            container.payments,
            container.postal_secret,
            body,
            signature,
        )

    return JSONResponse({"received": await run_in_threadpool(handle)})


class NotificationOut(BaseModel):
    id: int
    kind: str
    subject: str
    order_id: str | None
    created_at: datetime
    read_at: datetime | None


@router.get("/api/v1/notifications", response_model=list[NotificationOut])
def inbox(
    principal: PrincipalDep,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    before: Annotated[int | None, Query(ge=1, le=MAX_SERIAL_ID)] = None,
) -> list[NotificationOut]:
    """Newest first; page with `before` = the last id you saw."""
    with container.uow(read_only=True) as uow:
        rows = notifications.inbox(uow, principal.account_id, limit=limit, after=before)
    # The subject in the account's own language (``accounts.locale``), as its pages show it.
    with i18n.use_language(locale.language_of(principal.locale) or i18n.DEFAULT_LANGUAGE):
        return [
            NotificationOut.model_validate({**r, "subject": notifications.text_of(r)}) for r in rows
        ]


@router.post("/api/v1/notifications/{notification_id}/read", status_code=204)
def mark_read(
    notification_id: Annotated[int, Path(ge=1, le=MAX_SERIAL_ID)],
    principal: PrincipalDep,
    container: ContainerDep,
) -> Response:
    with container.uow() as uow:
        notifications.mark_read(uow, principal.account_id, notification_id)
        uow.commit()
    return Response(status_code=204)
