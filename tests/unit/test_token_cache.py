from tradewind.identity.domain import Principal, Role
from tradewind.web.deps import TokenCache

ANN = Principal(
    account_id="acct_1",
    role=Role.BUYER,
    email="ann@x.test",
    display_name="Ann",
    country="US",
    currency="USD",
    locale="en",
)


def test_cached_principal_is_served_until_the_ttl_ends() -> None:
    cache = TokenCache(ttl_s=60)
    assert cache.get("tw_a") is None
    cache.put("tw_a", ANN)
    assert cache.get("tw_a") == ANN
    assert cache.get("tw_b") is None


def test_expired_entries_are_not_served() -> None:
    cache = TokenCache(ttl_s=-1)
    cache.put("tw_a", ANN)
    assert cache.get("tw_a") is None


def test_the_cache_is_bounded() -> None:
    cache = TokenCache(ttl_s=60, max_entries=2)
    for token in ("t1", "t2", "t3"):
        cache.put(token, ANN)
    assert [cache.get(t) is not None for t in ("t1", "t2", "t3")] == [False, False, True]
