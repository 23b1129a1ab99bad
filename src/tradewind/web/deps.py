"""Request dependencies: the container, units of work, and who is asking.

``current_principal`` is the single authentication gate for the API and the pages: a bearer API
token, or a cookie session (which must then carry its CSRF token on every unsafe method).
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from tradewind.bootstrap import Container
from tradewind.identity import service as identity
from tradewind.identity.domain import Principal
from tradewind.kernel.errors import Forbidden, Unauthenticated
from tradewind.kernel.problems import ProblemCode

SESSION_COOKIE = "tw_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_container(request: Request) -> Container:
    container = request.app.state.container
    assert isinstance(container, Container)
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def optional_principal(request: Request, container: ContainerDep) -> Principal | None:
    if hasattr(request.state, "principal"):  # resolved once per request, however many deps ask
        cached: Principal | None = request.state.principal
        return cached
    principal: Principal | None = None
    auth = request.headers.get("authorization")
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("use 'Authorization: Bearer <token>'", code=ProblemCode.BAD_TOKEN)
        principal = await _principal_for_token(request, container, token.strip())
    elif (secret := request.cookies.get(SESSION_COOKIE)) is not None:
        principal = await run_in_threadpool(_principal_for_session, container, secret)
        if principal is not None and request.method not in _SAFE_METHODS:
            await _check_csrf(request, principal)
    request.state.principal = principal
    return principal


def _no_revocations() -> object:
    return 0


class TokenCache:
    """Bearer token -> principal for a few seconds, per server process.

    Every API request authenticates; without this each would spend a database round trip (and
    a pool connection) on a lookup whose answer rarely changes. Only API tokens are cached:
    a cookie session must end the moment its owner logs out. An entry is served only while
    ``epoch()`` (``identity.revocation``: one ``os.stat`` on SQLite, a counter bumped by a
    LISTEN thread on PostgreSQL) still returns the value read *before* its lookup, so a token
    revoked by any process stops working at once; ``ttl_s`` is the safety net.
    """

    def __init__(
        self,
        ttl_s: float = 10.0,
        max_entries: int = 10_000,
        epoch: Callable[[], object] = _no_revocations,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.epoch = epoch
        self._entries: dict[str, tuple[float, object, datetime | None, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token: str, now: datetime | None = None) -> Principal | None:
        """``now``: the application clock, to stop serving a token at its expiry."""
        with self._lock:
            hit = self._entries.get(token)
        if hit is None or hit[0] < time.monotonic() or hit[1] != self.epoch():
            return None
        if hit[2] is not None and now is not None and hit[2] <= now:
            return None
        return hit[3]

    def put(
        self,
        token: str,
        principal: Principal,
        epoch: object | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        """``epoch``: the value of ``epoch()`` taken before the lookup that found ``principal``."""
        filled_under = self.epoch() if epoch is None else epoch
        entry = (time.monotonic() + self.ttl_s, filled_under, expires_at, principal)
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # crude but bounded; a refill costs one lookup each
            self._entries[token] = entry


async def _principal_for_token(request: Request, container: Container, token: str) -> Principal:
    cache: TokenCache | None = getattr(request.app.state, "token_cache", None)
    if cache is None:
        return await run_in_threadpool(_lookup_token, container, token)
    if (hit := cache.get(token, container.clock.now())) is not None:
        return hit
    epoch = cache.epoch()  # before the read: a revocation after it invalidates this entry
    principal, expires_at = await run_in_threadpool(_holder, container, token)
    cache.put(token, principal, epoch, expires_at)
    return principal


def _holder(container: Container, token: str) -> tuple[Principal, datetime | None]:
    with container.uow(read_only=True) as uow:
        return identity.token_holder(uow, token)


def account_rules(container: Container) -> identity.AccountRules:
    settings = container.settings
    return identity.AccountRules(
        currencies=tuple(settings.account_currencies),
        min_password_score=settings.password_min_score,
    )


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@cache
def _networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _trusted(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(trusted))


def client_address(request: Request, container: Container) -> str:
    """Who is connecting, for throttling: the socket peer, or, when the peer is one of
    ``TRADEWIND_TRUSTED_PROXIES``, the right-most X-Forwarded-For hop that is not a proxy."""
    peer = request.client.host if request.client else "unknown"
    trusted = tuple(container.settings.trusted_proxies)
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([h for h in hops if h][-32:]):
        if not _trusted(hop, trusted):
            return hop[:64]
    return peer


def _lookup_token(container: Container, token: str) -> Principal:
    # Runs in the threadpool: a blocking query on the event loop would stall every request.
    with container.uow(read_only=True) as uow:
        return identity.principal_from_token(uow, token)


def _principal_for_session(container: Container, secret: str) -> Principal | None:
    with container.uow(read_only=True) as uow:
        return identity.principal_from_session(uow, secret)


async def _check_csrf(request: Request, principal: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = principal.csrf_token or ""
    if not sent or not hmac.compare_digest(sent, expected):
        raise Forbidden("missing or wrong CSRF token", code=ProblemCode.CSRF_FAILED)


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthenticated("log in or send an API token", code=ProblemCode.UNAUTHENTICATED)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
