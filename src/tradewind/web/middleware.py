"""Pure ASGI middleware: request ids, access logs, security headers and input limits.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every request, flash-sale claims included,
and BaseHTTPMiddleware costs a task and a stream copy per request.

It is the outermost layer the application owns, so it is also where an unexpected exception
becomes a 500: here the request id is still known, and it goes into the header, the body and the
log line (Starlette's own catch-all runs outside this middleware, after the id is gone).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from urllib.parse import parse_qsl, unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind.kernel.problems import ProblemCode
from tradewind.kernel.text import control_characters_error, has_control_characters
from tradewind.logs import request_id_var
from tradewind.web.error_pages import html_error, wants_html
from tradewind.web.problems import (
    database_unavailable,
    domain_problem,
    internal_error,
    problem_response,
    unavailable,
)
from tradewind.web.security import SecurityHeaders

log = logging.getLogger("tradewind.access")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_FORM = b"application/x-www-form-urlencoded"


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so FastAPI passes it through as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        access_log: bool = True,
        security: SecurityHeaders | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log
        self.security = security or SecurityHeaders()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else secrets.token_hex(8)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        state = {"code": 500, "started": False}
        extra_headers = [
            (b"x-request-id", request_id.encode()),
            *self.security.for_request(scope["path"], headers),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["code"] = message["status"]
                state["started"] = True
                message["headers"] = self.security.merge(message.get("headers", []), extra_headers)
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None and (
                not declared.isdigit() or int(declared) > self.max_body_bytes
            ):
                await self._too_large(scope, receive, send_with_headers)
                return
            if _has_dirty_target(scope):
                await _refuse_dirty(scope, receive, send_with_headers, ["path or query"])
                return
            body_receive = self._limited(receive)
            if headers.get(b"content-type", b"").startswith(_FORM):
                body_receive, dirty = await self._checked_form(body_receive)
                if dirty:
                    await _refuse_dirty(scope, receive, send_with_headers, dirty)
                    return
            await self.app(scope, body_receive, send_with_headers)
        except BodyTooLarge:
            await self._too_large(scope, receive, send_with_headers)
        except Exception as exc:  # the last line of defence, logged with its request id
            if database_unavailable(exc):
                log.warning("database unavailable", extra={"path": scope["path"]})
                if not state["started"]:
                    await unavailable()(scope, receive, send_with_headers)
                return
            log.error("unhandled error", exc_info=exc, extra={"path": scope["path"]})
            if not state["started"]:
                await _internal_error(scope, headers)(scope, receive, send_with_headers)
        finally:
            if self.access_log:
                log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    state["code"],
                    extra={
                        "status": state["code"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(token)

    def _limited(self, receive: Receive) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        return wrapped

    async def _checked_form(self, receive: Receive) -> tuple[Receive, list[str]]:
        """Read a (size-limited) form body once, check its fields, and replay it to the app.

        Page forms arrive here; API bodies are JSON and checked by their models
        (``web.schemas.StrictInput``). Multipart uploads are checked by their own parsers.
        """
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        dirty = [k for k, v in fields if has_control_characters(k) or has_control_characters(v)]
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay, dirty

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            ProblemCode.BODY_TOO_LARGE,
            "Request body too large",
            f"request bodies are limited to {self.max_body_bytes} bytes",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _internal_error(scope: Scope, headers: dict[bytes, bytes]) -> Response:
    """The 500 page for a browser, the problem document for everyone else."""
    accept = headers.get(b"accept", b"").decode("latin-1")
    if wants_html(scope["path"], accept):
        try:
            return html_error(500, ProblemCode.INTERNAL_ERROR)
        except Exception as exc:  # a broken template must not hide the original 500
            log.error("error page failed", exc_info=exc)
    return internal_error()


def _has_dirty_target(scope: Scope) -> bool:
    """The path (already percent-decoded by the server) or the query string carry controls."""
    if has_control_characters(scope["path"]):
        return True
    query = scope.get("query_string", b"")
    return bool(query) and has_control_characters(
        unquote_to_bytes(query).decode("utf-8", "replace")
    )


async def _refuse_dirty(scope: Scope, receive: Receive, send: Send, fields: list[str]) -> None:
    await domain_problem(control_characters_error(fields))(scope, receive, send)
