"""Applying a batch of claims in one transaction: the body of the claim writer.

Per sale, in ascending sale id order (so writers in different processes never deadlock): lock
the sale row, read the pool, the buyers' counts and any earlier claims under the same keys,
let :func:`tradewind.flash.domain.decide_claims` judge every ask against that one consistent
view, then write it all: one conditional pool decrement, the buyer counts, and the claims with
their orders. The limit check and the stock take are thereby one atomic step, and hundreds of
claims share one lock acquisition instead of queueing on the hot row one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.db.tables.flash import flash_buyers, flash_claims, flash_sales
from tradewind.db.uow import UnitOfWork
from tradewind.flash._buyers import buyers_for_tokens
from tradewind.flash._orders import NewClaim, insert_claims, quotes_by_currency
from tradewind.flash.domain import (
    Ask,
    Buyer,
    Decision,
    Granted,
    Refused,
    Replay,
    Window,
    decide_claims,
)
from tradewind.kernel.errors import Conflict, DomainError, NotFound, Unauthenticated
from tradewind.money.fx import FxQuote

MAX_BATCH_CLAIMS = 500
MAX_KEYS_PER_READ = 5000


@dataclass(frozen=True, slots=True)
class ClaimInput:
    """One claim as the route hands it over. The buyer is known already (a cookie session, an
    address lookup) or comes as an API token that the batch resolves with all the others."""

    sale_id: str
    quantity: int
    ship_to: Mapping[str, Any]
    idempotency_key: str
    request_hash: str
    buyer: Buyer | None = None
    token: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimResult:
    claim: dict[str, Any]
    replayed: bool


Outcome = ClaimResult | DomainError


@dataclass(frozen=True, slots=True)
class SaleState:
    """What a batch (or the gate's poll) learned about a sale, for the per-process gate.

    ``keys`` holds (seq, idempotency key) of keyed claims the gate had not seen, complete up to
    seq ``keys_upto``. They are read only when the pool is empty, because only then may the
    gate refuse, and a retried claim that was granted must be let through, never refused.
    """

    sale_id: str
    remaining_units: int
    claim_seq: int
    keys: tuple[tuple[int, str], ...]
    keys_upto: int


def lock_sale(uow: UnitOfWork, sale_id: str) -> dict[str, Any] | None:
    """Read a sale under its row lock (SQLite: the database write lock the UoW already holds)."""
    row = uow.conn.execute(
        select(flash_sales).where(flash_sales.c.id == sale_id).with_for_update()
    ).first()
    return None if row is None else dict(row._mapping)


def apply_batch(
    uow: UnitOfWork, inputs: Sequence[ClaimInput], *, seen_seq: Mapping[str, int]
) -> tuple[list[Outcome], list[SaleState]]:
    """Judge and write ``inputs``; outcomes come back in input order. The caller commits.

    ``seen_seq`` is, per sale, the claim seq up to which the gate already knows the keys.
    """
    if len(inputs) > MAX_BATCH_CLAIMS:
        raise ValueError(f"at most {MAX_BATCH_CLAIMS} claims per batch")
    now = uow.clock.now()
    outcomes: list[Outcome | None] = [None] * len(inputs)
    by_token = buyers_for_tokens(uow, {i.token for i in inputs if i.token is not None})
    buyers: dict[int, Buyer] = {}
    for index, inp in enumerate(inputs):
        who = inp.buyer if inp.token is None else by_token[inp.token]
        if isinstance(who, Buyer):
            buyers[index] = who
        else:
            outcomes[index] = who or Unauthenticated("log in or send an API token")
    states: list[SaleState] = []
    order = sorted(buyers, key=lambda i: (inputs[i].sale_id, i))
    for sale_id, group in groupby(order, key=lambda i: inputs[i].sale_id):
        indexes = list(group)
        sale = lock_sale(uow, sale_id)
        if sale is None:
            for i in indexes:
                outcomes[i] = NotFound("flash sale not found")
            continue
        claims = [_Claim(inputs[i], buyers[i]) for i in indexes]
        results, state = _apply_sale(uow, sale, claims, now, seen_seq.get(sale_id, 0))
        for i, result in zip(indexes, results, strict=True):
            outcomes[i] = result
        states.append(state)
    if any(o is None for o in outcomes):
        raise AssertionError("a claim in the batch got no outcome")
    return [o for o in outcomes if o is not None], states


@dataclass(frozen=True, slots=True)
class _Claim:
    """A claim whose buyer is known."""

    inp: ClaimInput
    buyer: Buyer

    @property
    def buyer_id(self) -> str:
        return self.buyer.account_id

    @property
    def currency(self) -> str:
        return self.buyer.currency

    @property
    def idempotency_key(self) -> str:
        return self.inp.idempotency_key


def _apply_sale(
    uow: UnitOfWork,
    sale: dict[str, Any],
    inputs: list[_Claim],
    now: datetime,
    seen_seq: int,
) -> tuple[list[Outcome], SaleState]:
    earlier = _earlier_claims(uow, inputs)
    quotes = quotes_by_currency(uow, sale["currency"], {i.currency for i in inputs}, now)
    # A buyer whose currency has no FX quote is refused before judging (so takes no units),
    # unless the ask is a replay, which needs no price.
    judged = [
        k
        for k, i in enumerate(inputs)
        if not isinstance(quotes[i.currency], Conflict)
        or (i.buyer_id, i.idempotency_key) in earlier
    ]
    counts = buyer_units(uow, sale["id"], {inputs[k].buyer_id for k in judged})
    window = Window(
        sale["starts_at"], sale["ends_at"], sale["remaining_units"], sale["per_buyer_limit"]
    )
    decided = decide_claims(
        window,
        counts,
        [_ask(inputs[k]) for k in judged],
        now=now,
        earlier={identity: row["request_hash"] for identity, row in earlier.items()},
    )
    decisions = dict(zip(judged, decided.decisions, strict=True))
    granted = [k for k, d in decisions.items() if isinstance(d, Granted)]
    claim_seq = int(sale["claim_seq"])
    fresh: dict[tuple[str, str], dict[str, Any]] = {}
    if granted:
        _take_units(uow, sale, sum(inputs[k].inp.quantity for k in granted), len(granted), now)
        write_counts(uow, sale, decided.units_by_buyer)
        rows = insert_claims(
            uow,
            sale,
            [_new_claim(inputs[k]) for k in granted],
            {c: q for c, q in quotes.items() if isinstance(q, FxQuote)},
            first_seq=claim_seq + 1,
            now=now,
        )
        fresh = {(c["buyer_id"], c["idempotency_key"]): c for c in rows}
        claim_seq += len(granted)
    results = _outcomes(inputs, decisions, quotes, earlier, fresh)
    remaining = decided.remaining_units
    return results, _state(uow, sale["id"], remaining, claim_seq, seen_seq)


def _outcomes(
    inputs: list[_Claim],
    decisions: Mapping[int, Decision],
    quotes: Mapping[str, FxQuote | Conflict],
    earlier: Mapping[tuple[str, str], dict[str, Any]],
    fresh: Mapping[tuple[str, str], dict[str, Any]],
) -> list[Outcome]:
    """Each input's answer: its claim (new or replayed) or the error that refused it."""
    results: list[Outcome] = []
    for k, inp in enumerate(inputs):
        decision = decisions.get(k)
        identity = (inp.buyer_id, inp.idempotency_key)
        if decision is None:  # refused before judging: no FX quote into its currency
            error = quotes[inp.currency]
            assert isinstance(error, Conflict)
            results.append(error)
        elif isinstance(decision, Refused):
            results.append(decision.error)
        elif isinstance(decision, Replay):
            results.append(ClaimResult(earlier.get(identity) or fresh[identity], replayed=True))
        else:
            results.append(ClaimResult(fresh[identity], replayed=False))
    return results


def _ask(claim: _Claim) -> Ask:
    inp = claim.inp
    return Ask(claim.buyer_id, inp.quantity, inp.idempotency_key, inp.request_hash)


def _new_claim(claim: _Claim) -> NewClaim:
    inp = claim.inp
    return NewClaim(
        claim.buyer_id,
        claim.currency,
        inp.ship_to,
        inp.quantity,
        "claim",
        inp.idempotency_key,
        inp.request_hash,
    )


def _earlier_claims(uow: UnitOfWork, inputs: list[_Claim]) -> dict[tuple[str, str], dict[str, Any]]:
    wanted = {(i.buyer_id, i.idempotency_key) for i in inputs}
    rows = uow.conn.execute(
        select(flash_claims).where(flash_claims.c.idempotency_key.in_({key for _, key in wanted}))
    )
    found = {}
    for row in rows:
        identity = (row.buyer_id, row.idempotency_key)
        if identity in wanted:
            found[identity] = dict(row._mapping)
    return found


def buyer_units(uow: UnitOfWork, sale_id: str, buyer_ids: set[str]) -> dict[str, int]:
    if not buyer_ids:
        return {}
    rows = uow.conn.execute(
        select(flash_buyers.c.buyer_id, flash_buyers.c.units).where(
            flash_buyers.c.sale_id == sale_id, flash_buyers.c.buyer_id.in_(buyer_ids)
        )
    )
    return {row.buyer_id: int(row.units) for row in rows}


def _take_units(
    uow: UnitOfWork, sale: dict[str, Any], units: int, claims: int, now: datetime
) -> None:
    # Conditional as well as pre-judged: a wrong judgement fails loudly instead of overselling.
    taken = uow.conn.execute(
        update(flash_sales)
        .where(flash_sales.c.id == sale["id"], flash_sales.c.remaining_units >= units)
        .values(
            remaining_units=flash_sales.c.remaining_units - units,
            claim_seq=flash_sales.c.claim_seq + claims,
            version=flash_sales.c.version + 1,
            updated_at=now,
        )
    ).rowcount
    if taken != 1:
        raise AssertionError(f"flash sale {sale['id']} lost units under its own row lock")


def write_counts(uow: UnitOfWork, sale: Mapping[str, Any], after: Mapping[str, int]) -> None:
    """Store new per-buyer unit counts, one upsert for all of them. The absolute values are
    safe to write: every writer of a sale's counts holds that sale's row lock."""
    if not after:
        return
    dialect = postgresql if uow.conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(flash_buyers)
    uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[flash_buyers.c.sale_id, flash_buyers.c.buyer_id],
            set_={"units": statement.excluded.units},
        ),
        [
            {
                "sale_id": sale["id"],
                "buyer_id": buyer_id,
                "units": units,
                "limit_units": sale["per_buyer_limit"],
            }
            for buyer_id, units in after.items()
        ],
    )


def _state(
    uow: UnitOfWork, sale_id: str, remaining: int, claim_seq: int, seen_seq: int
) -> SaleState:
    if remaining > 0:
        return SaleState(sale_id, remaining, claim_seq, (), seen_seq)
    keys = read_keys(uow, sale_id, seen_seq)
    # Under the row lock every claim up to claim_seq is committed, so a short page is complete.
    upto = claim_seq if len(keys) < MAX_KEYS_PER_READ else keys[-1][0]
    return SaleState(sale_id, remaining, claim_seq, keys, upto)


def read_keys(uow: UnitOfWork, sale_id: str, after_seq: int) -> tuple[tuple[int, str], ...]:
    """Up to MAX_KEYS_PER_READ (seq, idempotency key) of keyed claims after ``after_seq``."""
    rows = uow.conn.execute(
        select(flash_claims.c.seq, flash_claims.c.idempotency_key)
        .where(
            flash_claims.c.sale_id == sale_id,
            flash_claims.c.seq > after_seq,
            flash_claims.c.idempotency_key.is_not(None),
        )
        .order_by(flash_claims.c.seq)
        .limit(MAX_KEYS_PER_READ)
    )
    return tuple((int(r.seq), str(r.idempotency_key)) for r in rows)
