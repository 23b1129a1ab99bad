"""``tradewind bench growth`` at tiny sizes: the output's shape and the loaded data's truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tradewind.bench.growth import RATIO_KEYS, bench_growth
from tradewind.bootstrap import Container
from tradewind.db.tables.ledger import ledger_balances, ledger_entries
from tradewind.escrow.checks import check_ledger

pytestmark = pytest.mark.integration

RECORDS = [
    {"id": i, "name": f"M{i}", "title": f"{word} model {i}", "supplier": "Acme", "price": 999 + i}
    for i, word in enumerate(["laptop", "camera", "headphones", "printer", "monitor"], start=1)
]
JUDGMENTS = "query,docid,rating\nlaptop,1,3\ncamera,2,3\n"


def test_growth_bench_loads_exact_counts_and_a_clean_ledger(
    container: Container, db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "products"
    folder.mkdir()
    (folder / "1.json").write_text(json.dumps(RECORDS))
    judgments = tmp_path / "judgments.csv"
    judgments.write_text(JUDGMENTS)
    result = bench_growth(
        db_url, sizes=(1, 2), base=40, products_dir=folder, judgments=judgments, servers=False
    )
    assert result["database"] == db_url.split(":")[0].split("+")[0]
    assert list(result["sizes"]) == ["1x", "2x"]
    one, two = result["sizes"]["1x"], result["sizes"]["2x"]
    # 1x: 40 offers (8 passes over 5 records), 2 sellers, 4 buyers, 20 orders plus the
    # incremental check's 2; 2x doubles each and adds 2 more orders.
    assert one["contents"] == {
        "offers": 40,
        "big_shop_offers": 4,
        "sellers": 2,
        "buyers": 4,
        "orders": 22,
        "orders_finalized": 17,
        "ledger_transactions": one["contents"]["ledger_transactions"],
        "ledger_entries": one["contents"]["ledger_entries"],
    }
    assert (two["contents"]["offers"], two["contents"]["orders"]) == (80, 44)
    assert (two["contents"]["sellers"], two["contents"]["buyers"]) == (4, 8)
    for figures in (one, two):
        assert figures["ledger_check_breaches"] == 0
        assert all(c["expected"] == c["found"] for c in figures["counts"].values())
        assert figures["ledger_check_incremental_entries"] > 0
        assert figures["payouts_made"] >= 1
    # Every printed ratio is to the first size's own figure.
    assert set(result["growth"]) == {k for k in RATIO_KEYS if k in one}
    assert {"search_p95_ms", "balance_read_ms", "payout_batch_s"} <= set(result["growth"])
    assert all(r["1x"] == 1.0 for r in result["growth"].values())
    # The data as the engine's own ledger check sees it, and balances that match the entries.
    with container.uow(read_only=True) as uow:
        assert check_ledger(uow) == []
        counted = uow.conn.scalar(select(func.sum(ledger_balances.c.entry_count)))
        assert counted == uow.conn.scalar(select(func.count()).select_from(ledger_entries))
