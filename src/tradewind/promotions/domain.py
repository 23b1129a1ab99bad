"""Promotions: who gives how much off, in which order, and who pays for it. Pure, no I/O.

Kinds (:class:`Kind`): a seller's **item discount** on some or all of its offers (percent or
amount per unit, a window, optionally a per-buyer limit in units); a seller's **store
promotion** (tiered "X off every Y spent in this shop"); a seller's **store coupon** (a code,
or claimable from the checkout page; minimum spend, a per-buyer limit, a total quantity, a
window); a **platform coupon** (made by an operator, funded by the platform, optionally
co-funded by sellers who opted in, over the whole cart with a minimum spend over the cart);
and a **free-shipping threshold** per shop.

Stacking is data: :data:`STACKING_ORDER` is the one order in which kinds apply, each on what
the kinds before it left (AliExpress practice). At most one discount of each kind applies per
line (item discount) or per shop (store promotion, store coupon), and one platform coupon per
cart; when several qualify, the one worth most to the buyer wins (ties: lowest id). A line
marked ``stackable=False`` (a flash-sale price) takes no discount at all.

Rounding: percentages go through :func:`tradewind.money.rounding.apply_bps` (half-even, the
one rounding step); an order-level discount is spread over its lines, and the platform coupon
over the seller orders, with :func:`tradewind.money.allocation.allocate` (largest remainder),
so the parts sum exactly to the discount.

Funding: seller-funded lines lower the seller's revenue; a platform-funded line is paid to the
seller by the platform at release (``platform:promotions:{CUR}``). A co-funded platform coupon
charges each opted-in seller ``cofund_bps`` of its part and the platform the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tradewind.kernel.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound
from tradewind.kernel.problems import ProblemCode
from tradewind.money.allocation import allocate
from tradewind.money.rounding import BPS_PER_UNIT, apply_bps

MAX_TIERS = 10
MAX_CODES_PER_CHECKOUT = 5
MAX_CODE_LEN = 32
MAX_NAME_LEN = 120
MAX_OFFERS_PER_DISCOUNT = 500
MAX_QUANTITY = 10_000_000


class Kind(StrEnum):
    ITEM_DISCOUNT = "item_discount"
    STORE_PROMOTION = "store_promotion"
    STORE_COUPON = "store_coupon"
    PLATFORM_COUPON = "platform_coupon"
    FREE_SHIPPING = "free_shipping"


STACKING_ORDER: tuple[Kind, ...] = (
    Kind.ITEM_DISCOUNT,
    Kind.STORE_PROMOTION,
    Kind.STORE_COUPON,
    Kind.PLATFORM_COUPON,
)
"""The one order of application; each kind discounts what the kinds before it left."""

COUPON_KINDS = (Kind.STORE_COUPON, Kind.PLATFORM_COUPON)
SELLER_KINDS = (Kind.ITEM_DISCOUNT, Kind.STORE_PROMOTION, Kind.STORE_COUPON, Kind.FREE_SHIPPING)


class Status(StrEnum):
    """Where a promotion stands, as its owner's list shows it."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


def status_at(p: Promotion, now: datetime) -> Status:
    """Ended when ended early or past its window; scheduled before it; active within it."""
    if not p.active or now >= p.ends_at:
        return Status.ENDED
    return Status.SCHEDULED if now < p.starts_at else Status.ACTIVE


class Funder(StrEnum):
    SELLER = "seller"
    PLATFORM = "platform"


@dataclass(frozen=True, slots=True)
class Tier:
    """``off_minor`` off when the shop's subtotal reaches ``threshold_minor``; with
    ``repeat``, off once for every ``threshold_minor`` spent."""

    threshold_minor: int
    off_minor: int


