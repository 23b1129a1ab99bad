"""``tradewind bench pages``: does a seller's listings page cost the same with 5,000 offers as
with 50?

One throwaway database holds two approved shops, one with 50 offers and one with 5,000
(``bench.fixtures.bulk_offers``). A real server process answers; the load generator, in its
own process, asks one page at a time (concurrency 1, so the figure is render time, not
queueing), interleaving the pages so that drift on a shared machine hits them alike:

- ``home``: the home page, as a visitor (the yardstick: ratios are to it, from the same run);
- ``listings_50`` / ``listings_5000``: the first listings page of each shop;
- ``listings_5000_deep``: page 60 of the big shop (a keyset cursor, not an OFFSET);
- ``listings_5000_search``: a title search in the big shop.

It prints each page's p50 and p95 in milliseconds, each p95 as a ratio to the home page's, and
the 5,000/50 ratio against its target (at most 1.5).
"""

from __future__ import annotations

from typing import Any

from tradewind.bench.fixtures import bench_shop, bulk_offers
from tradewind.bench.harness import bench_database, run_load, server_process
from tradewind.bootstrap import Container
from tradewind.identity import service as identity

TARGET_RATIO = 1.5
HTML = "text/html,application/xhtml+xml"


def _seed(container: Container, small: int, big: int) -> dict[str, Any]:
    """The two shops and a bearer token for each (pages accept one like a session)."""
    with container.uow() as uow:
        few = bench_shop(uow, "Few Offers", "few@bench.test")
        many = bench_shop(uow, "Many Offers", "many@bench.test")
        bulk_offers(uow, few, small, prefix="Few")
        many_ids = bulk_offers(uow, many, big, prefix="Many")
        ttl = container.settings.api_token_ttl_days
        tokens = {
            "few": identity.create_api_token(uow, few.account_id, ttl_days=ttl),
            "many": identity.create_api_token(uow, many.account_id, ttl_days=ttl),
        }
        uow.commit()
    # page 60 starts after the 59 * 50 newest offers
    deep_after = many_ids[len(many_ids) - 59 * 50] if len(many_ids) > 59 * 50 else many_ids[0]
    return {"tokens": tokens, "deep_after": deep_after}


def _requests(seeded: dict[str, Any]) -> list[dict[str, Any]]:
    def seller(name: str, path: str, shop: str) -> dict[str, Any]:
        token = seeded["tokens"][shop]
        headers = {"Accept": HTML, "Authorization": f"Bearer {token}"}
        return {"name": name, "path": path, "headers": headers}

    return [
        {"name": "home", "path": "/", "headers": {"Accept": HTML}},
        seller("listings_50", "/seller/listings", "few"),
        seller("listings_5000", "/seller/listings", "many"),
        seller("listings_5000_deep", f"/seller/listings?after={seeded['deep_after']}", "many"),
        seller("listings_5000_search", "/seller/listings?q=many+0042", "many"),
    ]


def bench_pages(
    *, db_url: str | None, small: int = 50, big: int = 5000, rounds: int = 200
) -> dict[str, Any]:
    with bench_database(db_url) as (url, container):
        seeded = _seed(container, small, big)
        requests = _requests(seeded)
        with server_process(url, workers=1) as base_url:
            spec = {"base_url": base_url, "requests": requests, "concurrency": 1}
            run_load({**spec, "max_requests": 5 * len(requests), "duration_s": 60})  # warm up
            measured = run_load({**spec, "max_requests": rounds * len(requests), "duration_s": 110})
    by_name = measured["by_name"]
    home = by_name["home"]["p95_ms"]
    pages = {
        name: {**figures, "p95_to_home": round(figures["p95_ms"] / home, 2)}
        for name, figures in by_name.items()
    }
    ratio = round(by_name["listings_5000"]["p95_ms"] / by_name["listings_50"]["p95_ms"], 2)
    return {
        "offers": {"small_shop": small, "big_shop": big},
        "statuses": measured["statuses"],
        "pages": pages,
        "p95_5000_to_50": ratio,
        "target_at_most": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO and set(measured["statuses"]) == {"200"},
    }
