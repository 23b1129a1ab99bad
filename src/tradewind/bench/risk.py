"""``tradewind bench risk``: the simulated month, stored, then backtested through the rules.

Generates the seeded month (:mod:`tradewind.bench.risk_sim`), writes its events and labels into
a fresh database's risk tables (bulk inserts), runs the same backtest as ``tradewind risk
backtest`` and prints precision and recall per pattern and overall, with how many honest
checkouts would have been held (per 1,000) and how long each step took.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import insert

from tradewind.bench.harness import bench_database
from tradewind.bench.risk_sim import MONTH_DAYS, MONTH_START, simulate
from tradewind.db.tables.risk import risk_labels
from tradewind.risk import service as risk
from tradewind.risk.domain import Action, SubjectKind

CHUNK = 5_000


def bench_risk(db_url: str | None, *, seed: int, orders: int) -> dict[str, Any]:
    started = time.perf_counter()
    month = simulate(seed, orders)
    generated = time.perf_counter()
    with bench_database(db_url) as (url, container):
        with container.uow() as uow:
            for i in range(0, len(month.events), CHUNK):
                risk.record_many(uow, month.events[i : i + CHUNK])
            now = uow.clock.now()
            rows = [
                {
                    "subject_kind": kind,
                    "subject_id": subject,
                    "pattern": pattern,
                    "source": "bench",
                    "labelled_at": now,
                }
                for (kind, subject), pattern in month.labels.items()
            ]
            for i in range(0, len(rows), CHUNK):
                uow.conn.execute(insert(risk_labels), rows[i : i + CHUNK])
            uow.commit()
        stored = time.perf_counter()
        with container.uow(read_only=True) as uow:
            result = risk.backtest(
                uow,
                MONTH_START - timedelta(days=60),
                MONTH_START + timedelta(days=MONTH_DAYS + 30),
            )
    replayed = time.perf_counter()
    held = sum(
        1
        for a in result.pop("assessments")
        if a.subject_kind == SubjectKind.ORDER
        and Action.HOLD_CAPTURE in a.actions
        and a.subject_id in month.honest_checkouts
    )
    honest = len(month.honest_checkouts)
    overall = result["quality"]["overall"]
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "seed": seed,
        "orders": month.orders,
        "events": len(month.events),
        "labelled_subjects": len(month.labels),
        "cases": result["cases"],
        "precision": overall["precision"],
        "recall": overall["recall"],
        "per_pattern": {p: q for p, q in result["quality"].items() if p != "overall"},
        "honest_checkouts": honest,
        "honest_checkouts_held": held,
        "honest_held_per_1000": round(1000 * held / honest, 3) if honest else 0.0,
        "targets_met": overall["recall"] >= 0.9
        and overall["precision"] >= 0.8
        and 1000 * held <= honest,
        "generate_s": round(generated - started, 1),
        "store_s": round(stored - generated, 1),
        "backtest_s": round(replayed - stored, 1),
    }