@dataclass(frozen=True, slots=True)
class Promotion:
    """One promotion as stored; amounts in ``currency`` minor units.

    A percent promotion has ``percent_bps`` (1..10000); an amount one ``amount_minor``; a store
    promotion ``tiers``; a free-shipping threshold ``min_spend_minor``. ``seller_id`` is None
    only for platform coupons. ``cofund_bps`` maps a seller that opted in to its share of a
    platform coupon's cost on its order.
    """

    id: str
    kind: Kind
    name: str
    currency: str
    starts_at: datetime
    ends_at: datetime
    seller_id: str | None = None
    percent_bps: int | None = None
    amount_minor: int | None = None
    tiers: tuple[Tier, ...] = ()
    repeat: bool = False
    min_spend_minor: int = 0
    offer_ids: frozenset[str] = frozenset()  # item discount: empty means every offer of the shop
    code: str | None = None
    claimable: bool = False
    total_quantity: int | None = None
    per_buyer_limit: int | None = None
    used_count: int = 0
    active: bool = True
    cofund_bps: Mapping[str, int] = field(default_factory=dict)

    def live_at(self, now: datetime) -> bool:
        return self.active and self.starts_at <= now < self.ends_at

    def exhausted(self) -> bool:
        return self.total_quantity is not None and self.used_count >= self.total_quantity


@dataclass(frozen=True, slots=True)
class Line:
    """A cart line as the buyer is charged: ``unit_minor`` in the buyer's currency."""

    offer_id: str
    seller_id: str
    unit_minor: int
    quantity: int
    stackable: bool = True  # False: a flash-sale price, which takes no other discount


@dataclass(frozen=True, slots=True)
class DiscountLine:
    """One discount on one seller order: ``amount_minor`` off what the buyer pays, of which the
    platform funds ``platform_minor`` and the seller the rest."""

    promotion_id: str
    kind: Kind
    name: str
    seller_id: str
    amount_minor: int
    platform_minor: int
    offer_id: str | None = None  # an item discount's line; None for order-level discounts

    @property
    def seller_minor(self) -> int:
        return self.amount_minor - self.platform_minor

    @property
    def funder(self) -> Funder:
        return Funder.PLATFORM if self.platform_minor == self.amount_minor else Funder.SELLER


@dataclass(frozen=True, slots=True)
class Use:
    """What a checkout takes from a limited promotion: ``units`` of its per-buyer limit
    (coupons: 1; item discounts: the units bought at the discount) and one of its total
    quantity when it is a coupon."""

    promotion_id: str
    units: int
    counts_total: bool


@dataclass(frozen=True, slots=True)
class OrderDiscounts:
    seller_id: str
    items_minor: int  # before any discount
    lines: tuple[DiscountLine, ...]
    line_discounts: Mapping[str, int]  # offer id -> discount on that line (all kinds)
    free_shipping: bool

    @property
    def discount_minor(self) -> int:
        return sum(d.amount_minor for d in self.lines)

    @property
    def platform_minor(self) -> int:
        return sum(d.platform_minor for d in self.lines)

    @property
    def seller_funded_minor(self) -> int:
        return sum(d.seller_minor for d in self.lines)


@dataclass(frozen=True, slots=True)
class Priced:
    """The cart priced with its promotions: per seller order, and what it uses up."""

    orders: Mapping[str, OrderDiscounts]
    uses: tuple[Use, ...]

    @property
    def discount_minor(self) -> int:
        return sum(o.discount_minor for o in self.orders.values())


@dataclass(frozen=True, slots=True)
class Context:
    """What pricing needs besides the lines. ``to_buyer(seller_id)`` converts a seller's
    amount into the buyer's currency (the order's FX quote, rounded once there)."""

    buyer_currency: str
    now: datetime
    promotions: Sequence[Promotion]
    codes: frozenset[str] = frozenset()  # coupon codes the buyer entered (normalised)
    used_by_buyer: Mapping[str, int] = field(default_factory=dict)  # promotion id -> units
    to_buyer: Callable[[str, int], int] = lambda _seller, amount: amount


def normalise_code(code: str) -> str:
    return code.strip().upper()


