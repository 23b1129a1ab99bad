"""The invariants ``tradewind bench cluster`` reads back from the database after the faults."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from tradewind.bench.cluster_topology import Cluster
from tradewind.bootstrap import Container
from tradewind.db.tables.catalog import offers
from tradewind.db.tables.flash import flash_buyers, flash_claims, flash_sales
from tradewind.db.tables.idempotency import idempotency_records
from tradewind.db.tables.identity import accounts
from tradewind.db.tables.ordering import checkouts, order_events, order_lines, orders
from tradewind.db.tables.timers import timers
from tradewind.db.uow import UnitOfWork
from tradewind.escrow.checks import check_ledger
from tradewind.timers.service import store_clock_offset_s, stored_clock_offset_s

if TYPE_CHECKING:
    from tradewind.bench.cluster import Acks, Plan, Seeded

TIMERS_WAIT_S = 120.0


def _checkout_buyers() -> Any:
    return select(accounts.c.id).where(accounts.c.email.like("clusterco%"))


def _oversold(uow: UnitOfWork, seeded: Seeded, plan: Plan) -> tuple[int, bool]:
    """Units sold beyond stock (offers) or pool (the sale); and whether every unit adds up."""
    live = orders.c.status.not_in(("CANCELLED", "CANCELLED_REFUNDED"))
    sold = dict(
        uow.conn.execute(
            select(order_lines.c.offer_id, func.sum(order_lines.c.quantity))
            .join(orders, orders.c.id == order_lines.c.order_id)
            .where(order_lines.c.offer_id.in_(seeded.offer_ids), live)
            .group_by(order_lines.c.offer_id)
        ).all()
    )
    stock = dict(
        uow.conn.execute(
            select(offers.c.id, offers.c.stock).where(offers.c.id.in_(seeded.offer_ids))
        ).all()
    )
    sale = uow.conn.execute(select(flash_sales).where(flash_sales.c.id == seeded.sale_id)).one()
    held = int(
        uow.conn.scalar(
            select(func.coalesce(func.sum(flash_claims.c.quantity), 0)).where(
                flash_claims.c.sale_id == seeded.sale_id, flash_claims.c.status != "released"
            )
        )
        or 0
    )
    oversold = sum(max(0, int(sold.get(o, 0)) - plan.stock) for o in seeded.offer_ids)
    oversold += max(0, held - sale.pool_units)
    adds_up = all(stock[o] + int(sold.get(o, 0)) == plan.stock for o in seeded.offer_ids)
    adds_up = adds_up and held == sale.pool_units - sale.remaining_units
    return oversold, adds_up


def stored(container: Container, seeded: Seeded, plan: Plan, acks: Acks) -> dict[str, Any]:
    """Acknowledged against stored, on the promoted primary."""
    with container.uow(read_only=True) as uow:
        buyers = _checkout_buyers()
        checkout_ids = set(
            uow.conn.scalars(select(checkouts.c.id).where(checkouts.c.buyer_id.in_(buyers)))
        )
        records = uow.conn.scalar(
            select(func.count())
            .select_from(idempotency_records)
            .where(idempotency_records.c.principal_id.in_(buyers))
        )
        claim_ids = set(
            uow.conn.scalars(
                select(flash_claims.c.id).where(flash_claims.c.sale_id == seeded.sale_id)
            )
        )
        over_limit = uow.conn.scalar(
            select(func.count())
            .select_from(flash_buyers)
            .where(
                flash_buyers.c.sale_id == seeded.sale_id,
                flash_buyers.c.units > flash_buyers.c.limit_units,
            )
        )
        oversold, adds_up = _oversold(uow, seeded, plan)
        breaches = check_ledger(uow)
    missing = len(set(acks.ids["checkout"].values()) - checkout_ids)
    missing += len(set(acks.ids["claim"].values()) - claim_ids)
    return {
        "checkouts_stored": len(checkout_ids),
        "claims_stored": len(claim_ids),
        "oversold": oversold,
        "stock_adds_up": adds_up,
        "buyers_over_limit": int(over_limit or 0),
        "acknowledged_minus_stored": missing,
        "doubled": acks.conflicting + max(0, len(checkout_ids) - int(records or 0)),
        "ledger_check": "clean" if not breaches else f"{len(breaches)} breach(es)",
    }


def _probe(url: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - loopback
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 599
    return status, time.monotonic() - started


def cut_node(cluster: Cluster, cut_s: float) -> dict[str, Any]:
    """The last node loses the database for ``cut_s``: how it answers, and how it comes back."""
    node = cluster.node_url(len(cluster.node_ports) - 1) + "/readyz"
    cluster.cut_node(True)
    started = time.monotonic()
    direct: list[tuple[int, float]] = []
    through_lb: list[int] = []
    while time.monotonic() - started < cut_s:
        direct.append(_probe(node))
        through_lb.append(_probe(cluster.base_url + "/readyz")[0])
        time.sleep(0.25)
    cluster.cut_node(False)
    restored = time.monotonic()
    recovered_s = None
    while time.monotonic() - restored < 30:
        if _probe(node)[0] == 200:
            recovered_s = round(time.monotonic() - restored, 2)
            break
        time.sleep(0.1)
    unavailable = [s for s, _ in direct if s == 503]
    return {
        "cut_probes": len(direct),
        "cut_node_503": len(unavailable),
        "cut_node_slowest_answer_s": round(max(t for _, t in direct), 2),
        "haproxy_200_during_cut": f"{through_lb.count(200)}/{len(through_lb)}",
        "cut_node_recovered_s": recovered_s,
    }


def _pending_due(container: Container) -> int:
    with container.uow(read_only=True) as uow:
        now = uow.clock.now() + timedelta(seconds=stored_clock_offset_s(uow))
        return int(
            uow.conn.scalar(
                select(func.count())
                .select_from(timers)
                .where(timers.c.status == "pending", timers.c.due_at <= now)
            )
            or 0
        )


def timers_fire_once(
    cluster: Cluster, container: Container, seeded: Seeded, plan: Plan
) -> dict[str, Any]:
    """Jump the clock past every deadline, SIGKILL a worker mid-way; each expiry once."""
    from tradewind.bench.cluster import clock_jump

    due_before = _pending_due_after(container, clock_jump())
    with container.uow() as uow:
        store_clock_offset_s(uow, int(clock_jump().total_seconds()))
        uow.commit()
    time.sleep(1.0)
    cluster.kill("worker0")
    started = time.monotonic()
    while _pending_due(container) and time.monotonic() - started < TIMERS_WAIT_S:
        time.sleep(0.5)
    with container.uow(read_only=True) as uow:
        twice = uow.conn.scalar(
            select(func.count()).select_from(
                select(order_events.c.order_id)
                .where(order_events.c.to_status == "CANCELLED")
                .group_by(order_events.c.order_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        dead = uow.conn.scalar(
            select(func.count()).select_from(timers).where(timers.c.status == "dead")
        )
        stock = set(
            uow.conn.scalars(select(offers.c.stock).where(offers.c.id.in_(seeded.offer_ids)))
        )
        remaining = uow.conn.scalar(
            select(flash_sales.c.remaining_units).where(flash_sales.c.id == seeded.sale_id)
        )
        breaches = check_ledger(uow)
    return {
        "timers_due_at_jump": due_before,
        "timers_left_pending": _pending_due(container),
        "timers_dead": int(dead or 0),
        "orders_cancelled_twice": int(twice or 0),
        "stock_back_after_expiry": stock == {plan.stock} and remaining == plan.pool,
        "ledger_check_after_timers": "clean" if not breaches else f"{len(breaches)} breach(es)",
    }


def _pending_due_after(container: Container, jump: timedelta) -> int:
    with container.uow(read_only=True) as uow:
        return int(
            uow.conn.scalar(
                select(func.count())
                .select_from(timers)
                .where(timers.c.status == "pending", timers.c.due_at <= uow.clock.now() + jump)
            )
            or 0
        )


def cross_node(cluster: Cluster, container: Container, seeded: Seeded) -> dict[str, Any]:
    """A token revoked on one node is refused at once by another whose cache held it; wrong
    passwords from one address, sent to two nodes, count against one per-address limit."""
    import httpx

    first, last = cluster.node_url(0), cluster.node_url(len(cluster.node_ports) - 1)
    token = seeded.checkout_headers[-1]
    with httpx.Client(timeout=30) as http:
        cached = http.get(f"{last}/api/v1/cart", headers=token).status_code  # fills its cache
        logout = http.post(f"{first}/api/v1/logout", headers=token).status_code
        after = http.get(f"{last}/api/v1/cart", headers=token).status_code
        # One wrong password each for distinct accounts, alternating nodes: only the
        # per-address count (in the database) can refuse the last one.
        limit = container.settings.login_client_max_failures
        with container.uow(read_only=True) as uow:
            emails = list(
                uow.conn.scalars(
                    select(accounts.c.email)
                    .where(accounts.c.email.like("clusterfl%"))
                    .order_by(accounts.c.email)
                    .limit(limit + 1)
                )
            )
        statuses = [
            http.post(
                f"{(first, last)[n % 2]}/api/v1/tokens",
                json={"email": email, "password": "wrong-password"},
            ).status_code
            for n, email in enumerate(emails)
        ]
    return {
        "revoked_on_one_node_refused_on_another": (cached, logout, after) == (200, 204, 401),
        "login_failures_counted_across_nodes": statuses[-1] == 429 and set(statuses[:-1]) == {401},
    }
