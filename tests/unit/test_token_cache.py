from datetime import UTC, datetime, timedelta
from pathlib import Path

from tradewind.identity.domain import Principal, Role
from tradewind.identity.revocation import FileSignal
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


def test_a_new_revocation_epoch_invalidates_every_entry() -> None:
    epoch = [0]
    cache = TokenCache(ttl_s=60, epoch=lambda: epoch[0])
    cache.put("tw_a", ANN, epoch=0)
    assert cache.get("tw_a") == ANN
    epoch[0] = 1
    assert cache.get("tw_a") is None


def test_an_entry_filled_under_an_older_epoch_is_never_served() -> None:
    epoch = [0]
    cache = TokenCache(ttl_s=60, epoch=lambda: epoch[0])
    read_before_lookup = cache.epoch()
    epoch[0] = 1  # a revocation committed while the look-up ran
    cache.put("tw_a", ANN, epoch=read_before_lookup)
    assert cache.get("tw_a") is None


def test_entries_are_not_served_past_the_tokens_expiry() -> None:
    cache = TokenCache(ttl_s=60)
    expires = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    cache.put("tw_a", ANN, expires_at=expires)
    assert cache.get("tw_a", expires - timedelta(seconds=1)) == ANN
    assert cache.get("tw_a", expires) is None


def test_file_signal_changes_on_every_publish(tmp_path: Path) -> None:
    signal = FileSignal(tmp_path / "db.revocations")
    seen = {signal.epoch()}
    for _ in range(3):
        signal.publish()
        seen.add(signal.epoch())
    assert len(seen) == 4