def price(lines: Sequence[Line], ctx: Context) -> Priced:
    """Apply every promotion that qualifies, in :data:`STACKING_ORDER`; see the module doc.

    A code the buyer entered that applies to nothing raises (``coupon_not_found``,
    ``coupon_not_applicable``, ``coupon_exhausted``, ``coupon_limit_reached``): the buyer asked
    for it, so silence would be a wrong total.
    """
    _check_codes(ctx)
    sellers = list(dict.fromkeys(line.seller_id for line in lines))
    left = {line.offer_id: line.unit_minor * line.quantity for line in lines}
    found: dict[str, list[DiscountLine]] = {s: [] for s in sellers}
    per_line: dict[str, int] = dict.fromkeys(left, 0)
    uses: list[Use] = []
    for line in lines:
        _item_discount(line, ctx, found, per_line, left, uses)
    for seller_id in sellers:
        own = [x for x in lines if x.seller_id == seller_id and x.stackable]
        for kind in (Kind.STORE_PROMOTION, Kind.STORE_COUPON):
            _shop_discount(kind, seller_id, own, ctx, found, per_line, left, uses)
    _platform_coupon(lines, ctx, found, per_line, left, uses)
    _refuse_unused_codes(ctx, uses)
    orders = {
        s: OrderDiscounts(
            seller_id=s,
            items_minor=sum(x.unit_minor * x.quantity for x in lines if x.seller_id == s),
            lines=tuple(found[s]),
            line_discounts={x.offer_id: per_line[x.offer_id] for x in lines if x.seller_id == s},
            free_shipping=_free_shipping(s, lines, left, ctx),
        )
        for s in sellers
    }
    return Priced(orders, tuple(uses))


def _check_codes(ctx: Context) -> None:
    if len(ctx.codes) > MAX_CODES_PER_CHECKOUT:
        raise InvalidInput(
            f"at most {MAX_CODES_PER_CHECKOUT} coupon codes per checkout",
            code=ProblemCode.COUPON_NOT_APPLICABLE,
            errors=[FieldError("coupon_codes", "too many codes", "too_many")],
        )
    known = {p.code for p in ctx.promotions if p.code}
    for code in sorted(ctx.codes - known):
        raise NotFound(f"no coupon with the code {code}", code=ProblemCode.COUPON_NOT_FOUND)


def _usable(p: Promotion, ctx: Context) -> bool:
    """Live, not used up, within the buyer's limit; coupons also need their code entered."""
    if not p.live_at(ctx.now) or p.exhausted():
        return False
    if p.per_buyer_limit is not None and ctx.used_by_buyer.get(p.id, 0) >= p.per_buyer_limit:
        return False
    if p.kind in COUPON_KINDS:
        return p.code is not None and p.code in ctx.codes
    return True


def _amount(p: Promotion, seller_id: str, ctx: Context, amount_minor: int) -> int:
    """``amount_minor`` (the promotion's currency) in the buyer's currency."""
    if p.currency == ctx.buyer_currency:
        return amount_minor
    return ctx.to_buyer(seller_id, amount_minor)


def _off(p: Promotion, seller_id: str, ctx: Context, base_minor: int) -> int:
    """What a percent or amount promotion takes off ``base_minor`` (never more than it)."""
    if p.percent_bps is not None:
        return apply_bps(base_minor, p.percent_bps)
    assert p.amount_minor is not None
    return min(base_minor, _amount(p, seller_id, ctx, p.amount_minor))


def best_item_discount(line: Line, ctx: Context) -> tuple[int, int, Promotion] | None:
    """The item discount worth most on ``line``: (off the line, units it covers, promotion);
    per unit, on at most the units the buyer's limit still allows. What product, search and
    cart pages show a unit at (``quantity=1``) is what :func:`price` takes off."""
    if not line.stackable:
        return None
    best: tuple[int, int, Promotion] | None = None
    for p in ctx.promotions:
        if p.kind != Kind.ITEM_DISCOUNT or p.seller_id != line.seller_id or not _usable(p, ctx):
            continue
        if p.offer_ids and line.offer_id not in p.offer_ids:
            continue
        units = line.quantity
        if p.per_buyer_limit is not None:
            units = min(units, p.per_buyer_limit - ctx.used_by_buyer.get(p.id, 0))
        off = _off(p, line.seller_id, ctx, line.unit_minor) * units
        if off > 0 and (best is None or off > best[0]):
            best = (off, units, p)
    return best


