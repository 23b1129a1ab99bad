from datetime import UTC, datetime, timedelta

import pytest

from tradewind.kernel.clock import ManualClock
from tradewind.kernel.errors import (
    Conflict,
    DomainError,
    IdempotencyKeyReused,
    IllegalTransition,
    InvalidInput,
    NotFound,
    OutOfStock,
    TooManyRequests,
)
from tradewind.kernel.ids import new_id
from tradewind.web.problems import status_for


def test_ids_have_prefix_fixed_length_and_sort_by_time() -> None:
    first = new_id("ord")
    later = [new_id("ord") for _ in range(50)]
    assert first.startswith("ord_")
    assert len(first) == 4 + 26
    assert all(first[4:14] <= other[4:14] for other in later)
    assert len(set(later)) == 50


@pytest.mark.parametrize("prefix", ["", "Ord", "ord1", "toolongprefix"])
def test_id_prefix_is_validated(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        new_id(prefix)


def test_manual_clock_moves_forward_only() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = ManualClock(start, frozen=True)
    assert clock.now() == start
    assert clock.advance(timedelta(days=3)) == start + timedelta(days=3)
    assert clock.advanced_by == timedelta(days=3)
    with pytest.raises(ValueError, match="backward"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == start + timedelta(days=3)


def test_manual_clock_refuses_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone"):
        ManualClock(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("x"), 422),
        (NotFound("x"), 404),
        (Conflict("x"), 409),
        (IllegalTransition("x"), 409),
        (IdempotencyKeyReused("x"), 409),
        (OutOfStock("x"), 409),
        (TooManyRequests("x", retry_after_s=3), 429),
        (DomainError("x"), 400),
    ],
)
def test_one_table_maps_errors_to_statuses(error: DomainError, status: int) -> None:
    assert status_for(error) == status


def test_error_code_can_be_specialised_per_instance() -> None:
    error = Conflict("taken", code="email_taken")
    assert error.code == "email_taken"
    assert Conflict("other").code == "conflict"
