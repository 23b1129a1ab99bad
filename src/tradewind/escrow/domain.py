"""Pure escrow rules: protection periods, the one extension, commission choice.

The periods are policy, not law, and differ per marketplace (Taobao: 10 days after shipment for
express, 30 for surface mail, 3 for virtual goods; one buyer extension of 3 days when 3 or fewer
remain). They come from configuration; these defaults follow that practice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tradewind.kernel.errors import Conflict
from tradewind.kernel.problems import ProblemCode

MAX_COMMISSION_BPS = 5000


class ShippingKind(StrEnum):
    EXPRESS = "express"
    SURFACE = "surface"
    VIRTUAL = "virtual"


@dataclass(frozen=True, slots=True)
class EscrowPolicy:
    auto_confirm_days: dict[str, int] = field(
        default_factory=lambda: {
            ShippingKind.EXPRESS.value: 10,
            ShippingKind.SURFACE.value: 30,
            ShippingKind.VIRTUAL.value: 3,
        }
    )
    # AliExpress-style: an undelivered parcel keeps the buyer protected, 5 days at a time,
    # up to 60 days from shipment.
    max_protection_days: int = 60
    undelivered_grace_days: int = 5
    extension_days: int = 3
    extension_window_days: int = 3
    after_sales_days: int = 15
    seller_response_days: int = 5
    default_commission_bps: int = 800
    commission_bps_by_category: dict[str, int] = field(default_factory=dict)

    def auto_confirm_at(self, shipped_at: datetime, kind: str) -> datetime:
        return shipped_at + timedelta(days=self.auto_confirm_days[kind])

    def extended_deadline(self, now: datetime, deadline: datetime, already: bool) -> datetime:
        """The new deadline after the buyer's one extension, or Conflict when not allowed."""
        if already:
            raise Conflict(
                "protection was already extended once", code=ProblemCode.ALREADY_EXTENDED
            )
        if deadline - now > timedelta(days=self.extension_window_days):
            raise Conflict(
                f"protection can be extended only in its last {self.extension_window_days} days",
                code=ProblemCode.TOO_EARLY_TO_EXTEND,
            )
        return deadline + timedelta(days=self.extension_days)

    def commission_bps(self, seller_override: int | None, category: str | None) -> int:
        """Seller-specific rate, else the category's, else the platform default."""
        if seller_override is not None:
            rate = seller_override
        elif category is not None and category in self.commission_bps_by_category:
            rate = self.commission_bps_by_category[category]
        else:
            rate = self.default_commission_bps
        if not 0 <= rate <= MAX_COMMISSION_BPS:
            raise ValueError(f"commission {rate} bps is outside 0..{MAX_COMMISSION_BPS}")
        return rate


class DisputeReason(StrEnum):
    NOT_RECEIVED = "not_received"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    OTHER = "other"


class DisputeStatus(StrEnum):
    OPEN = "open"
    SELLER_RESPONDED = "seller_responded"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    REFUND_FULL = "refund_full"
    REFUND_PARTIAL = "refund_partial"
    RELEASE = "release"
