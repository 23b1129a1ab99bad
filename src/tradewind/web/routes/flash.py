"""Flash sales: campaigns, claims, the waitlist, and a buyer's own view.

The claim route is the hottest in the product, so it is ``async`` and asks the in-memory gate
first: not-started, ended and sold-out answers cost no database round trip and no thread hop,
and come before authentication (the sale's state is public anyway). Only a claim the gate lets
through authenticates and queues for the per-process claim writer.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from tradewind.bootstrap import Container
from tradewind.flash import service as flash
from tradewind.flash import waitlist
from tradewind.flash.claims import ClaimInput
from tradewind.flash.domain import MAX_UNITS_PER_CLAIM, Buyer, Terms
from tradewind.idempotency.service import validate_key
from tradewind.identity import service as identity
from tradewind.identity.addresses import ADDRESS_FIELDS, check_address
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import DomainError, FieldError, InvalidInput, NotFound
from tradewind.kernel.problems import ProblemCode
from tradewind.web.deps import (
    ContainerDep,
    PrincipalDep,
    current_principal,
    get_container,
    optional_principal,
)
from tradewind.web.idempotency import REPLAY_HEADER, key_header_openapi, run_idempotent
from tradewind.web.pagination import Page, PageParams, page_params
from tradewind.web.problems import problem_response, status_for
from tradewind.web.routes.ordering import ShipTo
from tradewind.web.schemas import PROBLEM_RESPONSES, StrictInput

router = APIRouter(prefix="/api/v1", tags=["flash sales"], responses=PROBLEM_RESPONSES)
KEY_HEADER = "Idempotency-Key"
MAX_ID_LEN = 64
SaleId = Annotated[str, Path(max_length=MAX_ID_LEN)]


class SaleIn(StrictInput):
    offer_id: str = Field(max_length=64)
    price_minor: int = Field(ge=1, description="Sale price in the offer's currency, minor units")
    pool_units: int = Field(ge=1, le=1_000_000, description="Units for the sale, apart from stock")
    per_buyer_limit: int = Field(ge=1, le=1_000_000, description="Units one buyer may ever hold")
    hold_s: int = Field(ge=60, le=86_400, description="Seconds a claim waits for payment")
    starts_at: AwareDatetime = Field(strict=False)
    ends_at: AwareDatetime = Field(strict=False)


class SaleOut(BaseModel):
    id: str
    offer_id: str
    seller_id: str
    product_id: str
    title: str
    price_minor: int
    currency: str
    pool_units: int
    remaining_units: int
    claimed_units: int
    claimed_percent: float
    per_buyer_limit: int
    hold_s: int
    starts_at: datetime
    ends_at: datetime
    phase: str = Field(description="scheduled, live, sold_out or ended")
    server_time: datetime = Field(description="Count down from this, never the client's clock")
    starts_in_s: int
    ends_in_s: int
    created_at: datetime
    waitlist_length: int | None = None


class Destination(StrictInput):
    address_id: str | None = Field(default=None, max_length=64)
    ship_to: ShipTo | None = None


class ClaimIn(Destination):
    quantity: int = Field(default=1, ge=1, le=MAX_UNITS_PER_CLAIM)


class ClaimOut(BaseModel):
    id: str
    sale_id: str
    buyer_id: str
    quantity: int
    status: str = Field(description="active, releasing or released")
    source: str = Field(description="claim, or waitlist when released units were handed on")
    checkout_id: str = Field(description="Pay it: POST /api/v1/checkouts/{checkout_id}/payment")
    order_id: str
    currency: str
    total_minor: int
    hold_until: datetime = Field(description="Unpaid by then, the claim expires")
    created_at: datetime
    released_at: datetime | None
    order_status: str | None = None


def claim_openapi() -> dict[str, Any]:
    """The claim's path parameter, key header and body, as FastAPI would document them."""
    return {
        "parameters": [
            {
                "name": "sale_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "maxLength": MAX_ID_LEN},
            },
            {
                "name": KEY_HEADER,
                "in": "header",
                "required": True,
                "description": "A retry with the same key returns the same claim",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(ClaimIn.model_json_schema())}},
        },
    }


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local ``$defs`` references replaced by the definitions."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