def _item_discount(
    line: Line,
    ctx: Context,
    found: dict[str, list[DiscountLine]],
    per_line: dict[str, int],
    left: dict[str, int],
    uses: list[Use],
) -> None:
    best = best_item_discount(line, ctx)
    if best is None:
        return
    off, units, p = best
    found[line.seller_id].append(
        DiscountLine(p.id, p.kind, p.name, line.seller_id, off, 0, line.offer_id)
    )
    per_line[line.offer_id] += off
    left[line.offer_id] -= off
    if p.per_buyer_limit is not None:
        uses.append(Use(p.id, units, counts_total=False))


def _shop_discount(
    kind: Kind,
    seller_id: str,
    own: list[Line],
    ctx: Context,
    found: dict[str, list[DiscountLine]],
    per_line: dict[str, int],
    left: dict[str, int],
    uses: list[Use],
) -> None:
    """The best store promotion or store coupon of one shop, on what its lines have left."""
    if not own:
        return
    subtotal = sum(left[x.offer_id] for x in own)
    best: tuple[int, Promotion] | None = None
    for p in ctx.promotions:
        if p.kind != kind or p.seller_id != seller_id or not _usable(p, ctx):
            continue
        if subtotal < _amount(p, seller_id, ctx, p.min_spend_minor):
            continue
        off = _tiered(p, seller_id, ctx, subtotal) if kind == Kind.STORE_PROMOTION else 0
        if kind == Kind.STORE_COUPON:
            off = _off(p, seller_id, ctx, subtotal)
        if off > 0 and (best is None or off > best[0]):
            best = (off, p)
    if best is None:
        return
    off, p = best
    found[seller_id].append(DiscountLine(p.id, p.kind, p.name, seller_id, off, 0))
    _spread(off, own, per_line, left)
    if p.kind == Kind.STORE_COUPON:
        uses.append(Use(p.id, 1, counts_total=True))


def _tiered(p: Promotion, seller_id: str, ctx: Context, subtotal: int) -> int:
    """The highest tier the subtotal reaches; with ``repeat``, that tier once per threshold."""
    off = 0
    for tier in p.tiers:
        threshold = _amount(p, seller_id, ctx, tier.threshold_minor)
        if threshold <= 0 or subtotal < threshold:
            continue
        times = subtotal // threshold if p.repeat else 1
        off = max(off, times * _amount(p, seller_id, ctx, tier.off_minor))
    return min(off, subtotal)


def _spread(
    off: int, lines: Sequence[Line], per_line: dict[str, int], left: dict[str, int]
) -> None:
    """Spread an order-level discount over its lines by what each has left (largest
    remainder), so each line's customs value is its share after discounts."""
    parts = allocate(off, [left[x.offer_id] for x in lines])
    for line, part in zip(lines, parts, strict=True):
        per_line[line.offer_id] += part
        left[line.offer_id] -= part


def _platform_coupon(
    lines: Sequence[Line],
    ctx: Context,
    found: dict[str, list[DiscountLine]],
    per_line: dict[str, int],
    left: dict[str, int],
    uses: list[Use],
) -> None:
    """One platform coupon over the whole cart, split across the seller orders by what each
    has left (largest remainder), each part funded by the platform less the seller's opted-in
    share."""
    eligible = [x for x in lines if x.stackable]
    total = sum(left[x.offer_id] for x in eligible)
    best: tuple[int, Promotion] | None = None
    for p in ctx.promotions:
        if p.kind != Kind.PLATFORM_COUPON or not _usable(p, ctx) or total == 0:
            continue
        if p.currency != ctx.buyer_currency or total < p.min_spend_minor:
            continue
        off = _off(p, "", ctx, total)
        if off > 0 and (best is None or off > best[0]):
            best = (off, p)
    if best is None:
        return
    off, p = best
    sellers = list(dict.fromkeys(x.seller_id for x in eligible))
    weights = [sum(left[x.offer_id] for x in eligible if x.seller_id == s) for s in sellers]
    for seller_id, part, weight in zip(sellers, allocate(off, weights), weights, strict=True):
        if part == 0:
            continue
        seller_share = apply_bps(part, p.cofund_bps.get(seller_id, 0))
        found[seller_id].append(
            DiscountLine(p.id, p.kind, p.name, seller_id, part, part - seller_share)
        )
        own = [x for x in eligible if x.seller_id == seller_id]
        assert weight > 0
        _spread(part, own, per_line, left)
    uses.append(Use(p.id, 1, counts_total=True))


