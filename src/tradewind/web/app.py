"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tradewind import __version__
from tradewind.bootstrap import Container
from tradewind.web import error_pages, openapi, pages, problems
from tradewind.web.deps import TokenCache
from tradewind.web.middleware import RequestContextMiddleware
from tradewind.web.reads import ReadYourWritesMiddleware
from tradewind.web.routes import (
    addresses,
    auth,
    catalog,
    chargebacks,
    customs,
    escrow,
    flash,
    fx,
    health,
    ledger,
    media,
    ops,
    ordering,
    payments,
    payout_destinations,
    promotions,
    quality,
    risk,
    sandbox_psp,
    search,
    tracking,
)
from tradewind.web.security import SecurityHeaders


def create_app(container: Container, *, access_log: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """On shutdown, commit the checkouts and flash claims still queued (and answer them)
        before the process ends."""
        container.revocations.start()
        yield
        await asyncio.gather(
            asyncio.to_thread(container.revocations.stop),
            asyncio.to_thread(container.checkouts.stop),
            asyncio.to_thread(container.flash.stop),
        )

    app = FastAPI(
        lifespan=lifespan,
        title="Tradewind",
        version=__version__,
        description="Marketplace engine for cross-border trade. Errors are RFC 9457 "
        "application/problem+json with a stable `code`.",
        docs_url="/docs",
        redoc_url=None,
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.container = container
    app.state.token_cache = TokenCache(epoch=container.revocations.epoch)
    problems.install(app)
    error_pages.install(app)
    openapi.install(app)
    routers = (
        health.router,
        flash.router,  # early: routes match in order and claims are the hottest path
        auth.router,
        addresses.router,
        catalog.router,
        media.router,
        search.router,
        ordering.router,
        payments.router,
        escrow.router,
        chargebacks.router,
        payout_destinations.router,
        ledger.router,
        sandbox_psp.router,
        tracking.router,
        fx.router,
        customs.router,
        ops.router,
        risk.router,
        promotions.router,
        quality.router,
        pages.router,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    if container.settings.replica_url:
        app.add_middleware(ReadYourWritesMiddleware, max_lag_s=container.settings.replica_max_lag_s)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=container.settings.max_body_bytes,
        access_log=access_log,
        security=SecurityHeaders(hsts=container.settings.public_base_url.startswith("https://")),
    )
    return app
