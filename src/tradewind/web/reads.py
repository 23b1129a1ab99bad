"""Which database a request reads from: the replica, unless the client has just written.

Read-your-writes: every unsafe request (POST, PUT, PATCH, DELETE) answered by a server with a
replica configured sets the ``tw_rw`` cookie for the replica's allowed lag plus
``MARGIN_S`` (the lag is measured every half second); while a client sends it back, its
reads come from the primary. Browsers and HTTP clients with a cookie jar do this unasked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind.db.replica import RoutedRead
from tradewind.web.deps import ContainerDep

WROTE_COOKIE = "tw_rw"
MARGIN_S = 2
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _reads(request: Request, container: ContainerDep) -> Callable[[], RoutedRead]:
    primary = WROTE_COOKIE in request.cookies

    def open_read() -> RoutedRead:
        return container.reads(primary=primary)

    return open_read


ReadsDep = Annotated[Callable[[], RoutedRead], Depends(_reads)]
"""``with reads() as uow:`` reads from the replica where this request may."""


class ReadYourWritesMiddleware:
    """Marks a client that wrote, so that its next reads go to the primary."""

    def __init__(self, app: ASGIApp, *, max_lag_s: float) -> None:
        self.app = app
        age = int(max_lag_s) + 1 + MARGIN_S
        self.cookie = f"{WROTE_COOKIE}=1; Max-Age={age}; Path=/; HttpOnly; SameSite=Lax".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _UNSAFE:
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", self.cookie)]
            await send(message)

        await self.app(scope, receive, marked)
