"""``tradewind ledger check``: the ledger's invariants against the figures of its neighbours.

The ledger sits below ordering and payments and cannot read them; escrow, above both, knows what
each order's escrow account must hold. This gathers those figures from their owners' service
functions (one batch read each) and hands them to ``tradewind.ledger.checks.check_books``.
"""

from __future__ import annotations

from collections.abc import Collection

from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.ledger.checks import (
    CheckRun,
    Expected,
    OrderEscrow,
    check_books,
    full_check,
    incremental_check,
    record_run,
)
from tradewind.ordering.orders import order_totals
from tradewind.payments.mismatches import held_captures_minor
from tradewind.payments.service import refunded_before_release_minor
from tradewind.promotions.service import platform_funded_by_order

HOLDING = ("AWAITING_SHIPMENT", "AWAITING_RECEIPT", "IN_DISPUTE")
EMPTY = (
    "COMPLETED",
    "FINALIZED",
    "REFUNDED",
    "CANCELLED_REFUNDED",
    "CANCELLED",
    "AWAITING_PAYMENT",
)


def check_ledger(uow: UnitOfWork) -> list[str]:
    """Every breach found, as one line each; empty when the books are sound."""
    return check_books(uow, expected_figures(uow, None))


def run_ledger_check(uows: UnitOfWorkFactory, *, incremental: bool) -> CheckRun:
    """``tradewind ledger check``: a full (or incremental) run in one snapshot, then recorded,
    so a clean run is where the next incremental one starts."""
    with uows(read_only=True, snapshot=True) as uow:
        if incremental:
            run = incremental_check(uow, lambda ids: expected_figures(uow, ids))
        else:
            run = full_check(uow, expected_figures(uow, None))
    with uows() as uow:
        record_run(uow, run)
        uow.commit()
    return run


def expected_figures(uow: UnitOfWork, order_ids: Collection[str] | None) -> Expected:
    """What escrow must hold for every order (``None``) or for ``order_ids``, and the held
    captures suspense must match."""
    return Expected(
        order_escrow=order_escrow(uow, order_ids),
        held_captures_minor=held_captures_minor(uow),
        platform_funded_minor=platform_funded_by_order(uow, order_ids),
    )


def order_escrow(uow: UnitOfWork, order_ids: Collection[str] | None = None) -> list[OrderEscrow]:
    """Escrow per order: its total less refunds while the order is in escrow (paid, shipped or
    disputed); zero before payment and once released, refunded or cancelled."""
    if order_ids is not None and not order_ids:
        return []
    refunded = refunded_before_release_minor(uow, order_ids)
    expected = []
    for order in order_totals(uow, order_ids):
        if order.status in HOLDING:
            amount = order.total_minor - refunded.get(order.order_id, 0)
        elif order.status in EMPTY:
            amount = 0
        else:
            continue
        expected.append(OrderEscrow(order.order_id, order.status, amount))
    return expected