class WaitlistOut(BaseModel):
    id: int
    sale_id: str
    status: str = Field(description="waiting, served (see claim_id) or skipped")
    position: int | None = Field(description="1 is next in line; null once decided")
    claim_id: str | None
    joined_at: datetime
    decided_at: datetime | None


class MySaleOut(BaseModel):
    sale: SaleOut
    units_held: int
    units_left_to_claim: int
    claims: list[ClaimOut]
    waitlist: WaitlistOut | None


class PlainRoute(APIRoute):
    """A route served as a plain Starlette endpoint ``(request) -> Response``: no dependency
    solving and no response-model pass, so it costs less than FastAPI's own /healthz. It is
    documented like any route (from ``response_model``, ``responses`` and ``openapi_extra``).

    Why for the claim route: every loser of a flash sale takes it, and FastAPI's per-request
    machinery cost more than the gate's whole answer (measured in-process: 69 against 50
    microseconds per refusal; /healthz takes 56).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return cast(Callable[[Request], Coroutine[Any, Any, Response]], self.endpoint)


async def claim(request: Request) -> Response:
    """Claim units: on success an order awaiting payment, held until `hold_until`. Requires an
    Idempotency-Key; a retry returns the same claim. Refusals: `not_started`, `ended`,
    `sold_out`, `buyer_limit_reached` (409)."""
    container = get_container(request)
    sale_id = str(request.path_params["sale_id"])
    if len(sale_id) > MAX_ID_LEN:
        raise NotFound("flash sale not found")
    idempotency_key = request.headers.get(KEY_HEADER)
    if idempotency_key is None:
        raise InvalidInput(
            "a claim takes stock: send an Idempotency-Key header",
            errors=[FieldError("Idempotency-Key", "required", "idempotency_key_required")],
            code=ProblemCode.IDEMPOTENCY_KEY_REQUIRED,
        )
    validate_key(idempotency_key)
    refused = await container.flash.refusal(sale_id, idempotency_key, container.clock.now())
    if refused is not None:
        return _problem(refused)
    body = _parse(ClaimIn, await request.body())
    fingerprint = hashlib.sha256(f"{sale_id}\n{body.model_dump_json()}".encode()).hexdigest()
    token = _bearer_token(request)
    if token is not None and body.ship_to is not None:
        # The usual API client: the writer resolves its token together with the whole batch.
        destination, buyer = _ship_to(None, None, body), None
    else:  # a cookie session, or a saved address to read: who is asking is needed right now
        principal = await current_principal(await optional_principal(request, container))
        require_role(principal, Role.BUYER)
        destination = await _destination(container, principal, body)
        token, buyer = None, Buyer(principal.account_id, principal.currency)
    result = await container.flash.claim(
        ClaimInput(sale_id, body.quantity, destination, idempotency_key, fingerprint, buyer, token)
    )
    return Response(
        ClaimOut.model_validate(result.claim).model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={REPLAY_HEADER: "true"} if result.replayed else None,
    )


# Registered first in this module, so it is the first flash route matched. The path, header and
# body are read by hand and documented through openapi_extra; a refusal never reads the body.
router.add_api_route(
    "/flash-sales/{sale_id}/claims",
    claim,
    methods=["POST"],
    response_model=ClaimOut,
    status_code=201,
    responses={201: {"headers": {REPLAY_HEADER: {"schema": {"type": "string"}}}}},
    openapi_extra=claim_openapi(),
    route_class_override=PlainRoute,
)


@router.post(
    "/flash-sales",
    response_model=SaleOut,
    status_code=201,
    openapi_extra=key_header_openapi(required=True),
)
def create_sale(
    body: SaleIn, request: Request, principal: PrincipalDep, container: ContainerDep
) -> Response:
    """A seller puts its offer on flash sale (operators: any offer). The pool is separate from
    the offer's stock. Requires an Idempotency-Key."""
    terms = Terms(
        body.price_minor,
        body.pool_units,
        body.per_buyer_limit,
        body.hold_s,
        body.starts_at,
        body.ends_at,
    )

    def work(uow: Any) -> SaleOut:
        return _sale_out(flash.create_sale(uow, principal, body.offer_id, terms))

    return run_idempotent(request, container, principal, body, work, required=True)


