"""Running balances kept beside the entries, and ``ledger check`` full and incremental, on both
databases: a balance read is one row whatever the history, a rollback moves no balance, a
tampered balance is found, and an incremental run checks only what came since the last clean
one."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text

from tradewind.bootstrap import Container
from tradewind.db.tables.ledger import ledger_balances, ledger_check_runs, ledger_entries
from tradewind.escrow.checks import check_ledger, run_ledger_check
from tradewind.kernel.clock import ManualClock
from tradewind.ledger.domain import capture, order_escrow, psp_clearing, refund_from_escrow
from tradewind.ledger.service import balance, balances, post
from tradewind.money.amount import Money


def _capture(container: Container, order_id: str, minor: int, currency: str = "USD") -> None:
    with container.uow() as uow:
        post(uow, capture(order_id, Money(minor, currency), f"capture:{order_id}"))
        uow.commit()


def _stored(container: Container) -> dict[str, tuple[int, int]]:
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(select(ledger_balances).order_by(ledger_balances.c.account))
        return {r.account: (r.balance_minor, r.entry_count) for r in rows}


def _sums(container: Container) -> dict[str, tuple[int, int]]:
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(
                ledger_entries.c.account, func.sum(ledger_entries.c.amount_minor), func.count()
            ).group_by(ledger_entries.c.account)
        )
        return {a: (int(total), int(count)) for a, total, count in rows}


def test_running_balances_follow_the_entries(container: Container) -> None:
    _capture(container, "ord_1", 10_000)
    _capture(container, "ord_2", 2_550)
    _capture(container, "ord_3", 700, "JPY")
    with container.uow() as uow:
        post(uow, refund_from_escrow("ord_1", Money(1_000, "USD"), "refund:ord_1:1"))
        uow.commit()
    assert _stored(container) == {
        "order:ord_1:escrow": (-9_000, 2),
        "order:ord_2:escrow": (-2_550, 1),
        "order:ord_3:escrow": (-700, 1),
        "psp:clearing:JPY": (700, 1),
        "psp:clearing:USD": (11_550, 3),
    }
    assert _stored(container) == _sums(container)
    with container.uow(read_only=True) as uow:
        assert balance(uow, psp_clearing("USD")) == 11_550
        assert balances(uow, [order_escrow("ord_1"), "nobody"]) == {
            order_escrow("ord_1"): -9_000,
            "nobody": 0,
        }


def test_a_repeat_and_a_rollback_move_no_balance(container: Container) -> None:
    _capture(container, "ord_1", 10_000)
    before = _stored(container)
    _capture(container, "ord_1", 10_000)  # the same key: written once
    with container.uow() as uow:
        post(uow, capture("ord_9", Money(5_000, "USD"), "capture:ord_9"))
        # Inside its own transaction the balance already counts the posting ...
        assert balance(uow, psp_clearing("USD")) == 15_000
        # ... and leaving without commit rolls it back with the entries.
    assert (
        _stored(container)
        == before
        == {
            "order:ord_1:escrow": (-10_000, 1),
            "psp:clearing:USD": (10_000, 1),
        }
    )


def test_a_posting_inside_a_rolled_back_savepoint_leaves_no_balance(container: Container) -> None:
    _capture(container, "ord_1", 10_000)
    with container.uow() as uow:
        try:
            with uow.conn.begin_nested():
                post(uow, capture("ord_2", Money(300, "USD"), "capture:ord_2"))
                raise RuntimeError("the row failed")
        except RuntimeError:
            pass
        post(uow, capture("ord_3", Money(40, "USD"), "capture:ord_3"))
        uow.commit()
    assert _stored(container)["psp:clearing:USD"] == (10_040, 2)
    assert _stored(container) == _sums(container)
    with container.uow(read_only=True) as uow:
        assert check_ledger(uow) == []


def test_the_full_check_finds_a_balance_changed_by_hand(container: Container) -> None:
    _capture(container, "ord_1", 10_000)
    with container.uow() as uow:
        uow.conn.execute(
            text("UPDATE ledger_balances SET balance_minor = 9999 WHERE account = :a"),
            {"a": "psp:clearing:USD"},
        )
        uow.commit()
    with container.uow(read_only=True) as uow:
        assert check_ledger(uow) == [
            "account psp:clearing:USD has a running balance of 9999 over 1 entries, "
            "its 1 entries sum to 10000"
        ]


def _runs(container: Container) -> list[dict[str, Any]]:
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(select(ledger_check_runs).order_by(ledger_check_runs.c.id))
        return [{k: v for k, v in r._mapping.items() if k not in ("id", "ran_at")} for r in rows]


def test_incremental_runs_check_only_what_came_since_the_last_clean_run(
    container: Container, clock: ManualClock
) -> None:
    for n in range(5):
        _capture(container, f"ord_{n}", 1_000 + n)
    clock.advance(timedelta(minutes=2))
    first = run_ledger_check(container.uow, incremental=True)
    assert (first.mode, first.breaches, first.transactions_checked) == ("full", [], 5)
    for n in range(5, 8):
        _capture(container, f"ord_{n}", 2_000 + n)
    clock.advance(timedelta(minutes=2))
    second = run_ledger_check(container.uow, incremental=True)
    assert (second.mode, second.breaches, second.transactions_checked) == ("incremental", [], 3)
    # What it verified through carries on from the full run's balances.
    assert second.verified_balances["psp:clearing:USD"] == sum(
        [1_000, 1_001, 1_002, 1_003, 1_004, 2_005, 2_006, 2_007]
    )
    third = run_ledger_check(container.uow, incremental=True)
    assert (third.breaches, third.transactions_checked) == ([], 0)
    assert _runs(container) == [
        {"mode": "full", "through_transaction_id": 5, "transactions_checked": 5, "breaches": 0},
        {
            "mode": "incremental",
            "through_transaction_id": 8,
            "transactions_checked": 3,
            "breaches": 0,
        },
        {
            "mode": "incremental",
            "through_transaction_id": 8,
            "transactions_checked": 0,
            "breaches": 0,
        },
    ]


def test_an_incremental_run_finds_a_tampered_account_it_touches_and_does_not_move_on(
    container: Container, clock: ManualClock
) -> None:
    _capture(container, "ord_1", 1_000)
    clock.advance(timedelta(minutes=2))
    assert run_ledger_check(container.uow, incremental=False).breaches == []
    with container.uow() as uow:
        uow.conn.execute(
            text("UPDATE ledger_balances SET balance_minor = balance_minor + 1 WHERE account = :a"),
            {"a": "psp:clearing:USD"},
        )
        uow.commit()
    _capture(container, "ord_2", 500)
    clock.advance(timedelta(minutes=2))
    run = run_ledger_check(container.uow, incremental=True)
    assert run.breaches == [
        "account psp:clearing:USD has a running balance of 1501, its entries sum to 1500"
    ]
    # A run with breaches is kept but is no starting point: the next one checks the same again.
    again = run_ledger_check(container.uow, incremental=True)
    assert (again.mode, again.transactions_checked, len(again.breaches)) == ("incremental", 1, 1)
    assert [r["breaches"] for r in _runs(container)] == [0, 1, 1]


def test_a_run_stops_short_of_transactions_still_settling(
    container: Container, clock: ManualClock
) -> None:
    _capture(container, "ord_1", 1_000)
    clock.advance(timedelta(minutes=2))
    _capture(container, "ord_2", 500)  # written just now: may still have an older id in flight
    run = run_ledger_check(container.uow, incremental=True)
    assert (run.mode, run.breaches, run.through_transaction_id) == ("full", [], 1)
    assert run.verified_balances["psp:clearing:USD"] == 1_000
    clock.advance(timedelta(minutes=2))
    later = run_ledger_check(container.uow, incremental=True)
    assert (later.through_transaction_id, later.transactions_checked) == (2, 1)


def _cli_check(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRADEWIND_DATABASE_URL": db_url, "TRADEWIND_SECRET_KEY": "test-secret"}
    return subprocess.run(
        [sys.executable, "-m", "tradewind", "ledger", "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_says_what_it_checked_and_exits_1_on_a_breach(
    container: Container, db_url: str
) -> None:
    # The tests' clock stands in March 2026: to the command's own clock, long settled.
    _capture(container, "ord_1", 1_000)
    _capture(container, "ord_2", 2_000)
    first = _cli_check(db_url, "--incremental")
    assert (first.returncode, first.stdout) == (
        0,
        "ledger check passed (full run, 2 transaction(s), verified through transaction 2): "
        "every invariant holds\n",
    )
    _capture(container, "ord_3", 3_000)
    second = _cli_check(db_url, "--incremental")
    assert second.stdout == (
        "ledger check passed (incremental run, 1 transaction(s), verified through transaction "
        "3): every invariant holds\n"
    )
    with container.uow() as uow:
        uow.conn.execute(text("UPDATE ledger_balances SET entry_count = 7"))
        uow.commit()
    broken = _cli_check(db_url)
    assert broken.returncode == 1
    assert (
        broken.stderr.splitlines()[-1]
        == "ledger check failed (full run, 3 transaction(s)): 4 breach(es)"
    )
