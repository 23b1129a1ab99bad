"""The cluster under faults (issue 20): HAProxy, three app nodes, two workers, PostgreSQL with a
synchronous replica, all real processes on this machine (tradewind.bench.cluster_topology).

One run of ``tradewind bench cluster`` sized small: checkouts and flash claims through HAProxy
while the primary is SIGKILLed (the replica promoted) and an app node is SIGKILLed; then a node
cut off from the database; then every deadline passes with a worker SIGKILLed mid-way.
"""

from __future__ import annotations

from tradewind.bench.cluster import Plan, bench_cluster

PLAN = Plan(
    duration_s=16,
    concurrency=4,
    offers=6,
    # Enough stock that checkouts still succeed after the primary is killed (at 30% of the
    # run): failover is timed by the first write acknowledged after the kill.
    stock=2000,
    checkout_buyers=30,
    flash_buyers=30,
    pool=40,
    per_buyer_limit=2,
    cut_s=10,
)


def test_no_acknowledged_write_is_lost_doubled_or_oversold_through_the_faults() -> None:
    result = bench_cluster(PLAN)
    assert result["fault_errors"] == []
    assert result["checkouts_acknowledged"] > 0
    assert result["claims_acknowledged"] > 0
    assert result["failover_s"] is not None
    # What the clients were told is what the promoted primary holds, once each.
    assert result["acknowledged_minus_stored"] == 0
    assert result["doubled"] == 0
    assert result["answered_twice_differently"] == 0
    assert result["gave_up"] == 0
    assert result["oversold"] == 0
    assert result["stock_adds_up"] is True
    assert result["buyers_over_limit"] == 0
    assert result["claims_stored"] <= PLAN.pool  # 30 buyers x 2 > 40 units
    assert result["ledger_check"] == "clean"
    # Cut off from the database, the node says so on every probe; HAProxy routes around it.
    assert result["cut_node_503"] == result["cut_probes"]
    assert result["cut_node_recovered_s"] is not None
    # Credentials and throttles are the database's, not a node's.
    assert result["revoked_on_one_node_refused_on_another"] is True
    assert result["login_failures_counted_across_nodes"] is True
    # Every expiry fired once, with one of the two workers SIGKILLed mid-way.
    assert result["timers_due_at_jump"] > 0
    assert result["timers_left_pending"] == 0
    assert result["timers_dead"] == 0
    assert result["orders_cancelled_twice"] == 0
    assert result["stock_back_after_expiry"] is True
    assert result["ledger_check_after_timers"] == "clean"
