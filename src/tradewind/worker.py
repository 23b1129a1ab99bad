"""The timer worker loop, run by ``tradewind worker`` or in-process by ``tradewind demo``."""

from __future__ import annotations

import logging
import threading

from tradewind.bootstrap import Container, send_intents, sync_manual_clock
from tradewind.escrow.payouts import schedule_daily_batch
from tradewind.fulfilment import postal_sim
from tradewind.payments.reconciliation import schedule_daily_reconcile
from tradewind.payments.sandbox import dispatch_webhooks
from tradewind.quality.enforcement import schedule_review
from tradewind.risk.sweeps import schedule_sweep
from tradewind.timers.service import run_due

log = logging.getLogger(__name__)


def run_worker(container: Container, stop: threading.Event) -> None:
    poll_s = container.settings.worker_poll_s
    log.info("timer worker started", extra={"poll_s": poll_s})
    arm_recurring_timers(container)
    while not stop.is_set():
        try:
            sync_manual_clock(container)
            ran = run_due(
                container.uow, container.timer_handlers, limit=container.settings.worker_batch
            )
            ran += send_intents(container)
            ran += dispatch_webhooks(container.uow, container.webhook_sender, container.psp_secret)
        except Exception:
            log.exception("timer worker poll failed")
            ran = 0
        if ran == 0:
            stop.wait(poll_s)
    log.info("timer worker stopped")


def arm_recurring_timers(container: Container) -> None:
    """Make sure the daily payout batch, the daily reconciliation, the risk sweep and the
    quality review are scheduled (idempotent: one timer per slot; each run schedules the
    next one)."""
    with container.uow() as uow:
        schedule_daily_batch(uow, uow.clock.now())
        schedule_daily_reconcile(uow, uow.clock.now())
        schedule_sweep(uow, uow.clock.now())
        schedule_review(uow, uow.clock.now())
        uow.commit()


def run_background_step(container: Container) -> int:
    """Make the processor calls that are due, and deliver what the simulated outside world has
    due: processor and carrier webhooks.

    These run without a transaction held, because the receiver (often this very process)
    writes to the database while handling them.
    """
    return (
        send_intents(container)
        + dispatch_webhooks(container.uow, container.webhook_sender, container.psp_secret)
        + postal_sim.dispatch(container.uow, container.webhook_sender, container.postal_secret)
    )


def start_worker_thread(container: Container) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(container, stop), name="timer-worker", daemon=True
    )
    thread.start()
    return thread, stop
