"""Reconciliation: every row of the processor's daily settlement report against the ledger.

A report row is a movement of our balance at the processor (capture, fee, refund, chargeback,
payout), signed from our side. Its ledger counterpart is the sum of ``psp:clearing:*`` entries
of the transactions whose ``processor_ref`` is ``"<type>:<reference>"`` (``capture:pi_1``,
``fee:pi_1``, ``refund:<request key>``, ``payout:<request key>``). Each row is one of:

- ``matched``: same amount, same currency;
- ``missing_ours``: the processor moved money the ledger has no record of (an unannounced fee,
  a movement reported twice: the second row of one reference);
- ``amount_differs`` / ``currency_differs``: both sides know it, they disagree (a capture
  reported short is never left looking paid in full);
- ``missing_theirs``: the ledger booked a processor movement on the day that neither that
  day's report nor the next day's lists (the processor acts seconds after our commit, so a
  movement decided just before midnight may settle the next day), nor the day before's (a
  movement we learn of from a report, a returned payout, is booked when the report is read).

Before matching, the report's rows are offered to ``row_handlers`` (the composition root's
``report_handlers``: escrow books a ``payout_return`` row no webhook has told of yet), so a
movement the report is the first to tell is booked once and then matched like any other.

Everything but ``matched`` goes to the operators' queue (``settlement_mismatches``, beside the
capture mismatches of :mod:`tradewind.payments.mismatches`) with what to do. A row is keyed by
(date, kind, reference, occurrence): reconciling a day again finds the same ones and adds none.
The matching itself (:func:`match_rows`) is pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update

from tradewind.db.sql import insert_ignoring_conflicts
from tradewind.db.tables.payments import settlement_mismatches
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.kernel.errors import Conflict, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.ledger.service import processor_movements, processor_refs_between
from tradewind.money.amount import Money
from tradewind.payments.mismatches import queue_page
from tradewind.payments.ports import PaymentProvider, SettlementRow
from tradewind.timers.service import schedule

MATCHED = "matched"
MISSING_OURS = "missing_ours"
MISSING_THEIRS = "missing_theirs"
AMOUNT_DIFFERS = "amount_differs"
CURRENCY_DIFFERS = "currency_differs"
KINDS = (MATCHED, MISSING_OURS, MISSING_THEIRS, AMOUNT_DIFFERS, CURRENCY_DIFFERS)
OPEN, RESOLVED = "open", "resolved"
MAX_NOTE_LEN = 500
RECONCILE_KIND = "payments.reconcile"

ACTIONS = {
    MISSING_OURS: "The processor moved this money and the ledger has no record of it. Find "
    "the cause (an unannounced fee, a webhook never delivered, a movement made twice); book it "
    "with an adjusting entry, or claim it back from the processor.",
    MISSING_THEIRS: "The ledger booked this processor movement and the report does not list "
    "it. Check its intent (refused, or still pending?): retry it, or reverse the booking.",
    AMOUNT_DIFFERS: "The processor settled another amount than the ledger booked. A capture "
    "settled short is not paid in full: hold the order's release, claim the difference from "
    "the processor or refund the buyer; then book the difference.",
    CURRENCY_DIFFERS: "The processor settled in another currency than the ledger booked. Do "
    "not release the order; refund the buyer or convert through an FX entry, then resolve.",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One reconciled movement: ``ref`` is ``"<type>:<reference>"``."""

    kind: str
    row_type: str
    ref: str
    occurrence: int
    reported: Money | None
    booked: Money | None


@dataclass(frozen=True, slots=True)
class DayResult:
    day: date
    counts: dict[str, int]
    mismatches: list[Finding]
    open_total: int  # open mismatches over every day, after this run


def row_ref(row: SettlementRow) -> str:
    return f"{row.type}:{row.reference}"


def match_rows(
    rows: Sequence[SettlementRow],
    booked: Mapping[str, Mapping[str, int]],
    ours_on_day: set[str],
    theirs_next_day: set[str],
) -> list[Finding]:
    """Pure: classify each row (and each of our refs of the day the report misses).
    ``theirs_next_day``: what the neighbouring days' reports list (a movement booked on one
    side of midnight and settled on the other is not missing)."""
    findings = []
    seen: Counter[str] = Counter()
    for row in rows:
        ref = row_ref(row)
        seen[ref] += 1
        ours = booked.get(ref, {})
        kind = MATCHED
        if seen[ref] > 1 or not ours:
            kind = MISSING_OURS
        elif set(ours) != {row.amount.currency}:
            kind = CURRENCY_DIFFERS
        elif ours[row.amount.currency] != row.amount.amount_minor:
            kind = AMOUNT_DIFFERS
        findings.append(
            Finding(kind, row.type, ref, seen[ref], row.amount, _one(ours) if ours else None)
        )
    for ref in sorted(ours_on_day - set(seen) - theirs_next_day):
        ours = booked.get(ref, {})
        if not any(ours.values()):
            continue  # booked and given back (a refused payout): nothing to see at theirs
        findings.append(
            Finding(
                MISSING_THEIRS, ref.split(":", 1)[0], ref, 1, None, _one(ours) if ours else None
            )
        )
    return findings


def _one(per_currency: Mapping[str, int]) -> Money:
    currency = sorted(per_currency)[0]
    return Money(per_currency[currency], currency)


# Applies the rows of a report a context above payments books itself (returns how many).
RowHandler = Callable[[UnitOfWork, Sequence[SettlementRow]], int]


