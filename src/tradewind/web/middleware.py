"""Pure ASGI middleware: request ids, access logs and the request body size limit.

Pure ASGI (not BaseHTTPMiddleware) because it sits on every request, flash-sale claims included,
and BaseHTTPMiddleware costs a task and a stream copy per request.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind.logs import request_id_var
from tradewind.web.problems import problem_response

log = logging.getLogger("tradewind.access")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so FastAPI passes it through as 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, access_log: bool = True) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else secrets.token_hex(8)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = {"code": 500}
        try:
            declared = headers.get(b"content-length")
            if declared is not None and (
                not declared.isdigit() or int(declared) > self.max_body_bytes
            ):
                await self._too_large(scope, receive, send)
                status["code"] = 413
                return

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                    message.setdefault("headers", [])
                    message["headers"] = [
                        *message["headers"],
                        (b"x-request-id", request_id.encode()),
                    ]
                await send(message)

            await self.app(scope, self._limited(receive), send_with_id)
        except BodyTooLarge:
            await self._too_large(scope, receive, send)
            status["code"] = 413
        finally:
            if self.access_log:
                log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status["code"],
                    extra={
                        "status": status["code"],
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

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "body_too_large",
            "Request body too large",
            f"request bodies are limited to {self.max_body_bytes} bytes",
            headers={"Connection": "close", "X-Request-ID": request_id_var.get() or ""},
        )
        await response(scope, receive, send)
