"""Replaying risk events through a rule set: the findings each rule makes.

Pure: no I/O. :class:`Replay` takes events in time order (``observe``) and keeps what the rules
need: per key (account, card, device, address, client address) the recent checkouts, each
account's first appearance and the keys it used, each seller's shipments, scans, confirmations
and payout-destination changes. Deadlines (a shipment with no first scan after N days) are
checked whenever time moves (``advance``). The same code scores live traffic (the service loads
the history that shares a key with what is being judged and replays it) and backtests a month.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tradewind.risk.domain import EventKind, Finding, RiskEvent, Rule, RuleSet, SubjectKind

BUYER_KEYS = ("account", "card", "device", "address", "ip")


def _key(event: RiskEvent, kind: str) -> str | None:
    return event.account_id if kind == "account" else getattr(event, kind)


@dataclass(slots=True)
class _Checkout:
    at: datetime
    order_id: str
    checkout_id: str
    account: str


@dataclass(slots=True)
class _Seller:
    shipments: deque[tuple[datetime, str]] = field(default_factory=deque)
    unscanned: deque[tuple[datetime, str]] = field(default_factory=deque)
    foreign: deque[tuple[datetime, str]] = field(default_factory=deque)
    destination_post: deque[tuple[datetime, str]] = field(default_factory=deque)
    confirms: deque[tuple[datetime, str, bool]] = field(default_factory=deque)
    sales: deque[tuple[datetime, str, str]] = field(default_factory=deque)
    sales_by_buyer: Counter[str] = field(default_factory=Counter)
    destination_changes: list[tuple[datetime, bool]] = field(default_factory=list)


class Replay:
    """Feed events oldest first; :attr:`findings` collects what fired."""

    def __init__(self, rule_set: RuleSet) -> None:
        self.rules: dict[str, Rule] = rule_set.by_code()
        self.findings: list[Finding] = []
        self._now: datetime | None = None
        self._signed_up: dict[str, datetime] = {}
        # account -> {"device:x": first seen}
        self._keys_of: defaultdict[str, dict[str, datetime]] = defaultdict(dict)
        self._checkouts: defaultdict[tuple[str, str], deque[_Checkout]] = defaultdict(deque)
        self._orders: dict[str, RiskEvent] = {}
        self._shipped: dict[str, tuple[datetime, str]] = {}  # order -> (at, seller)
        self._scanned: set[str] = set()
        self._tracking: defaultdict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
        self._deadlines: list[tuple[datetime, str]] = []
        self._sellers: defaultdict[str, _Seller] = defaultdict(_Seller)
        self._delivered: defaultdict[str, deque[datetime]] = defaultdict(deque)
        self._claims: defaultdict[str, deque[tuple[datetime, str]]] = defaultdict(deque)

    def run(self, events: Iterable[RiskEvent], until: datetime | None = None) -> list[Finding]:
        for event in events:
            self.observe(event)
        if until is not None:
            self.advance(until)
        return self.findings

    def observe(self, event: RiskEvent) -> None:
        self.advance(event.at)
        if event.kind == EventKind.SIGNUP:
            self._signed_up.setdefault(event.account_id, event.at)
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(self, event)
        for kind in ("device", "ip", "card", "address"):
            value = getattr(event, kind)
            if value:
                self._keys_of[event.account_id].setdefault(f"{kind}:{value}", event.at)

    def advance(self, now: datetime) -> None:
        self._now = now if self._now is None else max(self._now, now)
        rule = self.rules.get("seller.no_first_scan")
        while self._deadlines and self._deadlines[0][0] <= self._now:
            due, order_id = heapq.heappop(self._deadlines)
            if rule is not None and order_id not in self._scanned:
                self._unscanned(rule, due, order_id)

    def _fire(
        self,
        kind: SubjectKind,
        subject: str,
        rule: str,
        at: datetime,
        detail: str,
        orders: Iterable[str] = (),
        accounts: Iterable[str] = (),
    ) -> None:
        self.findings.append(
            Finding(kind, subject, rule, at, detail, tuple(orders), tuple(sorted(set(accounts))))
        )

    # -- buyers ---------------------------------------------------------------------------

    def _on_checkout(self, event: RiskEvent) -> None:
        if event.order_id is None:
            return
        self._orders[event.order_id] = event
        checkout = _Checkout(
            event.at, event.order_id, event.checkout_id or event.order_id, event.account_id
        )
        for kind in BUYER_KEYS:
            value = _key(event, kind)
            if value:
                self._checkouts[(kind, value)].append(checkout)
        self._velocity(event)
        self._new_account(event)
        self._countries(event)
        self._shared_with_seller(event)
        if event.seller_id:
            state = self._sellers[event.seller_id]
            state.sales.append((event.at, event.order_id, event.account_id))
            state.sales_by_buyer[event.account_id] += 1
            self._concentration(event.seller_id, event.at)

    def _recent(self, kind: str, value: str, window_s: int, at: datetime) -> deque[_Checkout]:
        found = self._checkouts[(kind, value)]
        while found and found[0].at < at - timedelta(seconds=window_s):
            found.popleft()
        return found

    def _velocity(self, event: RiskEvent) -> None:
        """Too many checkouts on one key (``max_checkouts``) or too many accounts on one key
        (``max_accounts``) within the window: the rule fires for every order in it."""
        for code, limits, counted in (
            ("buyer.velocity", "max_checkouts", "checkouts"),
            ("buyer.linked_accounts", "max_accounts", "accounts"),
        ):
            rule = self.rules.get(code)
            if rule is None:
                continue
            for kind, limit in rule.param(limits).items():
                value = _key(event, kind)
                if not value:
                    continue
                recent = self._recent(kind, value, rule.param("window_s"), event.at)
                accounts = [c.account for c in recent]
                seen = {c.checkout_id for c in recent} if counted == "checkouts" else set(accounts)
                if len(seen) > limit:
                    orders = [c.order_id for c in recent]
                    detail = f"{kind}: {len(seen)} {counted}"
                    for order_id in orders:
                        self._fire(
                            SubjectKind.ORDER, order_id, code, event.at, detail, orders, accounts
                        )
                    break

    def _new_account(self, event: RiskEvent) -> None:
        rule = self.rules.get("buyer.new_account_high_value")
        if rule is None or event.amount_minor is None or event.currency is None:
            return
        threshold = rule.param("high_value_minor").get(event.currency)
        signed_up = self._signed_up.get(event.account_id)
        if signed_up is None:
            return  # an account older than the history replayed
        age_s = (event.at - signed_up).total_seconds()
        high = threshold is not None and event.amount_minor >= threshold
        if high and age_s < rule.param("max_age_s"):
            self._fire(
                SubjectKind.ORDER,
                str(event.order_id),
                rule.code,
                event.at,
                f"account {int(age_s // 3600)} h old, order {event.amount_minor} {event.currency}",
                [str(event.order_id)],
                [event.account_id],
            )

    def _countries(self, event: RiskEvent) -> None:
        known = [
            c for c in (event.billing_country, event.shipping_country, event.client_country) if c
        ]
        if len(set(known)) < 2:
            return
        order = str(event.order_id)
        detail = (
            f"billing {event.billing_country}, shipping {event.shipping_country},"
            f" client {event.client_country}"
        )
        code = "buyer.countries_all_differ" if len(set(known)) == 3 else "buyer.country_mismatch"
        billing_elsewhere = event.billing_country not in (None, event.shipping_country)
        if code in self.rules and (len(set(known)) == 3 or billing_elsewhere):
            self._fire(
                SubjectKind.ORDER, order, code, event.at, detail, [order], [event.account_id]
            )

    def _on_delivered(self, event: RiskEvent) -> None:
        buyer = self._buyer_of(event)
        if buyer:
            self._delivered[buyer].append(event.at)

    def _on_claim(self, event: RiskEvent) -> None:
        rule = self.rules.get("buyer.not_received_claims")
        if rule is None or event.reason not in (None, "item_not_received"):
            return
        buyer = event.account_id
        since = event.at - timedelta(seconds=rule.param("window_s"))
        claims = self._claims[buyer]
        claims.append((event.at, str(event.order_id)))
        while claims and claims[0][0] < since:
            claims.popleft()
        delivered = self._delivered[buyer]
        while delivered and delivered[0] < since:
            delivered.popleft()
        share = len(claims) / max(1, len(delivered))
        if len(claims) >= rule.param("min_claims") and share >= rule.param("min_share"):
            self._fire(
                SubjectKind.BUYER,
                buyer,
                rule.code,
                event.at,
                f"{len(claims)} not-received claims, {len(delivered)} delivered",
                [o for _, o in claims],
                [buyer],
            )

    # -- sellers --------------------------------------------------------------------------

    def _on_shipment(self, event: RiskEvent) -> None:
        seller = event.seller_id or event.account_id
        order_id = str(event.order_id)
        state = self._sellers[seller]
        state.shipments.append((event.at, order_id))
        self._shipped[order_id] = (event.at, seller)
        rule = self.rules.get("seller.no_first_scan")
        if rule is not None:
            due = event.at + timedelta(seconds=rule.param("within_s"))
            heapq.heappush(self._deadlines, (due, order_id))
        if event.tracking_number:
            self._tracking_checks(event, seller, order_id, event.tracking_number)

    def _tracking_checks(self, event: RiskEvent, seller: str, order_id: str, number: str) -> None:
        ordered = self._orders.get(order_id)
        buyer = event.buyer_id or (ordered.account_id if ordered else "")
        rule = self.rules.get("seller.tracking_reused")
        if rule is not None:
            since = event.at - timedelta(seconds=rule.param("window_s"))
            earlier = [(o, b) for at, o, b in self._tracking[number] if at >= since and b != buyer]
            if earlier:
                orders = [order_id, *(o for o, _ in earlier)]
                self._fire(
                    SubjectKind.SELLER,
                    seller,
                    rule.code,
                    event.at,
                    f"{number} also on {len(earlier)} other buyers' orders",
                    orders,
                    [seller],
                )
        self._tracking[number].append((event.at, order_id, buyer))
        issuer = number[-2:] if len(number) == 13 else None
        origin = event.seller_country
        destination = event.shipping_country or (ordered.shipping_country if ordered else None)
        if issuer is None or origin is None or issuer == origin:
            return
        state = self._sellers[seller]
        if issuer == destination:
            state.destination_post.append((event.at, order_id))
            self._post_rule("seller.tracking_destination_post", seller, event.at)
        else:
            state.foreign.append((event.at, order_id))
            self._post_rule("seller.tracking_foreign_post", seller, event.at)

    def _post_rule(self, code: str, seller: str, at: datetime) -> None:
        rule = self.rules.get(code)
        if rule is None:
            return
        state = self._sellers[seller]
        found = state.destination_post if code.endswith("destination_post") else state.foreign
        window = timedelta(seconds=rule.param("window_s"))
        _trim(found, at - window)
        _trim(state.shipments, at - window)
        share = len(found) / max(1, len(state.shipments))
        if len(found) >= rule.param("min_count") and share >= rule.params.get("min_share", 0):
            orders = [o for _, o in found]
            self._fire(
                SubjectKind.SELLER, seller, code, at, f"{len(found)} numbers", orders, [seller]
            )

    def _on_tracking(self, event: RiskEvent) -> None:
        if event.order_id:
            self._scanned.add(event.order_id)

    def _unscanned(self, rule: Rule, due: datetime, order_id: str) -> None:
        shipped_at, seller = self._shipped[order_id]
        state = self._sellers[seller]
        window = timedelta(seconds=rule.param("window_s"))
        state.unscanned.append((shipped_at, order_id))
        _trim(state.unscanned, due - window)
        shipped = sum(1 for at, _ in state.shipments if at >= due - window)
        share = len(state.unscanned) / max(1, shipped)
        if len(state.unscanned) >= rule.param("min_count") and share >= rule.param("min_share"):
            orders = [o for _, o in state.unscanned]
            self._fire(
                SubjectKind.SELLER,
                seller,
                rule.code,
                due,
                f"{len(orders)} of {shipped} parcels without a first scan",
                orders,
                [seller],
            )

    def _on_confirm(self, event: RiskEvent) -> None:
        rule = self.rules.get("collusion.instant_confirmations")
        order_id = str(event.order_id)
        shipped = self._shipped.get(order_id)
        if rule is None or shipped is None:
            return
        shipped_at, seller = shipped
        state = self._sellers[seller]
        instant = (event.at - shipped_at).total_seconds() <= rule.param("within_s")
        state.confirms.append((event.at, order_id, instant))
        _trim(state.confirms, event.at - timedelta(seconds=rule.param("window_s")))
        fast = [o for _, o, quick in state.confirms if quick]
        share = len(fast) / len(state.confirms)
        if len(fast) >= rule.param("min_count") and share >= rule.param("min_share"):
            self._fire(
                SubjectKind.SELLER,
                seller,
                rule.code,
                event.at,
                f"{len(fast)} of {len(state.confirms)} confirmed within minutes of shipment",
                fast,
                [seller, *(self._buyer_of_order(o) for o in fast)],
            )

    def _concentration(self, seller: str, at: datetime) -> None:
        rule = self.rules.get("collusion.buyer_concentration")
        if rule is None:
            return
        state = self._sellers[seller]
        sales, by_buyer = state.sales, state.sales_by_buyer
        since = at - timedelta(seconds=rule.param("window_s"))
        while sales and sales[0][0] < since:
            by_buyer[sales.popleft()[2]] -= 1
        if len(sales) < rule.param("min_orders"):
            return
        top = by_buyer.most_common(rule.param("top_buyers"))
        share = sum(n for _, n in top) / len(sales)
        if share >= rule.param("min_share"):
            buyers = [b for b, _ in top]
            orders = [o for _, o, b in sales if b in buyers]
            self._fire(
                SubjectKind.SELLER,
                seller,
                rule.code,
                at,
                f"{len(buyers)} buyers place {share:.0%} of {len(sales)} orders",
                orders,
                [seller, *buyers],
            )

    def _shared_with_seller(self, event: RiskEvent) -> None:
        rule = self.rules.get("collusion.shared_identity")
        seller = event.seller_id
        if rule is None or not seller:
            return
        mine = {
            f"{k}:{getattr(event, k)}" for k in ("device", "card", "address") if getattr(event, k)
        }
        shared = sorted(mine & set(self._keys_of.get(seller, {})))
        if shared:
            order = str(event.order_id)
            detail = "buyer and seller share " + ", ".join(s.split(":")[0] for s in shared)
            self._fire(
                SubjectKind.ORDER,
                order,
                rule.code,
                event.at,
                detail,
                [order],
                [seller, event.account_id],
            )
            self._fire(
                SubjectKind.SELLER,
                seller,
                rule.code,
                event.at,
                detail,
                [order],
                [seller, event.account_id],
            )

    def _on_destination(self, event: RiskEvent) -> None:
        seller = event.account_id
        rule = self.rules.get("seller.destination_from_new_device")
        known = self._keys_of.get(seller, {})
        first = known.get(f"device:{event.device}") if event.device else None
        fresh = (
            rule is not None
            and bool(event.device)
            and (first is None or first >= event.at - timedelta(seconds=rule.param("new_device_s")))
        )
        self._sellers[seller].destination_changes.append((event.at, fresh))

    def _on_payout(self, event: RiskEvent) -> None:
        seller = event.account_id
        changes = self._sellers[seller].destination_changes
        for code, need_fresh in (
            ("seller.payout_destination_changed", False),
            ("seller.destination_from_new_device", True),
        ):
            rule = self.rules.get(code)
            if rule is None:
                continue
            since = event.at - timedelta(seconds=rule.param("within_s"))
            if any(at >= since and (fresh or not need_fresh) for at, fresh in changes):
                self._fire(
                    SubjectKind.SELLER,
                    seller,
                    code,
                    event.at,
                    "payout destination changed before this payout",
                    [],
                    [seller],
                )

    def _buyer_of(self, event: RiskEvent) -> str | None:
        if event.buyer_id:
            return event.buyer_id
        return self._buyer_of_order(str(event.order_id)) or None

    def _buyer_of_order(self, order_id: str) -> str:
        ordered = self._orders.get(order_id)
        return ordered.account_id if ordered else ""


def _trim(found: deque[Any], since: datetime) -> None:
    while found and found[0][0] < since:
        found.popleft()


_HANDLERS = {
    EventKind.CHECKOUT: Replay._on_checkout,
    EventKind.DELIVERED: Replay._on_delivered,
    EventKind.CLAIM: Replay._on_claim,
    EventKind.SHIPMENT: Replay._on_shipment,
    EventKind.TRACKING: Replay._on_tracking,
    EventKind.CONFIRM: Replay._on_confirm,
    EventKind.PAYOUT_DESTINATION: Replay._on_destination,
    EventKind.PAYOUT: Replay._on_payout,
}
