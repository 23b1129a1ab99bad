"""The per-process gate: answers not-started, ended and sold-out without the database.

Each server process keeps, per sale it has served, the sale's times (immutable), a sold-out
flag and the idempotency keys of the sale's claims. The rules that make this safe:

- The gate only ever *refuses*. Whatever it lets through is judged again by the claim writer
  under the sale's row lock, so a stale gate can cost a database round trip, never an oversell.
- A refusal is only as old as ``FRESH_S``. The flag comes from the truth (the writer's own
  batches, or a poll every ``POLL_S``); an older flag is re-read before it refuses anyone, so
  units that came back (an expired hold with nobody waiting) are claimable within ``FRESH_S``.
- A retried claim must get its claim back, not ``sold_out``. The flag is raised only once the
  gate holds the key of every claim up to the sale's claim counter, and a request whose key is
  among them is let through to the writer, which replays the stored claim.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from sqlalchemy import select

from tradewind.db.tables.flash import flash_sales
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory
from tradewind.flash.claims import MAX_KEYS_PER_READ, SaleState, read_keys
from tradewind.flash.domain import refusal
from tradewind.kernel.errors import Conflict

FRESH_S = 1.0
POLL_S = 0.2
ACTIVE_S = 10.0  # a sale nobody asked about for this long is no longer polled
MAX_SALES = 1000
MAX_POLL_PAGES = 20


class Verdict(Enum):
    PASS = "pass"  # go on to the writer
    LOAD = "load"  # the gate knows too little: load the sale, then ask again


def key_digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


@dataclass
class SaleView:
    starts_at: datetime
    ends_at: datetime
    sold_out: bool = False
    checked_at: float = 0.0  # monotonic time of the truth behind ``sold_out``
    last_seq: int = 0  # keys of every keyed claim up to this seq are in ``known``
    known: set[int] = field(default_factory=set)
    used_at: float = 0.0


class SaleGate:
    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._views: dict[str, SaleView] = {}
        self._lock = threading.Lock()
        self._monotonic = monotonic  # seconds; injectable so tests can age a flag

    def check(self, sale_id: str, key: str, now: datetime) -> Conflict | Verdict:
        """A refusal, PASS, or LOAD; never touches the database."""
        view = self._views.get(sale_id)
        if view is None:
            return Verdict.LOAD
        mono = self._monotonic()
        view.used_at = mono
        if key_digest(key) in view.known:
            return Verdict.PASS  # a retry of a stored claim: the writer replays it
        fresh = mono - view.checked_at <= FRESH_S
        if view.sold_out and not fresh and view.starts_at <= now < view.ends_at:
            return Verdict.LOAD
        answer = refusal(now, view.starts_at, view.ends_at, sold_out=view.sold_out and fresh)
        return Verdict.PASS if answer is None else answer

    def seen_seq(self, sale_id: str) -> int:
        """The claim seq up to which this gate knows the sale's idempotency keys."""
        view = self._views.get(sale_id)
        return 0 if view is None else view.last_seq

    def active_sales(self) -> list[str]:
        horizon = self._monotonic() - ACTIVE_S
        return [sale_id for sale_id, v in list(self._views.items()) if v.used_at >= horizon]

    def observe(self, state: SaleState, *, at: float) -> None:
        """Take in the truth read at monotonic time ``at`` (by a batch or a poll)."""
        with self._lock:
            view = self._views.get(state.sale_id)
            if view is None:
                return
            if state.keys_upto > view.last_seq:
                view.known.update(key_digest(k) for _, k in state.keys)
                view.last_seq = state.keys_upto
            # Keys first, flag second: the flag may refuse only when every retry is known.
            sold_out = state.remaining_units == 0 and view.last_seq >= state.claim_seq
            if at >= view.checked_at:
                view.sold_out = sold_out
                view.checked_at = at

    def load(self, uow_factory: UnitOfWorkFactory, sale_id: str) -> bool:
        """Add (or re-read) one sale; False when no such sale exists."""
        with uow_factory(read_only=True) as uow:
            row = uow.conn.execute(
                select(flash_sales.c.starts_at, flash_sales.c.ends_at).where(
                    flash_sales.c.id == sale_id
                )
            ).first()
        if row is None:
            return False
        self.track(sale_id, row.starts_at, row.ends_at)
        self.poll(uow_factory, [sale_id])
        return True

    def track(self, sale_id: str, starts_at: datetime, ends_at: datetime) -> None:
        """Start answering for a sale (its times never change); evicts the least used one."""
        with self._lock:
            if sale_id not in self._views:
                if len(self._views) >= MAX_SALES:
                    self._evict()
                self._views[sale_id] = SaleView(starts_at, ends_at)
            self._views[sale_id].used_at = self._monotonic()

    def _evict(self) -> None:
        oldest = min(self._views, key=lambda s: self._views[s].used_at)
        del self._views[oldest]

    def poll(self, uow_factory: UnitOfWorkFactory, sale_ids: list[str]) -> None:
        """Refresh the flags (and keys) of ``sale_ids`` from the database."""
        if not sale_ids:
            return
        at = self._monotonic()
        with uow_factory(read_only=True) as uow:
            # The sale rows first, the keys after: on PostgreSQL each read is its own snapshot,
            # and every claim counted in claim_seq was committed before the first one.
            rows = uow.conn.execute(
                select(
                    flash_sales.c.id, flash_sales.c.remaining_units, flash_sales.c.claim_seq
                ).where(flash_sales.c.id.in_(sale_ids))
            ).all()
            states = []
            for row in rows:
                view = self._views.get(row.id)
                if view is None:
                    continue
                keys: tuple[tuple[int, str], ...] = ()
                upto = view.last_seq
                if row.remaining_units == 0:  # keys matter only to a gate that may refuse
                    keys, upto = _catch_up(uow, row.id, view.last_seq, row.claim_seq)
                states.append(SaleState(row.id, row.remaining_units, row.claim_seq, keys, upto))
        for state in states:
            self.observe(state, at=at)


def _catch_up(
    uow: UnitOfWork, sale_id: str, last_seq: int, claim_seq: int
) -> tuple[tuple[tuple[int, str], ...], int]:
    """Keys of keyed claims after ``last_seq``, and the seq up to which they are complete.

    Claims of one sale commit in seq order (the row lock), so what a read sees is a prefix; a
    short page therefore completes everything up to ``claim_seq`` read before it.
    """
    keys: list[tuple[int, str]] = []
    upto = last_seq
    for _ in range(MAX_POLL_PAGES if claim_seq > last_seq else 0):
        page = read_keys(uow, sale_id, upto)
        keys.extend(page)
        if len(page) < MAX_KEYS_PER_READ:
            return tuple(keys), max(claim_seq, page[-1][0] if page else upto)
        upto = page[-1][0]
    return tuple(keys), upto
