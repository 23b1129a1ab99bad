"""Many buyers at once (see tradewind.bench.fixtures)."""

from __future__ import annotations

from tradewind.bench.fixtures import bulk_buyers
from tradewind.bootstrap import Container


def many_buyers(
    container: Container, count: int, *, country: str = "US", currency: str = "USD"
) -> list[dict[str, str]]:
    return bulk_buyers(container.uow, count, country=country, currency=currency)
