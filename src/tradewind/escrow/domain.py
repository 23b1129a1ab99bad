"""Pure escrow rules: protection periods, the one extension, commission choice.

The periods are policy, not law, and differ per marketplace (Taobao: 10 days after shipment for
express, 30 for surface mail, 3 for virtual goods; one buyer extension of 3 days when 3 or fewer
remain). They come from configuration; these defaults follow that practice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from tradewind.kernel.errors import Conflict, FieldError, InvalidInput
from tradewind.kernel.i18n import N_
from tradewind.kernel.problems import ProblemCode

MAX_COMMISSION_BPS = 5000
MAX_HOLDER_LEN = 140


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

    def auto_confirm_at(
        self, shipped_at: datetime, kind: str, *, not_before: datetime | None = None
    ) -> datetime:
        """The kind's period after shipment, but never before ``not_before`` (the end of the
        delivery window): the seller is not paid for a parcel that may still be on its way."""
        deadline = shipped_at + timedelta(days=self.auto_confirm_days[kind])
        return deadline if not_before is None else max(deadline, not_before)

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


# --- chargebacks (card-network disputes; not buyer disputes) -------------------------------


class ChargebackCategory(StrEnum):
    FRAUD = "fraud"
    NOT_RECEIVED = "not_received"
    NOT_AS_DESCRIBED = "not_as_described"
    CREDIT_NOT_PROCESSED = "credit_not_processed"
    PROCESSING_ERROR = "processing_error"
    OTHER = "other"


class ChargebackStatus(StrEnum):
    OPEN = "open"
    EVIDENCE_SUBMITTED = "evidence_submitted"
    WON = "won"
    LOST = "lost"


# Reason codes of the card networks, by what they claim (Visa's 2018 dispute categories and
# Mastercard's message reason codes). A code not listed is ``other``. Data, not logic: a
# network that renumbers its codes is an edit here, and the rules below read only categories.
REASON_CATEGORIES: dict[str, ChargebackCategory] = {
    "10.1": ChargebackCategory.FRAUD,  # Visa EMV liability shift counterfeit
    "10.2": ChargebackCategory.FRAUD,  # Visa EMV liability shift non-counterfeit
    "10.3": ChargebackCategory.FRAUD,  # Visa other fraud, card present
    "10.4": ChargebackCategory.FRAUD,  # Visa other fraud, card absent
    "10.5": ChargebackCategory.FRAUD,  # Visa fraud monitoring program
    "12.6.1": ChargebackCategory.PROCESSING_ERROR,  # Visa duplicate processing
    "12.6.2": ChargebackCategory.PROCESSING_ERROR,  # Visa paid by other means
    "13.1": ChargebackCategory.NOT_RECEIVED,  # Visa merchandise/services not received
    "13.3": ChargebackCategory.NOT_AS_DESCRIBED,  # Visa not as described or defective
    "13.6": ChargebackCategory.CREDIT_NOT_PROCESSED,  # Visa credit not processed
    "4837": ChargebackCategory.FRAUD,  # Mastercard no cardholder authorization
    "4863": ChargebackCategory.FRAUD,  # Mastercard cardholder does not recognize
    "4834": ChargebackCategory.PROCESSING_ERROR,  # Mastercard point-of-interaction error
    "4855": ChargebackCategory.NOT_RECEIVED,  # Mastercard goods or services not provided
    "4853": ChargebackCategory.NOT_AS_DESCRIBED,  # Mastercard cardholder dispute
    "4860": ChargebackCategory.CREDIT_NOT_PROCESSED,  # Mastercard credit not processed
}


def chargeback_category(reason_code: str) -> ChargebackCategory:
    return REASON_CATEGORIES.get(reason_code, ChargebackCategory.OTHER)


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the liability rules read about one order of a charged-back payment."""

    delivered: bool  # the carrier scanned it delivered (or it needs no shipment)
    tracked: bool  # it has a shipment with a tracking number
    refunded_minor: int  # refunds already made on the order
    seller_restricted: bool  # risk holds the seller's payouts or keeps a reserve


@dataclass(frozen=True, slots=True)
class Liability:
    party: str  # "platform" or "seller"
    rule: str  # a stable code naming the rule that decided