def _free_shipping(
    seller_id: str, lines: Sequence[Line], left: Mapping[str, int], ctx: Context
) -> bool:
    """The shop ships free when what the buyer pays for its goods reaches its threshold."""
    paid = sum(left[x.offer_id] for x in lines if x.seller_id == seller_id)
    return any(
        p.kind == Kind.FREE_SHIPPING
        and p.seller_id == seller_id
        and p.live_at(ctx.now)
        and paid >= _amount(p, seller_id, ctx, p.min_spend_minor)
        for p in ctx.promotions
    )


def _refuse_unused_codes(ctx: Context, uses: Sequence[Use]) -> None:
    """An entered code that gave nothing is refused with the reason, the first one found."""
    applied = {u.promotion_id for u in uses}
    for p in sorted(ctx.promotions, key=lambda p: p.id):
        if p.code is None or p.code not in ctx.codes or p.id in applied:
            continue
        if not p.live_at(ctx.now):
            raise InvalidInput(
                f"coupon {p.code} is not valid now", code=ProblemCode.COUPON_NOT_APPLICABLE
            )
        if p.exhausted():
            raise Conflict(f"coupon {p.code} is used up", code=ProblemCode.COUPON_EXHAUSTED)
        if p.per_buyer_limit is not None and ctx.used_by_buyer.get(p.id, 0) >= p.per_buyer_limit:
            raise Conflict(
                f"you have used coupon {p.code} already", code=ProblemCode.COUPON_LIMIT_REACHED
            )
        raise InvalidInput(
            f"coupon {p.code} does not apply to this cart (shop, currency or minimum spend)",
            code=ProblemCode.COUPON_NOT_APPLICABLE,
        )


def check_promotion(p: Promotion) -> list[FieldError]:
    """Every problem with a promotion a seller or an operator wants to create, by field."""
    errors: list[FieldError] = []
    if not 1 <= len(p.name.strip()) <= MAX_NAME_LEN:
        errors.append(FieldError("name", f"1 to {MAX_NAME_LEN} characters", "invalid_length"))
    if p.ends_at <= p.starts_at:
        errors.append(FieldError("ends_at", "must be after the start", "invalid_window"))
    errors += _check_value(p)
    if p.kind in COUPON_KINDS and not p.code and not p.claimable:
        errors.append(FieldError("code", "a coupon needs a code or to be claimable", "required"))
    if p.code is not None and not (p.code.isalnum() and p.code.isascii()):
        errors.append(FieldError("code", "letters and digits only", "invalid_code"))
    if p.code is not None and not 3 <= len(p.code) <= MAX_CODE_LEN:
        errors.append(FieldError("code", f"3 to {MAX_CODE_LEN} characters", "invalid_length"))
    for name, value in (
        ("total_quantity", p.total_quantity),
        ("per_buyer_limit", p.per_buyer_limit),
    ):
        if value is not None and not 1 <= value <= MAX_QUANTITY:
            errors.append(FieldError(name, f"1 to {MAX_QUANTITY}", "out_of_range"))
    if len(p.offer_ids) > MAX_OFFERS_PER_DISCOUNT:
        errors.append(FieldError("offer_ids", f"at most {MAX_OFFERS_PER_DISCOUNT}", "too_many"))
    if not 0 <= p.min_spend_minor <= 10**15:
        errors.append(FieldError("min_spend_minor", "0 or more", "out_of_range"))
    if any(not 0 <= bps <= BPS_PER_UNIT for bps in p.cofund_bps.values()):
        errors.append(FieldError("cofund_bps", f"0 to {BPS_PER_UNIT}", "out_of_range"))
    return errors


