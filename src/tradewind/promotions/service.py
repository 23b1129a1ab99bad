"""Promotions use cases and the reads and writes checkout and escrow call.

Limits hold under concurrency the way stock does: the checkout writer locks a batch's promotion
rows in id order and reads them and its buyers' counters once (:func:`lock`); each checkout is
judged against them in arrival order, all or nothing
(:class:`~tradewind.promotions.domain.UseLedger`, pure), and the batch writes its uses with
one conditional UPDATE of the promotions' counters (``used_count + n <= total_quantity``), one
per promotion of its buyers' counters (``used + n <= per_buyer_limit``) and one INSERT of the
redemptions (:func:`write_uses`), so 200 buyers racing for the last 10 uses get exactly 10. A
refusal keeps nothing. A retry under the same Idempotency-Key replays the stored answer and
takes nothing again; ``(promotion_id, checkout_id)`` is unique besides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from tradewind.audit import service as audit
from tradewind.catalog.service import seller_of
from tradewind.db.sql import inserted_ignoring_conflicts
from tradewind.db.tables.promotions import (
    order_discounts,
    promotion_buyer_uses,
    promotion_cofunding,
    promotion_redemptions,
    promotions,
)
from tradewind.db.uow import UnitOfWork, use_case
from tradewind.identity.domain import Permission, Principal, Role, require_permission, require_role
from tradewind.kernel.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.money.currency import minor_unit_digits
from tradewind.promotions.domain import (
    COUPON_KINDS,
    SELLER_KINDS,
    Counters,
    Kind,
    OrderDiscounts,
    Promotion,
    Tier,
    Use,
    UseLedger,
    check_promotion,
    merge_uses,
    normalise_code,
    status_at,
)

MAX_LISTED = 200


def _promotion(row: Any, cofund: Mapping[str, int] | None = None) -> Promotion:
    return Promotion(
        id=row.id,
        kind=Kind(row.kind),
        name=row.name,
        currency=row.currency,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        seller_id=row.seller_id,
        percent_bps=row.percent_bps,
        amount_minor=row.amount_minor,
        tiers=tuple(Tier(int(t), int(o)) for t, o in row.tiers),
        repeat=bool(row.repeat),
        min_spend_minor=row.min_spend_minor,
        offer_ids=frozenset(row.offer_ids),
        code=row.code,
        claimable=bool(row.claimable),
        total_quantity=row.total_quantity,
        per_buyer_limit=row.per_buyer_limit,
        used_count=row.used_count,
        active=bool(row.active),
        cofund_bps=dict(cofund or {}),
    )


# --- creating and listing --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromotionSpec:
    """What a seller or an operator asks for; checked by :func:`check_promotion`."""

    kind: str
    name: str
    starts_at: datetime
    ends_at: datetime
    percent_bps: int | None = None
    amount_minor: int | None = None
    tiers: tuple[tuple[int, int], ...] = ()
    repeat: bool = False
    min_spend_minor: int = 0
    offer_ids: tuple[str, ...] = ()
    code: str | None = None
    claimable: bool = False
    total_quantity: int | None = None
    per_buyer_limit: int | None = None
    currency: str | None = None  # platform coupons: the cart currency; sellers: their own


@use_case
def create_promotion(
    uow: UnitOfWork, principal: Principal, spec: PromotionSpec, reason: str | None = None
) -> dict[str, Any]:
    """A seller creates one of its shop's kinds; an operator (with the ``promotions``
    permission) creates platform coupons, written to the audit log with ``reason``.

    Refusals: 403 ``role_required`` / ``permission_required``; 422 ``invalid_promotion`` with
    one error per field (a kind the role may not create, the value, the window, the code, the
    limits)."""
    require_role(principal, Role.SELLER, Role.OPERATOR)
    if principal.role is Role.OPERATOR:
        require_permission(principal, Permission.PROMOTIONS)
    kind = _kind_for(principal, spec.kind)
    seller_id, currency = None, spec.currency or principal.currency
    if principal.role is Role.SELLER:
        shop = seller_of(uow, principal)
        seller_id, currency = shop["id"], shop["currency"]
    code = normalise_code(spec.code) if spec.code else None
    p = Promotion(
        id=new_id("prm"),
        kind=kind,
        name=spec.name.strip(),
        currency=currency,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        seller_id=seller_id,
        percent_bps=spec.percent_bps,
        amount_minor=spec.amount_minor,
        tiers=tuple(Tier(t, o) for t, o in spec.tiers),
        repeat=spec.repeat,
        min_spend_minor=spec.min_spend_minor,
        offer_ids=frozenset(spec.offer_ids),
        code=code,
        claimable=spec.claimable,
        total_quantity=spec.total_quantity,
        per_buyer_limit=1
        if kind in COUPON_KINDS and not spec.per_buyer_limit
        else spec.per_buyer_limit,
    )
    errors = check_promotion(p) + _currency_errors(currency)
    if code and uow.conn.scalar(select(promotions.c.id).where(promotions.c.code == code)):
        errors.append(FieldError("code", "this code is taken", "code_taken"))
    if errors:
        raise InvalidInput(
            "the promotion is not valid", code=ProblemCode.INVALID_PROMOTION, errors=errors
        )
    try:
        uow.conn.execute(insert(promotions).values(_row_values(p, principal, uow.clock.now())))
    except IntegrityError as exc:  # the same code created at the same instant
        raise InvalidInput(
            "the promotion is not valid",
            code=ProblemCode.INVALID_PROMOTION,
            errors=[FieldError("code", "this code is taken", "code_taken")],
        ) from exc
    if principal.role is Role.OPERATOR:
        _audit(uow, principal, "promotion.create", p.id, reason, {"code": p.code, "name": p.name})
    return _view(p, _spend(uow, [p.id]).get(p.id, (0, 0, 0)), uow.clock.now())


def _audit(
    uow: UnitOfWork,
    principal: Principal,
    action: str,
    promotion_id: str,
    reason: str | None,
    detail: Mapping[str, Any],
) -> None:
    audit.record(
        uow,
        actor_id=principal.account_id,
        action=action,
        subject_kind="promotion",
        subject_id=promotion_id,
        reason=audit.NO_REASON if reason is None else reason,
        detail=detail,
    )


@use_case
def end_promotion(
    uow: UnitOfWork, principal: Principal, promotion_id: str, reason: str | None = None
) -> dict[str, Any]:
    """End a promotion now: no checkout applies it from here on (uses already taken stay).

    A seller ends only its shop's own (anyone else's is 404, as if it did not exist); an
    operator with the ``promotions`` permission ends platform coupons, audited with
    ``reason``. Ending one already ended is 409 ``promotion_ended`` and changes nothing."""
    require_role(principal, Role.SELLER, Role.OPERATOR)
    owned = promotions.c.kind == Kind.PLATFORM_COUPON.value
    if principal.role is Role.SELLER:
        owned = promotions.c.seller_id == seller_of(uow, principal)["id"]
    else:
        require_permission(principal, Permission.PROMOTIONS)
    row = uow.conn.execute(select(promotions).where(promotions.c.id == promotion_id, owned)).first()
    if row is None:
        raise NotFound("promotion not found")
    now = uow.clock.now()
    ended = uow.conn.execute(
        update(promotions)
        .where(promotions.c.id == promotion_id, promotions.c.active.is_(True))
        .values(active=False, ends_at=min(row.ends_at, max(now, row.starts_at)))
    ).rowcount
    if ended != 1 or row.ends_at <= now:
        raise Conflict("this promotion has already ended", code=ProblemCode.PROMOTION_ENDED)
    if principal.role is Role.OPERATOR:
        _audit(uow, principal, "promotion.end", promotion_id, reason, {"code": row.code})
    fresh = uow.conn.execute(select(promotions).where(promotions.c.id == promotion_id)).one()
    return _view(_promotion(fresh), _spend(uow, [promotion_id]).get(promotion_id, (0, 0, 0)), now)


def _kind_for(principal: Principal, kind: str) -> Kind:
    allowed = SELLER_KINDS if principal.role is Role.SELLER else (Kind.PLATFORM_COUPON,)
    if kind not in {k.value for k in allowed}:
        raise InvalidInput(
            "the promotion is not valid",
            code=ProblemCode.INVALID_PROMOTION,
            errors=[
                FieldError("kind", "one of " + ", ".join(k.value for k in allowed), "invalid_kind")
            ],
        )
    return Kind(kind)


def _currency_errors(currency: str) -> list[FieldError]:
    try:
        minor_unit_digits(currency)
    except DomainError:
        return [FieldError("currency", "an ISO 4217 currency code", "unknown_currency")]
    return []


def _row_values(p: Promotion, principal: Principal, now: datetime) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind.value,
        "seller_id": p.seller_id,
        "name": p.name,
        "currency": p.currency,
        "percent_bps": p.percent_bps,
        "amount_minor": p.amount_minor,
        "tiers": [[t.threshold_minor, t.off_minor] for t in p.tiers],
        "repeat": p.repeat,
        "min_spend_minor": p.min_spend_minor,
        "offer_ids": sorted(p.offer_ids),
        "code": p.code,
        "claimable": p.claimable,
        "total_quantity": p.total_quantity,
        "per_buyer_limit": p.per_buyer_limit,
        "used_count": 0,
        "active": True,
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
        "created_by": principal.account_id,
        "created_at": now,
    }


@use_case
def list_promotions(uow: UnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    """A seller's own promotions, or (operators) the platform coupons, newest first, each with
    what it cost so far: ``uses``, ``discount_minor``, ``seller_cost_minor`` and
    ``platform_cost_minor`` (in the order currencies' minor units, summed per currency)."""
    require_role(principal, Role.SELLER, Role.OPERATOR)
    query = select(promotions).order_by(promotions.c.created_at.desc(), promotions.c.id.desc())
    if principal.role is Role.SELLER:
        query = query.where(promotions.c.seller_id == seller_of(uow, principal)["id"])
    else:
        query = query.where(promotions.c.kind == Kind.PLATFORM_COUPON.value)
    rows = uow.conn.execute(query.limit(MAX_LISTED)).all()
    spend = _spend(uow, [r.id for r in rows])
    now = uow.clock.now()
    return [_view(_promotion(r), spend.get(r.id, (0, 0, 0)), now) for r in rows]


def _spend(uow: UnitOfWork, ids: Sequence[str]) -> dict[str, tuple[int, int, int]]:
    """Promotion id -> (orders, discount, platform part) over every order line it gave."""
    if not ids:
        return {}
    rows = uow.conn.execute(
        select(
            order_discounts.c.promotion_id,
            func.count(),
            func.sum(order_discounts.c.amount_minor),
            func.sum(order_discounts.c.platform_minor),
        )
        .where(order_discounts.c.promotion_id.in_(ids))
        .group_by(order_discounts.c.promotion_id)
    )
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


def _view(p: Promotion, spend: tuple[int, int, int], now: datetime) -> dict[str, Any]:
    orders, discount, platform = spend
    return {
        "status": status_at(p, now).value,
        "uses_left": None if p.total_quantity is None else p.total_quantity - p.used_count,
        "id": p.id,
        "kind": p.kind.value,
        "name": p.name,
        "seller_id": p.seller_id,
        "currency": p.currency,
        "percent_bps": p.percent_bps,
        "amount_minor": p.amount_minor,
        "tiers": [[t.threshold_minor, t.off_minor] for t in p.tiers],
        "repeat": p.repeat,
        "min_spend_minor": p.min_spend_minor,
        "offer_ids": sorted(p.offer_ids),
        "code": p.code,
        "claimable": p.claimable,
        "total_quantity": p.total_quantity,
        "per_buyer_limit": p.per_buyer_limit,
        "used_count": p.used_count,
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
        "orders": orders,
        "discount_minor": discount,
        "seller_cost_minor": discount - platform,
        "platform_cost_minor": platform,
    }


@use_case
def opt_in(
    uow: UnitOfWork, principal: Principal, promotion_id: str, cofund_bps: int
) -> dict[str, Any]:
    """A seller co-funds a platform coupon: ``cofund_bps`` of its orders' part is its cost."""
    require_role(principal, Role.SELLER)
    shop = seller_of(uow, principal)
    row = uow.conn.execute(select(promotions).where(promotions.c.id == promotion_id)).first()
    if row is None or row.kind != Kind.PLATFORM_COUPON.value:
        raise NotFound("promotion not found")
    if not 0 <= cofund_bps <= 10_000:
        raise InvalidInput(
            "the share is not valid",
            code=ProblemCode.INVALID_PROMOTION,
            errors=[FieldError("cofund_bps", "0 to 10000", "out_of_range")],
        )
    inserted_ignoring_conflicts(
        uow.conn,
        promotion_cofunding,
        {
            "promotion_id": promotion_id,
            "seller_id": shop["id"],
            "cofund_bps": cofund_bps,
            "opted_in_at": uow.clock.now(),
        },
        promotion_cofunding.c.seller_id,
    )
    return {"promotion_id": promotion_id, "seller_id": shop["id"], "cofund_bps": cofund_bps}


# --- what checkout reads ---------------------------------------------------------------------


def for_cart(
    uow: UnitOfWork, seller_ids: Collection[str], codes: Collection[str], now: datetime
) -> list[Promotion]:
    """Live promotions that could apply to a cart of these shops: the shops' own (coupons only
    with an entered code) and the platform coupons whose codes were entered."""
    seller_kinds = [k.value for k in SELLER_KINDS if k not in COUPON_KINDS]
    coded = sorted(normalise_code(c) for c in codes)
    rows = list(
        uow.conn.execute(
            select(promotions)
            .where(
                promotions.c.active.is_(True),
                promotions.c.starts_at <= now,
                promotions.c.ends_at > now,
                or_(
                    and_(
                        promotions.c.seller_id.in_(sorted(seller_ids)),
                        promotions.c.kind.in_(seller_kinds),
                    ),
                    promotions.c.code.in_(coded),
                ),
            )
            .order_by(promotions.c.id)
        )
    )
    # An entered code may be expired or not started: pricing needs it to say why.
    known = {r.id for r in rows}
    rows += [
        r
        for r in uow.conn.execute(select(promotions).where(promotions.c.code.in_(coded)))
        if r.id not in known
    ]
    cofund = _cofunding(uow, [r.id for r in rows if r.kind == Kind.PLATFORM_COUPON.value])
    return [_promotion(r, cofund.get(r.id)) for r in rows]


def _cofunding(uow: UnitOfWork, ids: Sequence[str]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = defaultdict(dict)
    if ids:
        for r in uow.conn.execute(
            select(promotion_cofunding).where(promotion_cofunding.c.promotion_id.in_(ids))
        ):
            found[r.promotion_id][r.seller_id] = r.cofund_bps
    return found


def used_by_buyer(uow: UnitOfWork, buyer_id: str, ids: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = uow.conn.execute(
        select(promotion_buyer_uses.c.promotion_id, promotion_buyer_uses.c.used).where(
            promotion_buyer_uses.c.buyer_id == buyer_id,
            promotion_buyer_uses.c.promotion_id.in_(wanted),
        )
    )
    return {r.promotion_id: r.used for r in rows}


def claimable(
    uow: UnitOfWork, principal: Principal, seller_ids: Collection[str], now: datetime
) -> list[dict[str, Any]]:
    """Coupons a buyer may take at checkout: claimable store coupons of the cart's shops and
    claimable platform coupons in the buyer's currency, live, not used up, not used by them."""
    rows = uow.conn.execute(
        select(promotions)
        .where(
            promotions.c.claimable.is_(True),
            promotions.c.active.is_(True),
            promotions.c.starts_at <= now,
            promotions.c.ends_at > now,
            or_(
                and_(
                    promotions.c.kind == Kind.STORE_COUPON.value,
                    promotions.c.seller_id.in_(sorted(seller_ids)),
                ),
                and_(
                    promotions.c.kind == Kind.PLATFORM_COUPON.value,
                    promotions.c.currency == principal.currency,
                ),
            ),
        )
        .order_by(promotions.c.id)
        .limit(MAX_LISTED)
    ).all()
    used = used_by_buyer(uow, principal.account_id, [r.id for r in rows])
    return [
        _view(p, (0, 0, 0), now)
        for p in (_promotion(r) for r in rows)
        if not p.exhausted()
        and (p.per_buyer_limit is None or used.get(p.id, 0) < p.per_buyer_limit)
    ]


# --- what the checkout writer does -----------------------------------------------------------


def lock(uow: UnitOfWork, wanted: Iterable[tuple[str, Sequence[Use]]]) -> UseLedger:
    """Lock the batch's promotion rows in id order (PostgreSQL; on SQLite the write
    transaction holds the database) and read them and the batch's buyers' uses: two
    statements per batch. ``wanted`` is each checkout's (buyer id, uses)."""
    pairs = {(u.promotion_id, buyer) for buyer, uses in wanted for u in uses}
    ids = sorted({pid for pid, _ in pairs})
    if not ids:
        return UseLedger({}, {})
    query = (
        select(
            promotions.c.id,
            promotions.c.total_quantity,
            promotions.c.used_count,
            promotions.c.per_buyer_limit,
        )
        .where(promotions.c.id.in_(ids))
        .order_by(promotions.c.id)
    )
    if not uow.is_sqlite:
        query = query.with_for_update()
    counters = {
        r.id: Counters(r.total_quantity, r.used_count, r.per_buyer_limit)
        for r in uow.conn.execute(query)
    }
    buyers = sorted({buyer for _, buyer in pairs})
    used = {
        (r.promotion_id, r.buyer_id): r.used
        for r in uow.conn.execute(
            select(promotion_buyer_uses).where(
                promotion_buyer_uses.c.promotion_id.in_(ids),
                promotion_buyer_uses.c.buyer_id.in_(buyers),
            )
        )
        if (r.promotion_id, r.buyer_id) in pairs
    }
    return UseLedger(counters, used)


def write_uses(
    uow: UnitOfWork, ledger: UseLedger, placed: Sequence[tuple[str, str, Sequence[Use]]]
) -> None:
    """Write what the batch took: one conditional UPDATE of the promotions' counters, one per
    promotion of its buyers' counters, one INSERT of the redemptions. ``placed`` is each
    placed checkout's (buyer id, checkout id, uses). Raises (failing the whole batch) if a row
    no longer agrees with what was read under its lock, which would be a bug; the limits stay
    in the statements regardless."""
    _write_totals(uow, {p: n for p, n in ledger.taken_total.items() if n})
    by_promotion: dict[str, dict[str, int]] = defaultdict(dict)
    for (pid, buyer), n in sorted(ledger.taken_by_buyer.items()):
        if n:
            by_promotion[pid][buyer] = n
    if by_promotion:
        inserted_ignoring_conflicts(
            uow.conn,
            promotion_buyer_uses,
            [
                {"promotion_id": pid, "buyer_id": b, "used": 0}
                for pid, buyers in by_promotion.items()
                for b in buyers
            ],
            promotion_buyer_uses.c.used,
        )
    for pid, buyers in by_promotion.items():
        _write_buyer_uses(uow, pid, buyers, ledger.limit_of(pid))
    now = uow.clock.now()
    rows = [
        {
            "promotion_id": u.promotion_id,
            "checkout_id": checkout_id,
            "buyer_id": buyer,
            "units": u.units,
            "counts_total": u.counts_total,
            "status": "used",
            "created_at": now,
            "returned_at": None,
        }
        for buyer, checkout_id, uses in placed
        for u in merge_uses(uses)
    ]
    if rows:
        uow.conn.execute(insert(promotion_redemptions), rows)


def _write_totals(uow: UnitOfWork, taken: Mapping[str, int]) -> None:
    if not taken:
        return
    units = case(dict(sorted(taken.items())), value=promotions.c.id)
    written = uow.conn.execute(
        update(promotions)
        .where(
            promotions.c.id.in_(sorted(taken)),
            or_(
                promotions.c.total_quantity.is_(None),
                promotions.c.used_count + units <= promotions.c.total_quantity,
            ),
        )
        .values(used_count=promotions.c.used_count + units)
    ).rowcount
    if written != len(taken):
        raise RuntimeError(f"{len(taken) - written} promotions changed under their locks")


def _write_buyer_uses(
    uow: UnitOfWork, promotion_id: str, taken: Mapping[str, int], limit: int | None
) -> None:
    units = case(dict(taken), value=promotion_buyer_uses.c.buyer_id)
    query = update(promotion_buyer_uses).where(
        promotion_buyer_uses.c.promotion_id == promotion_id,
        promotion_buyer_uses.c.buyer_id.in_(sorted(taken)),
    )
    if limit is not None:
        query = query.where(promotion_buyer_uses.c.used + units <= limit)
    written = uow.conn.execute(query.values(used=promotion_buyer_uses.c.used + units)).rowcount
    if written != len(taken):
        raise RuntimeError(f"{len(taken) - written} buyers' uses changed under their locks")


def _give_back(uow: UnitOfWork, buyer_id: str, uses: Iterable[Use]) -> None:
    for use in uses:
        if use.counts_total:
            uow.conn.execute(
                update(promotions)
                .where(promotions.c.id == use.promotion_id, promotions.c.used_count > 0)
                .values(used_count=promotions.c.used_count - 1)
            )
        if use.units:
            uow.conn.execute(
                update(promotion_buyer_uses)
                .where(
                    promotion_buyer_uses.c.promotion_id == use.promotion_id,
                    promotion_buyer_uses.c.buyer_id == buyer_id,
                    promotion_buyer_uses.c.used >= use.units,
                )
                .values(used=promotion_buyer_uses.c.used - use.units)
            )


def discount_rows(
    order_id: str, currency: str, discounts: OrderDiscounts, now: datetime
) -> list[dict[str, Any]]:
    """The ``order_discounts`` rows of one planned order."""
    return [
        {
            "order_id": order_id,
            "promotion_id": d.promotion_id,
            "seller_id": d.seller_id,
            "kind": d.kind.value,
            "name": d.name,
            "currency": currency,
            "amount_minor": d.amount_minor,
            "platform_minor": d.platform_minor,
            "created_at": now,
        }
        for d in discounts.lines
    ]


def record(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        uow.conn.execute(insert(order_discounts), list(rows))


# --- what orders, escrow and refunds read ----------------------------------------------------


def discount_lines(uow: UnitOfWork, order_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """Order id -> its discount lines in the order of application (API and pages)."""
    found: dict[str, list[dict[str, Any]]] = {o: [] for o in order_ids}
    if not order_ids:
        return found
    for r in uow.conn.execute(
        select(order_discounts)
        .where(order_discounts.c.order_id.in_(sorted(order_ids)))
        .order_by(order_discounts.c.id)
    ):
        found[r.order_id].append(
            {
                "promotion_id": r.promotion_id,
                "kind": r.kind,
                "name": r.name,
                "amount_minor": r.amount_minor,
                "funder": "platform" if r.platform_minor == r.amount_minor else "seller",
                "platform_minor": r.platform_minor,
                "seller_minor": r.amount_minor - r.platform_minor,
            }
        )
    return found


def platform_funded_minor(uow: UnitOfWork, order_id: str) -> int:
    """What the platform funds of an order's discounts (paid to the seller at release)."""
    funded = uow.conn.scalar(
        select(func.coalesce(func.sum(order_discounts.c.platform_minor), 0)).where(
            order_discounts.c.order_id == order_id
        )
    )
    return int(funded or 0)


def platform_funded_by_order(
    uow: UnitOfWork, order_ids: Collection[str] | None = None
) -> dict[str, int]:
    """Order id -> what the platform funds of its discounts, for every order with any (or for
    ``order_ids``): what ``tradewind ledger check`` holds ``platform:promotions`` against."""
    query = (
        select(order_discounts.c.order_id, func.sum(order_discounts.c.platform_minor))
        .where(order_discounts.c.platform_minor > 0)
        .group_by(order_discounts.c.order_id)
    )
    if order_ids is not None:
        query = query.where(order_discounts.c.order_id.in_(sorted(order_ids)))
    return {str(o): int(v) for o, v in uow.conn.execute(query)}


def give_back_void(
    uow: UnitOfWork,
    checkout_id: str,
    order_ids: Collection[str],
    void_order_ids: Collection[str],
    now: datetime,
) -> list[str]:
    """Return to the buyer the uses of a checkout (its orders: ``order_ids``) when every order a
    promotion gave a discount on is void (cancelled, or refunded in full), if the promotion is
    still live. Each redemption moves ``used -> returned`` once (a conditional UPDATE), so a
    repeated call gives nothing twice. Returns the promotion ids given back."""
    given: list[str] = []
    rows = uow.conn.execute(
        select(promotion_redemptions)
        .where(
            promotion_redemptions.c.checkout_id == checkout_id,
            promotion_redemptions.c.status == "used",
        )
        .order_by(promotion_redemptions.c.promotion_id)
    ).all()
    for r in rows:
        touched = set(
            uow.conn.scalars(
                select(order_discounts.c.order_id).where(
                    order_discounts.c.promotion_id == r.promotion_id,
                    order_discounts.c.order_id.in_(sorted(order_ids)),
                )
            )
        )
        live = uow.conn.scalar(
            select(promotions.c.id).where(
                promotions.c.id == r.promotion_id,
                promotions.c.active.is_(True),
                promotions.c.ends_at > now,
            )
        )
        if not touched <= set(void_order_ids) or live is None:
            continue
        moved = uow.conn.execute(
            update(promotion_redemptions)
            .where(promotion_redemptions.c.id == r.id, promotion_redemptions.c.status == "used")
            .values(status="returned", returned_at=now)
        ).rowcount
        if moved == 1:
            _give_back(uow, r.buyer_id, [Use(r.promotion_id, r.units, bool(r.counts_total))])
            given.append(r.promotion_id)
    return given