def chargeback_liability(category: ChargebackCategory, facts: OrderFacts) -> Liability:
    """Who bears a lost chargeback for one order (docs/design/money-and-ledger.md,
    "Chargebacks"). The platform screens and captures payments, so card fraud is its loss,
    unless risk had already restricted the seller (suspected collusion or non-delivery); what
    the seller controls (delivery, the goods, its refunds) is the seller's."""
    if category is ChargebackCategory.FRAUD:
        if facts.seller_restricted:
            return Liability("seller", "fraud_seller_restricted")
        return Liability("platform", "fraud_risk_allowed")
    if category is ChargebackCategory.NOT_RECEIVED:
        if facts.delivered and facts.tracked:
            return Liability("platform", "not_received_delivery_scanned")
        if facts.tracked:
            return Liability("seller", "not_received_no_delivery_scan")
        return Liability("seller", "not_received_without_tracking")
    if category is ChargebackCategory.NOT_AS_DESCRIBED:
        return Liability("seller", "not_as_described")
    if category is ChargebackCategory.CREDIT_NOT_PROCESSED:
        if facts.refunded_minor > 0:
            return Liability("platform", "credit_already_processed")
        return Liability("seller", "credit_not_processed")
    if category is ChargebackCategory.PROCESSING_ERROR:
        return Liability("platform", "processing_error")
    return Liability("platform", "other_reason")


# --- payout destinations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BankAccount:
    holder_name: str
    iban: str  # compact, upper case
    bic: str | None
    country: str


def bank_account(holder_name: str, iban: str, bic: str | None) -> BankAccount:
    """A checked IBAN account (ISO 13616 via schwifty: country format, length, check digits;
    a BIC, if given, must be valid and of the IBAN's country). Every problem is reported at
    once, one ``FieldError`` per field."""
    errors: list[FieldError] = []
    name = " ".join(holder_name.split()) if isinstance(holder_name, str) else ""
    if not 1 <= len(name) <= MAX_HOLDER_LEN:
        errors.append(FieldError("holder_name", f"must be 1-{MAX_HOLDER_LEN} characters", "length"))
    parsed = None
    try:
        parsed = IBAN(iban)
    except (SchwiftyException, TypeError) as exc:
        errors.append(FieldError("iban", f"not a valid IBAN: {exc}", "invalid_iban"))
    checked_bic = None
    if bic:
        try:
            checked_bic = BIC(bic)
            if parsed is not None and checked_bic.country_code != parsed.country_code:
                errors.append(FieldError("bic", "must be of the IBAN's country", "invalid_bic"))
        except (SchwiftyException, TypeError) as exc:
            errors.append(FieldError("bic", f"not a valid BIC: {exc}", "invalid_bic"))
    if errors or parsed is None:
        raise InvalidInput(N_("Check the bank account details."), errors=errors)
    return BankAccount(
        name, parsed.compact, str(checked_bic.compact) if checked_bic else None, parsed.country_code
    )


# Why a bank sends a payout back: ISO 20022 return reason codes (ExternalReturnReason1Code, as
# SEPA credit transfer returns carry them), in words for the seller. Every return flags the
# destination (the seller checks the account and sets it again, even when it was right).
RETURN_REASONS: dict[str, str] = {
    "AC01": N_("the account number is wrong"),
    "AC04": N_("the account is closed"),
    "AC06": N_("the account is blocked"),
    "AG01": N_("the account does not accept this kind of payment"),
    "AM05": N_("the bank saw it as a duplicate payment"),
    "BE01": N_("the name does not match the account holder"),
    "FOCR": N_("it was recalled"),
    "MD07": N_("the account holder has died"),
    "MS02": N_("the account holder refused it"),
    "MS03": N_("the bank gave no reason"),
    "RC01": N_("the bank code (BIC) is wrong"),
}
UNKNOWN_RETURN_REASON = N_("the bank gave a reason we do not know")


def return_reason(code: str) -> str:
    """The reason of an ISO 20022 return code in words (marked, English; translate when shown)."""
    return RETURN_REASONS.get(code, UNKNOWN_RETURN_REASON)
