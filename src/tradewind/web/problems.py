"""RFC 9457 problem details, written from typed errors.

The ``code`` member is a :class:`~tradewind.kernel.problems.ProblemCode`, stable and documented
(docs/reference/api.md); its HTTP status comes from ``STATUS_BY_CODE`` beside the enum, the one
table that decides statuses. ``detail`` is for humans.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tradewind.kernel import errors as e
from tradewind.kernel.problems import STATUS_BY_CODE, ProblemCode
from tradewind.logs import request_id_var

PROBLEM_JSON = "application/problem+json"

# The framework's own refusals (routing, media types, the body limit), by status.
HTTP_CODES: dict[int, ProblemCode] = {
    400: ProblemCode.BAD_REQUEST,
    401: ProblemCode.UNAUTHENTICATED,
    403: ProblemCode.FORBIDDEN,
    404: ProblemCode.NOT_FOUND,
    405: ProblemCode.METHOD_NOT_ALLOWED,
    406: ProblemCode.NOT_ACCEPTABLE,
    413: ProblemCode.BODY_TOO_LARGE,
    415: ProblemCode.UNSUPPORTED_MEDIA_TYPE,
}


def status_for(error: e.DomainError) -> int:
    return STATUS_BY_CODE[error.code]


def problem_response(
    status: int,
    code: ProblemCode,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://tradewind.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    return Response(json.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_problem(exc: e.DomainError) -> Response:
    """The problem response for a typed domain error (also used by the middleware)."""
    headers = None
    if isinstance(exc, e.TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return problem_response(
        status_for(exc),
        exc.code,
        exc.title,
        exc.detail,
        errors=[{"field": f.field, "message": f.message, "code": f.code} for f in exc.errors],
        headers=headers,
    )


def _domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.DomainError)
    return domain_problem(exc)


def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return validation_error(exc)


def validation_error(exc: RequestValidationError) -> Response:
    field_errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field_errors.append(
            {
                "field": ".".join(loc) or "body",
                "message": str(err.get("msg", "invalid")),
                "code": str(err.get("type", "invalid")),
            }
        )
    malformed = any(f["code"] == "json_invalid" for f in field_errors)
    return problem_response(
        400 if malformed else 422,
        ProblemCode.MALFORMED_JSON if malformed else ProblemCode.VALIDATION_FAILED,
        "Malformed JSON" if malformed else "Validation failed",
        "the request body is not valid JSON"
        if malformed
        else "some fields are missing or invalid; see errors",
        errors=field_errors,
    )


def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return http_error(exc)


def http_error(exc: StarletteHTTPException) -> Response:
    code = HTTP_CODES.get(exc.status_code, ProblemCode.BAD_REQUEST)
    return problem_response(
        exc.status_code,
        code,
        code.replace("_", " ").capitalize(),
        str(exc.detail),
        headers=dict(exc.headers or {}),
    )


def internal_error() -> Response:
    """A 500 that says nothing about the cause but carries the request id (header and body)."""
    return problem_response(
        500,
        ProblemCode.INTERNAL_ERROR,
        "Internal error",
        "something went wrong on our side; quote the request id if you report it",
    )


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (or the connection broke): worth a retry, not a 500."""
    if isinstance(exc, OperationalError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def unavailable() -> Response:
    """503 with Retry-After: the database is unreachable now (failover, a cut link)."""
    return problem_response(
        503,
        ProblemCode.DATABASE_UNAVAILABLE,
        "Database unavailable",
        "the database cannot be reached right now; retry shortly (with the same "
        "Idempotency-Key for a write)",
        headers={"Retry-After": "1"},
    )


def _database_error(_request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        return unavailable()
    raise exc


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.add_exception_handler(e.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
