"""HTML error pages for people in a browser; API clients keep ``application/problem+json``.

A request gets an HTML page when its path is not an API path and its ``Accept`` header asks
for HTML (browsers send ``text/html`` first for navigations). Everything else, ``curl`` and the
generated clients included, gets the same problem document as before, from ``problems``.
The page shows the same status, title and stable ``code`` the problem document would carry,
and the request id, so a person can quote it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tradewind.identity import service as identity
from tradewind.identity.domain import Principal
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode
from tradewind.logs import request_id_var
from tradewind.web import locale, problems
from tradewind.web.deps import SESSION_COOKIE
from tradewind.web.templating import templates

# Paths that belong to machines, not people: they always answer problem+json.
API_PREFIXES = ("/api/", "/healthz", "/readyz", "/openapi.json", "/docs", "/static/")

# English here (the page translates them: pages.common.problem_title / problem_text).
TITLES = {
    400: N_("Bad request"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Not possible here"),
    413: N_("Too large"),
    422: N_("Please check what you entered"),
    500: N_("Something went wrong"),
    503: N_("Temporarily unavailable"),
}
DETAILS = {
    404: N_("There is no page at this address. It may have moved, or the link may be mistyped."),
    405: N_("This address cannot be used that way."),
    500: N_(
        "Something went wrong on our side. Please try again in a moment; if it keeps "
        "happening, quote the request id below."
    ),
}
DETAILS[503] = N_("We cannot reach our database right now. Please try again in a moment.")
VALIDATION_DETAIL = N_(
    "Part of this address is not valid (a number out of range, or text too long)."
)


def wants_html(path: str, accept: str) -> bool:
    """A person's browser asking for a page (not an API path, HTML acceptable first)."""
    if path.startswith(API_PREFIXES) or path == "/api":
        return False
    first = accept.split(",", 1)[0].strip().lower()
    return first.startswith(("text/html", "application/xhtml+xml"))


def html_error(
    status: int,
    code: ProblemCode,
    detail: str | None = None,
    *,
    principal: Principal | None = None,
    headers: dict[str, str] | None = None,
    request: Request | None = None,
) -> Response:
    """The error page (``error.html``) for ``status``; the body never echoes request input."""
    context: dict[str, Any] = {
        "principal": principal,
        "error": {
            "title": TITLES.get(status, "Error"),
            "detail": detail or DETAILS.get(status, N_("The request could not be completed.")),
            "code": code,
            "errors": [],
        },
        "status": status,
        "request_id": request_id_var.get(),
    }
    if request is not None:  # the language switcher in the footer needs it
        context["request"] = request
    body = templates.get_template("error.html").render(context)
    return Response(body, status_code=status, media_type="text/html", headers=headers)


async def _viewer(request: Request) -> Principal | None:
    """The signed-in person, for the page header; any failure just means "not signed in"."""
    secret = request.cookies.get(SESSION_COOKIE)
    container = getattr(request.app.state, "container", None)
    if secret is None or container is None:
        return None

    def lookup() -> Principal | None:
        with container.uow(read_only=True) as uow:
            return identity.principal_from_session(uow, secret)

    try:
        return await run_in_threadpool(lookup)
    except Exception:  # noqa: BLE001  the error page must render when the database fails
        return None


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not wants_html(request.url.path, request.headers.get("accept", "")):
        return problems.http_error(exc)
    code = problems.HTTP_CODES.get(exc.status_code, ProblemCode.BAD_REQUEST)
    detail = None if exc.status_code in DETAILS else str(exc.detail)
    viewer = await _viewer(request)
    locale.apply(request, viewer)
    return html_error(
        exc.status_code,
        code,
        detail,
        principal=viewer,
        headers=dict(exc.headers or {}),
        request=request,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not wants_html(request.url.path, request.headers.get("accept", "")):
        return problems.validation_error(exc)
    viewer = await _viewer(request)
    locale.apply(request, viewer)
    return html_error(
        422, ProblemCode.VALIDATION_FAILED, VALIDATION_DETAIL, principal=viewer, request=request
    )


def install(app: FastAPI) -> None:
    """Replace the problem handlers for unknown URLs and bad query strings (after
    ``problems.install``); typed domain errors on pages are handled by ``pages.common.page``."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)


async def _database_error(request: Request, exc: Exception) -> Response:
    """503 while the database cannot be reached: a page for a browser, else the problem."""
    if not problems.database_unavailable(exc):
        raise exc
    if not wants_html(request.url.path, request.headers.get("accept", "")):
        return problems.unavailable()
    locale.apply(request, None)
    return html_error(
        503, ProblemCode.DATABASE_UNAVAILABLE, headers={"Retry-After": "1"}, request=request
    )
