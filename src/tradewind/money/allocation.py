"""Splitting an amount into parts that sum exactly to it.

Why largest remainder: rounding each share on its own can lose or invent a minor unit
(100 split three ways is 33.33 + 33.33 + 33.33 -> 99). Here every part first gets the floor of its
exact share, and the few units left over go, one each, to the parts with the largest remainders,
ties to the lowest index. So the parts always sum to the total, each part is within one minor
unit of its exact share, and the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.money.rounding import BPS_PER_UNIT, apply_bps

MAX_PARTS = 10_000


def allocate(total_minor: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_minor`` in proportion to non-negative integer ``weights``.

    ``allocate(100, [1, 1, 1]) == [34, 33, 33]``; ``allocate(-100, [1, 1, 1]) == [-34, -33, -33]``
    (a negative total splits like its magnitude, so a refund mirrors its charge). A zero weight
    gets zero. All-zero weights have no proportions, so they are refused (code ``zero_weights``).
    """
    _check_int(total_minor, "total_minor")
    _check_weights(weights)
    weight_total = sum(weights)
    if weight_total == 0:
        raise InvalidInput(
            "cannot split by weights that are all zero",
            code=ProblemCode.ZERO_WEIGHTS,
            errors=[FieldError("weights", "all zero", "zero_weights")],
        )
    magnitude = abs(total_minor)
    shares = [divmod(magnitude * weight, weight_total) for weight in weights]
    parts = [floor for floor, _ in shares]
    leftover = magnitude - sum(parts)  # < len(weights), since each remainder < weight_total
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    sign = -1 if total_minor < 0 else 1
    return [sign * part for part in parts]


def split_commission(amount_minor: int, rate_bps: int) -> tuple[int, int]:
    """``(seller_minor, commission_minor)`` for a commission of ``rate_bps`` on ``amount_minor``.

    The commission is rounded once, half to even (:func:`tradewind.money.rounding.apply_bps`),
    and the seller gets the rest, so the two always sum to ``amount_minor`` exactly:
    10000 at 800 bps -> (9200, 800); 12345 at 825 bps -> (11327, 1018).
    """
    if not 0 <= rate_bps <= BPS_PER_UNIT:
        raise ValueError(f"rate_bps must be 0..{BPS_PER_UNIT}: {rate_bps}")
    commission_minor = apply_bps(amount_minor, rate_bps)
    return amount_minor - commission_minor, commission_minor


def _check_weights(weights: Sequence[int]) -> None:
    if not 1 <= len(weights) <= MAX_PARTS:
        raise ValueError(f"need 1..{MAX_PARTS} weights, got {len(weights)}")
    for weight in weights:
        _check_int(weight, "weight")
        if weight < 0:
            raise ValueError(f"weights must not be negative: {weight}")


def _check_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