def _check_value(p: Promotion) -> list[FieldError]:
    """Exactly one way of giving money off, fitting the kind."""
    if p.kind == Kind.FREE_SHIPPING:
        return []
    if p.kind == Kind.STORE_PROMOTION:
        ok = 1 <= len(p.tiers) <= MAX_TIERS and all(
            0 < t.off_minor <= t.threshold_minor <= 10**15 for t in p.tiers
        )
        msg = f"1 to {MAX_TIERS} tiers, each 0 < off <= threshold"
        return [] if ok else [FieldError("tiers", msg, "invalid_tiers")]
    if (p.percent_bps is None) == (p.amount_minor is None):
        return [FieldError("percent_bps", "give a percentage or an amount", "required")]
    if p.percent_bps is not None and not 1 <= p.percent_bps <= BPS_PER_UNIT:
        return [FieldError("percent_bps", f"1 to {BPS_PER_UNIT}", "out_of_range")]
    if p.amount_minor is not None and not 1 <= p.amount_minor <= 10**15:
        return [FieldError("amount_minor", "more than 0", "out_of_range")]
    return []


# --- a batch of checkouts taking uses --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counters:
    """A limited promotion's row as the batch read it under its lock."""

    total_quantity: int | None
    used_count: int
    per_buyer_limit: int | None


def merge_uses(uses: Sequence[Use]) -> list[Use]:
    """One use per promotion (units summed), in promotion id order."""
    units: dict[str, int] = {}
    total: dict[str, bool] = {}
    for use in uses:
        units[use.promotion_id] = units.get(use.promotion_id, 0) + use.units
        total[use.promotion_id] = total.get(use.promotion_id, False) or use.counts_total
    return [Use(pid, units[pid], total[pid]) for pid in sorted(units)]


class UseLedger:
    """What the batch's locked promotions allow, as its checkouts take uses in arrival order
    (pure; the batch writes ``taken_total`` and ``taken_by_buyer`` once, per promotion)."""

    def __init__(
        self, counters: Mapping[str, Counters], buyer_used: Mapping[tuple[str, str], int]
    ) -> None:
        self._counters = dict(counters)
        self._buyer_used = dict(buyer_used)  # (promotion id, buyer id) -> used before the batch
        self.taken_total: dict[str, int] = {}
        self.taken_by_buyer: dict[tuple[str, str], int] = {}

    def take(self, buyer_id: str, uses: Sequence[Use]) -> DomainError | None:
        """Take every use or none; returns the refusal instead of raising."""
        merged = merge_uses(uses)
        for use in merged:
            refusal = self._refusal(buyer_id, use)
            if refusal is not None:
                return refusal
        self._move(buyer_id, merged, 1)
        return None

    def give_back(self, buyer_id: str, uses: Sequence[Use]) -> None:
        """Undo a :meth:`take` of this batch (the checkout was refused after it)."""
        self._move(buyer_id, merge_uses(uses), -1)

    def _move(self, buyer_id: str, merged: Sequence[Use], sign: int) -> None:
        for use in merged:
            if use.counts_total:
                self.taken_total[use.promotion_id] = (
                    self.taken_total.get(use.promotion_id, 0) + sign
                )
            c = self._counters.get(use.promotion_id)
            if c is not None and c.per_buyer_limit is not None and use.units:
                key = (use.promotion_id, buyer_id)
                self.taken_by_buyer[key] = self.taken_by_buyer.get(key, 0) + sign * use.units

    def limit_of(self, promotion_id: str) -> int | None:
        c = self._counters.get(promotion_id)
        return None if c is None else c.per_buyer_limit

    def _refusal(self, buyer_id: str, use: Use) -> DomainError | None:
        c = self._counters.get(use.promotion_id)
        if use.counts_total:
            taken = self.taken_total.get(use.promotion_id, 0)
            if c is None or (
                c.total_quantity is not None and c.used_count + taken >= c.total_quantity
            ):
                return Conflict("this coupon is used up", code=ProblemCode.COUPON_EXHAUSTED)
        if c is None or c.per_buyer_limit is None:
            return None
        key = (use.promotion_id, buyer_id)
        used = self._buyer_used.get(key, 0) + self.taken_by_buyer.get(key, 0)
        if used + use.units > c.per_buyer_limit:
            return Conflict(
                "you have used this promotion as often as it allows",
                code=ProblemCode.COUPON_LIMIT_REACHED,
            )
        return None