@router.get("/flash-sales", response_model=Page[SaleOut])
def list_sales(
    container: ContainerDep,
    paging: Annotated[PageParams, Depends(page_params)],
    current: Annotated[bool, Query(description="Only sales that have not ended")] = True,
) -> Page[SaleOut]:
    with container.uow(read_only=True) as uow:
        rows = flash.list_sales(uow, current_only=current, limit=paging.limit, after=paging.after)
    return Page[SaleOut](
        items=[_sale_out(r) for r in rows],
        next_cursor=rows[-1]["id"] if len(rows) == paging.limit else None,
    )


@router.get("/flash-sales/{sale_id}", response_model=SaleOut)
def get_sale(sale_id: SaleId, container: ContainerDep) -> SaleOut:
    """Public: the campaign with the server's time, % claimed and the countdowns."""
    with container.uow(read_only=True) as uow:
        return _sale_out(flash.get_sale(uow, sale_id))


@router.post("/flash-sales/{sale_id}/waitlist", response_model=WaitlistOut)
def join_waitlist(
    sale_id: SaleId, body: Destination, principal: PrincipalDep, container: ContainerDep
) -> WaitlistOut:
    """Queue for released holds (open while the sale runs and its pool is empty). Joining again
    returns the same place; a served place names the claim it got."""
    with container.uow() as uow:
        ship_to = _ship_to(uow, principal, body)
        entry = waitlist.join_waitlist(uow, principal, sale_id, ship_to)
        uow.commit()
    return WaitlistOut.model_validate(entry)


@router.get("/flash-sales/{sale_id}/me", response_model=MySaleOut)
def my_sale(sale_id: SaleId, principal: PrincipalDep, container: ContainerDep) -> MySaleOut:
    """The buyer's units, claims (with their orders) and waitlist place in this sale."""
    with container.uow(read_only=True) as uow:
        view = flash.my_sale(uow, principal, sale_id)
    return MySaleOut.model_validate({**view, "sale": _sale_out(view["sale"])})


@router.get("/flash-claims/{claim_id}", response_model=ClaimOut)
def get_claim(
    claim_id: Annotated[str, Path(max_length=MAX_ID_LEN)],
    principal: PrincipalDep,
    container: ContainerDep,
) -> ClaimOut:
    with container.uow(read_only=True) as uow:
        return ClaimOut.model_validate(flash.get_claim(uow, principal, claim_id))


def _parse(model: type[ClaimIn], raw: bytes) -> ClaimIn:
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc


def _sale_out(row: dict[str, Any]) -> SaleOut:
    return SaleOut.model_validate({k: row[k] for k in SaleOut.model_fields if k in row})


def _bearer_token(request: Request) -> str | None:
    """The API token of a well-formed ``Authorization: Bearer`` header (anything else is left
    to the usual authentication, which explains what is wrong with it)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _problem(error: DomainError) -> Response:
    """The refusal as problem+json, without raising: this is the path every loser takes."""
    return problem_response(status_for(error), error.code, error.title, error.detail)


async def _destination(
    container: Container, principal: Principal, body: Destination
) -> dict[str, str]:
    if body.address_id is None:
        return _ship_to(None, principal, body)

    def read() -> dict[str, str]:
        with container.uow(read_only=True) as uow:
            return _ship_to(uow, principal, body)

    return await asyncio.to_thread(read)


def _ship_to(uow: Any, principal: Principal | None, body: Destination) -> dict[str, str]:
    if (body.address_id is None) == (body.ship_to is None):
        raise InvalidInput(
            "give exactly one of address_id and ship_to",
            errors=[FieldError("address_id", "exactly one of address_id, ship_to")],
        )
    if body.ship_to is not None:
        return check_address(body.ship_to.model_dump(), prefix="ship_to")
    assert principal is not None  # an address is only looked up for a known principal
    address = identity.get_address(uow, principal, body.address_id or "")
    return {k: address[k] for k in ADDRESS_FIELDS}
