"""Running a POST under an Idempotency-Key: same key and body -> the first answer, replayed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from tradewind.bootstrap import Container
from tradewind.db.uow import UnitOfWork
from tradewind.idempotency import service as idem
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"


def request_fingerprint(request: Request, body: BaseModel | None) -> str:
    canonical = body.model_dump_json() if body is not None else ""
    text = f"{request.method} {request.url.path}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def key_header_openapi(*, required: bool) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads the key by hand (``idempotency_key``): documents
    the header, so that generated clients take it as an argument."""
    return {
        "parameters": [
            {
                "name": HEADER,
                "in": "header",
                "required": required,
                "description": "A retry with the same key and body gets the first answer again",
                "schema": {"type": "string", "minLength": 1, "maxLength": idem.MAX_KEY_LEN},
            }
        ]
    }


def idempotency_key(request: Request, *, required: bool) -> str | None:
    """The request's Idempotency-Key, validated; refuses a missing one where it is required."""
    key = request.headers.get(HEADER)
    if key is None:
        if required:
            raise InvalidInput(
                f"this request moves money or stock: send an {HEADER} header",
                errors=[FieldError(HEADER, "required", "idempotency_key_required")],
                code=ProblemCode.IDEMPOTENCY_KEY_REQUIRED,
            )
        return None
    return idem.validate_key(key)


def replay(stored: idem.StoredResult) -> Response:
    return Response(
        stored.body,
        status_code=stored.status_code,
        media_type="application/json",
        headers={REPLAY_HEADER: "true"},
    )


def run_idempotent(
    request: Request,
    container: Container,
    principal: Principal,
    body: BaseModel | None,
    work: Callable[[UnitOfWork], BaseModel],
    *,
    status_code: int = 201,
    required: bool = False,
) -> Response:
    """Run ``work`` in one unit of work, at most once per (principal, Idempotency-Key)."""
    key = idempotency_key(request, required=required)
    with container.uow() as uow:
        if key is not None:
            stored = idem.claim(uow, principal.account_id, key, request_fingerprint(request, body))
            if stored is not None:
                return replay(stored)
        result = work(uow)
        response = JSONResponse(jsonable_encoder(result), status_code=status_code)
        if key is not None:
            idem.complete(
                uow, principal.account_id, key, idem.StoredResult(status_code, bytes(response.body))
            )
        uow.commit()
    return response
