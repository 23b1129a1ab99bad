"""Composition root: builds the engine, clock, unit-of-work factory and timer handlers once.

Everything else receives these; nothing reaches for globals.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tradewind.config import Settings
from tradewind.db.engine import make_engine
from tradewind.db.replica import ReadRouter
from tradewind.db.uow import Subscriber, Subscribers, UnitOfWork, UnitOfWorkFactory
from tradewind.escrow.domain import EscrowPolicy
from tradewind.flash.runtime import FlashRuntime
from tradewind.fulfilment.service import CarrierSetup
from tradewind.identity.revocation import RevocationSignal, signal_for
from tradewind.kernel.clock import Clock, ManualClock, SystemClock
from tradewind.media.domain import ImageLimits
from tradewind.media.local import LocalDiskStore
from tradewind.media.ports import MediaStore
from tradewind.ordering.checkout_writer import CheckoutWriter
from tradewind.payments.outbox import AnswerHandler
from tradewind.payments.ports import WebhookSender
from tradewind.payments.sandbox import SandboxProvider
from tradewind.timers.service import TimerHandler, store_clock_offset_s, stored_clock_offset_s

WEBHOOK_PATH = "/api/v1/webhooks/sandbox-psp"
POSTAL_WEBHOOK_PATH = "/api/v1/webhooks/postal-sim"


@dataclass
class Container:
    settings: Settings
    engine: Engine
    clock: Clock
    uow: UnitOfWorkFactory
    secret_key: str
    policy: EscrowPolicy
    payments: SandboxProvider
    psp_secret: str
    carrier: CarrierSetup
    postal_secret: str
    webhook_sender: WebhookSender
    media: MediaStore
    image_limits: ImageLimits
    timer_handlers: dict[str, TimerHandler] = field(default_factory=dict)
    # What each processor answer does once its outbox intent settles (payments.outbox).
    intent_handlers: dict[str, AnswerHandler] = field(default_factory=dict)
    # Flash sales (issue 8): this process's sale gate and claim writer (threads start lazily).
    flash: FlashRuntime = field(init=False)
    # Checkouts from the API: this process's group-commit writer (its thread starts lazily).
    checkouts: CheckoutWriter = field(init=False)
    # Reads that may come from the replica (search, catalog, public pages).
    reads: ReadRouter = field(init=False)
    # Revoked tokens, told to every server process (the app starts and stops its listener).
    revocations: RevocationSignal = field(init=False)


def build(
    settings: Settings, *, clock: Clock | None = None, webhook_sender: WebhookSender | None = None
) -> Container:
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    if clock is None:
        clock = ManualClock() if settings.clock == "manual" else SystemClock()
    secret_key = _secret_key(settings)
    base_url = settings.public_base_url or f"http://{settings.host}:{settings.port}"
    uow = UnitOfWorkFactory(engine, clock, subscribers=subscribers(settings.risk_mode))
    container = Container(
        settings=settings,
        engine=engine,
        clock=clock,
        uow=uow,
        secret_key=secret_key,
        policy=escrow_policy(settings),
        payments=SandboxProvider(
            base_url.rstrip("/") + WEBHOOK_PATH,
            uow,
            fee_bps=settings.sandbox_fee_bps,
            flaky_every=settings.sandbox_flaky_every,
        ),
        psp_secret=settings.psp_webhook_secret
        or hashlib.sha256(f"psp:{secret_key}".encode()).hexdigest(),
        carrier=CarrierSetup(
            base_url.rstrip("/") + POSTAL_WEBHOOK_PATH, settings.tracking_poll_hours
        ),
        postal_secret=hashlib.sha256(f"postal:{secret_key}".encode()).hexdigest(),
        webhook_sender=webhook_sender or http_webhook_sender,
        media=LocalDiskStore(media_root(settings)),
        image_limits=ImageLimits(
            max_bytes=settings.media_max_bytes, max_pixels=settings.media_max_pixels
        ),
    )
    from tradewind.risk.service import CaseDecided

    subscribed = dict(container.uow.subscribers)
    subscribed[CaseDecided] = (_on_case_decided(container),)
    container.uow.subscribers = subscribed
    container.flash = FlashRuntime(container.uow)
    replica = (
        make_engine(settings.replica_url, pool_size=settings.db_pool_size)
        if settings.replica_url
        else None
    )
    container.reads = ReadRouter(container.uow, replica, max_lag_s=settings.replica_max_lag_s)
    container.checkouts = CheckoutWriter(container.uow)
    container.revocations = signal_for(engine)
    container.timer_handlers.update(_timer_handlers(container))
    container.intent_handlers.update(intent_handlers())
    return container


def media_root(settings: Settings) -> Path:
    """``TRADEWIND_MEDIA_DIR``, else ``media/`` beside the SQLite file, else ``var/media``."""
    if settings.media_dir:
        return Path(settings.media_dir)
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            return Path(database).parent / "media"
    return Path("var/media")


def intent_handlers() -> dict[str, AnswerHandler]:
    """What each kind of processor answer does once its intent settles (payments.outbox)."""
    from tradewind.escrow import payouts
    from tradewind.payments import outbox

    return {**outbox.ANSWER_HANDLERS, outbox.PAYOUT: payouts.on_payout_answer}


def webhook_handlers() -> dict[str, Any]:
    """The processor webhooks handled by contexts above payments (payments.service.record_event
    handles its own): escrow's chargebacks and returned payouts."""
    from tradewind.escrow import chargebacks, returns
    from tradewind.payments.events import CHARGEBACK_EVENTS

    return {
        **dict.fromkeys(CHARGEBACK_EVENTS, chargebacks.on_chargeback_event),
        "payout.returned": returns.on_payout_returned_event,
    }