def reconcile_day(
    uow_factory: UnitOfWorkFactory,
    provider: PaymentProvider,
    day: date,
    row_handlers: Sequence[RowHandler] = (),
) -> DayResult:
    """Reconcile ``day`` in a transaction of its own (``tradewind reconcile``)."""
    with uow_factory() as uow:
        result = reconcile_in(uow, provider, day, row_handlers)
        uow.commit()
    return result


def reconcile_in(
    uow: UnitOfWork,
    provider: PaymentProvider,
    day: date,
    row_handlers: Sequence[RowHandler] = (),
) -> DayResult:
    """Fetch the day's report (and its neighbours', for movements settled across midnight),
    book what only the report tells (``row_handlers``), match it and queue the mismatches in
    ``uow``. Fetching a report is a read at the processor and moves nothing, so it may run
    inside the transaction."""
    rows = provider.settlement_report(day)
    for handler in row_handlers:
        handler(uow, rows)
    next_day = {
        row_ref(r)
        for other in (day - timedelta(days=1), day + timedelta(days=1))
        for r in provider.settlement_report(other)
    }
    start = datetime.combine(day, time(0), tzinfo=UTC)
    ours_on_day = processor_refs_between(uow, start, start + timedelta(days=1))
    booked = processor_movements(uow, {row_ref(r) for r in rows} | ours_on_day)
    findings = match_rows(rows, booked, ours_on_day, next_day)
    mismatches = [f for f in findings if f.kind != MATCHED]
    for finding in mismatches:
        _queue(uow, day, finding)
    counts = dict.fromkeys(KINDS, 0) | Counter(f.kind for f in findings)
    return DayResult(day, dict(counts), mismatches, open_count(uow))


def schedule_daily_reconcile(uow: UnitOfWork, now: datetime) -> None:
    """Keep one pending timer that reconciles today at 00:30 UTC tomorrow (by then the
    processor has settled today's movements)."""
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=30, second=0, microsecond=0)
    schedule(
        uow,
        kind=RECONCILE_KIND,
        dedupe_key=f"{RECONCILE_KIND}:{now.date()}",
        due_at=tomorrow,
        payload={"day": now.date().isoformat()},
    )


def reconcile_timer(
    uow: UnitOfWork,
    provider: PaymentProvider,
    payload: Mapping[str, Any],
    row_handlers: Sequence[RowHandler] = (),
) -> None:
    """Timer: reconcile the day in the payload, then arm the next day's run."""
    reconcile_in(uow, provider, date.fromisoformat(str(payload["day"])), row_handlers)
    schedule_daily_reconcile(uow, uow.clock.now())


def _queue(uow: UnitOfWork, day: date, finding: Finding) -> None:
    reported, booked = finding.reported, finding.booked
    insert_ignoring_conflicts(
        uow.conn,
        settlement_mismatches,
        {
            "id": new_id("smm"),
            "match_key": f"{day}:{finding.kind}:{finding.ref}:{finding.occurrence}"[:260],
            "settlement_date": day.isoformat(),
            "kind": finding.kind,
            "row_type": finding.row_type,
            "reference": finding.ref[:200],
            "reported_minor": reported.amount_minor if reported else None,
            "reported_currency": reported.currency if reported else None,
            "booked_minor": booked.amount_minor if booked else None,
            "booked_currency": booked.currency if booked else None,
            "action": ACTIONS[finding.kind],
            "status": OPEN,
            "resolved_by": None,
            "note": "",
            "created_at": uow.clock.now(),
            "resolved_at": None,
        },
    )


def open_count(uow: UnitOfWork) -> int:
    return int(
        uow.conn.scalar(
            select(func.count())
            .select_from(settlement_mismatches)
            .where(settlement_mismatches.c.status == OPEN)
        )
        or 0
    )


# --- the operators' queue -----------------------------------------------------------------


def list_settlement_mismatches(
    uow: UnitOfWork, principal: Principal, *, status: str | None, limit: int, after: str | None
) -> list[dict[str, Any]]:
    return queue_page(
        uow, principal, settlement_mismatches, status=status, limit=limit, after=after
    )


def settlement_mismatch(uow: UnitOfWork, principal: Principal, mismatch_id: str) -> dict[str, Any]:
    require_role(principal, Role.OPERATOR)
    row = uow.conn.execute(
        select(settlement_mismatches).where(settlement_mismatches.c.id == mismatch_id)
    ).first()
    if row is None:
        raise NotFound("settlement mismatch not found")
    return dict(row._mapping)


def resolve_settlement_mismatch(
    uow: UnitOfWork, principal: Principal, mismatch_id: str, note: str
) -> dict[str, Any]:
    """An operator says what was done about it (once: a resolved one is a 409)."""
    settlement_mismatch(uow, principal, mismatch_id)
    moved = uow.conn.execute(
        update(settlement_mismatches)
        .where(settlement_mismatches.c.id == mismatch_id, settlement_mismatches.c.status == OPEN)
        .values(
            status=RESOLVED,
            resolved_by=principal.account_id,
            resolved_at=uow.clock.now(),
            note=note[:MAX_NOTE_LEN],
        )
    ).rowcount
    if not moved:
        raise Conflict(
            "this settlement mismatch is already resolved", code=ProblemCode.MISMATCH_RESOLVED
        )
    return settlement_mismatch(uow, principal, mismatch_id)