def report_handlers() -> tuple[Any, ...]:
    """What reconciliation applies from a settlement report before matching it (contexts above
    payments): escrow's returned payouts."""
    from tradewind.escrow import returns

    return (returns.apply_report_rows,)


def send_intents(container: Container, *, limit: int = 100, retry_now: bool = False) -> int:
    """Make the processor calls that are due (after their transactions committed)."""
    from tradewind.payments import outbox

    return outbox.send_due(
        container.uow,
        container.payments,
        container.intent_handlers,
        limit=limit,
        retry_now=retry_now,
    )


def escrow_policy(settings: Settings) -> EscrowPolicy:
    return EscrowPolicy(
        auto_confirm_days={
            "express": settings.auto_confirm_express_days,
            "surface": settings.auto_confirm_surface_days,
            "virtual": 3,
        },
        after_sales_days=settings.after_sales_days,
        seller_response_days=settings.seller_response_days,
        default_commission_bps=settings.commission_bps,
        commission_bps_by_category=dict(settings.commission_by_category),
    )


def http_webhook_sender(url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(url, content=body, headers=headers, timeout=10).status_code


def subscribers(risk_mode: str = "enforce") -> Subscribers:
    """Who hears what, in the publisher's transaction (docs/design/contexts.md)."""
    from tradewind.flash import waitlist as flash_waitlist
    from tradewind.ordering.orders import StockReturning
    from tradewind.risk import service as risk
    from tradewind.risk.domain import RiskEvent, RiskEvents

    wired: dict[type[Any], tuple[Subscriber, ...]] = {
        StockReturning: (flash_waitlist.on_stock_returning,)
    }
    if risk_mode != "off":

        def on_risk_event(uow: UnitOfWork, event: RiskEvent) -> bool:
            return risk.on_event(uow, event, mode=risk_mode)

        def on_risk_events(uow: UnitOfWork, batch: RiskEvents) -> bool:
            risk.record_many(uow, batch.events)
            return False

        wired[RiskEvent] = (on_risk_event,)
        wired[RiskEvents] = (on_risk_events,)
    return wired


def _on_case_decided(container: Container) -> Subscriber:
    """An allowed case releases the captures it held (payments sits above risk, so risk
    tells it by event)."""
    from tradewind.payments import service as payments

    def on_case_decided(uow: UnitOfWork, decided: Any) -> bool:
        if decided.decision != "allowed":
            return False
        for checkout_id in decided.checkouts:
            payments.capture_after_review(uow, container.payments, checkout_id)
        return True

    return on_case_decided


def _timer_handlers(container: Container) -> dict[str, TimerHandler]:
    """Every durable timer kind and the use case that runs it."""
    from tradewind.escrow import disputes, payouts
    from tradewind.escrow import service as escrow
    from tradewind.flash import waitlist as flash_waitlist
    from tradewind.fulfilment import tracking
    from tradewind.ordering import checkout
    from tradewind.payments import reconciliation
    from tradewind.quality import enforcement
    from tradewind.risk import sweeps

    policy = container.policy

    def payment_timeout(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        checkout.expire_unpaid(uow, str(payload["checkout_id"]))

    def auto_confirm(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        escrow.auto_confirm(uow, policy, payload)

    def ship_by(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        escrow.ship_by_deadline(uow, container.payments, payload)

    def tracking_expiry(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        tracking.expire(uow, policy, payload)

    def tracking_poll(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        tracking.poll(uow, policy, container.payments, payload)

    def reconcile(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        reconciliation.reconcile_timer(uow, container.payments, payload, report_handlers())

    def payout_batch(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        payouts.payout_batch(uow, container.payments, container.settings.payout_minimum, payload)

    def risk_sweep(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        sweeps.no_first_scan_sweep(uow, payload, mode=container.settings.risk_mode)

    def quality_review(uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
        enforcement.review_all(uow, container.settings.seller_rules, payload)

    return {
        checkout.PAYMENT_TIMEOUT_KIND: payment_timeout,
        flash_waitlist.RELEASE_KIND: flash_waitlist.release_claim,
        checkout.SHIP_BY_KIND: ship_by,
        escrow.AUTO_CONFIRM_KIND: auto_confirm,
        escrow.FINALIZE_KIND: escrow.finalize,
        disputes.SELLER_DEADLINE_KIND: disputes.seller_deadline,
        payouts.PAYOUT_BATCH_KIND: payout_batch,
        reconciliation.RECONCILE_KIND: reconcile,
        sweeps.SWEEP_KIND: risk_sweep,
        enforcement.REVIEW_KIND: quality_review,
        tracking.EXPIRY_KIND: tracking_expiry,
        tracking.POLL_KIND: tracking_poll,
    }


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    if not settings.is_sqlite:
        raise RuntimeError("TRADEWIND_SECRET_KEY must be set when running on PostgreSQL")
    database = make_url(settings.database_url).database or "var/tradewind.db"
    key_file = Path(database).with_suffix(".secret")
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(32)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def sync_manual_clock(container: Container) -> None:
    """Bring an in-process manual clock up to the offset stored by any process."""
    clock = container.clock
    if not isinstance(clock, ManualClock):
        return
    with container.uow(read_only=True) as uow:
        stored = stored_clock_offset_s(uow)
    behind = timedelta(seconds=stored) - clock.advanced_by
    if behind > timedelta(0):
        clock.advance(behind)


def advance_manual_clock(container: Container, delta: timedelta) -> None:
    clock = container.clock
    if not isinstance(clock, ManualClock):
        raise RuntimeError("the clock is not manual")
    sync_manual_clock(container)
    clock.advance(delta)
    total = int(clock.advanced_by.total_seconds())
    with container.uow() as uow:
        store_clock_offset_s(uow, total)
        uow.commit()
