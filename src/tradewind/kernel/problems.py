"""Every problem code the API can answer with, and the HTTP status each one carries.

A problem code is the stable ``code`` of an ``application/problem+json`` answer (RFC 9457) and
of a :class:`tradewind.kernel.errors.DomainError`. Domain code raises them, the web layer writes
them, and clients branch on them, so they are one enum, importable from every layer; a string
literal where a code belongs is refused by ``tests/unit/test_problem_codes.py``.

Adding a code is adding a member here, its status in ``STATUS_BY_CODE`` and a row in the error
table of docs/reference/api.md; the tests fail until all three agree. ``STATUS_BY_CODE`` is the
only place that decides which HTTP status an error gets (``tradewind.web.problems.status_for``).
The error classes group codes for ``except`` clauses; each code raised with a class has the
status of the class's own code (checked by the same test).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum, unique
from typing import Final


@unique
class ProblemCode(StrEnum):
    """A stable problem code; grouped by the status it is answered with."""

    # 400
    MALFORMED_JSON = "malformed_json"
    BAD_REQUEST = "bad_request"
    # 401
    UNAUTHENTICATED = "unauthenticated"
    BAD_TOKEN = "bad_token"
    BAD_CREDENTIALS = "bad_credentials"
    BAD_SIGNATURE = "bad_signature"
    STALE_SIGNATURE = "stale_signature"
    # 403
    FORBIDDEN = "forbidden"
    ROLE_REQUIRED = "role_required"
    PERMISSION_REQUIRED = "permission_required"
    CSRF_FAILED = "csrf_failed"
    WRONG_PASSWORD = "wrong_password"
    NOT_YOUR_PRODUCT = "not_your_product"
    # 404
    NOT_FOUND = "not_found"
    NO_SHOP = "no_shop"
    OFFER_UNAVAILABLE = "offer_unavailable"
    NOT_SHIPPED = "not_shipped"
    AMENDMENT_NOT_FOUND = "amendment_not_found"
    UNKNOWN_RULES_VERSION = "unknown_rules_version"
    COUPON_NOT_FOUND = "coupon_not_found"
    # 405
    METHOD_NOT_ALLOWED = "method_not_allowed"
    # 406
    NOT_ACCEPTABLE = "not_acceptable"
    # 409
    ILLEGAL_TRANSITION = "illegal_transition"
    STALE_STATE = "stale_state"
    VERSION_MISMATCH = "version_mismatch"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    OUT_OF_STOCK = "out_of_stock"
    COUPON_EXHAUSTED = "coupon_exhausted"
    COUPON_LIMIT_REACHED = "coupon_limit_reached"
    PROMOTION_ENDED = "promotion_ended"
    OFFER_PRICE_CHANGED = "offer_price_changed"
    INSUFFICIENT_STOCK = "insufficient_stock"
    EMAIL_TAKEN = "email_taken"
    SELLER_EXISTS = "seller_exists"
    SELLER_NOT_ACTIVE = "seller_not_active"
    LISTINGS_PAUSED = "listings_paused"
    NOT_PAUSED = "not_paused"
    PRODUCT_EXISTS = "product_exists"
    OFFER_EXISTS = "offer_exists"
    FX_RATE_MISSING = "fx_rate_missing"
    CHECKOUT_NOT_PAYABLE = "checkout_not_payable"
    CHECKOUT_NOT_CANCELLABLE = "checkout_not_cancellable"
    NOTHING_TO_REFUND = "nothing_to_refund"
    DISPUTE_EXISTS = "dispute_exists"
    DISPUTE_RESOLVED = "dispute_resolved"
    ALREADY_EXTENDED = "already_extended"
    TOO_EARLY_TO_EXTEND = "too_early_to_extend"
    NOT_RELEASED = "not_released"
    CLOCK_NOT_MANUAL = "clock_not_manual"
    AMENDMENT_IN_EFFECT = "amendment_in_effect"
    FX_RATE_INVALID = "fx_rate_invalid"
    TRACKING_NUMBER_IN_USE = "tracking_number_in_use"
    TRACKING_NUMBERS_EXHAUSTED = "tracking_numbers_exhausted"
    MISMATCH_RESOLVED = "mismatch_resolved"
    LEDGER_KEY_REUSED = "ledger_key_reused"
    PASSWORD_CHANGED = "password_changed"
    ALREADY_RATED = "already_rated"
    NOT_COMPLETED = "not_completed"
    BUYER_LIMIT_REACHED = "buyer_limit_reached"
    SOLD_OUT = "sold_out"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    NOT_SOLD_OUT = "not_sold_out"
    CASE_ALREADY_DECIDED = "case_already_decided"
    EVIDENCE_ALREADY_SUBMITTED = "evidence_already_submitted"
    EVIDENCE_DEADLINE_PASSED = "evidence_deadline_passed"
    CHARGEBACK_CLOSED = "chargeback_closed"
    PAYOUT_NOT_RETURNABLE = "payout_not_returnable"
    PAYOUT_NOT_FAILED = "payout_not_failed"
    PAYOUTS_HELD = "payouts_held"
    NOTHING_TO_PAY = "nothing_to_pay"
    CONFLICT = "conflict"
    # 413
    BODY_TOO_LARGE = "body_too_large"
    # 415
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    # 422
    VALIDATION_FAILED = "validation_failed"
    INVALID_INPUT = "invalid_input"
    COUPON_NOT_APPLICABLE = "coupon_not_applicable"
    INVALID_PROMOTION = "invalid_promotion"
    INVALID_HS_CODE = "invalid_hs_code"
    INVALID_ADDRESS = "invalid_address"
    INVALID_TRACKING_NUMBER = "invalid_tracking_number"
    BAD_CHECK_DIGIT = "bad_check_digit"
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required"
    EMPTY_CART = "empty_cart"
    QUANTITY_LIMIT = "quantity_limit"
    TOO_MANY_LINES = "too_many_lines"
    LIMIT_EXCEEDED = "limit_exceeded"
    SHIPPING_SERVICE_UNAVAILABLE = "shipping_service_unavailable"
    NO_SHIPPING_TO_DESTINATION = "no_shipping_to_destination"
    PARCEL_TOO_HEAVY = "parcel_too_heavy"
    INVALID_REFUND_AMOUNT = "invalid_refund_amount"
    CURRENCY_MISMATCH = "currency_mismatch"
    BAD_EVENT = "bad_event"
    INVALID_TEXT = "invalid_text"
    INVALID_RATE = "invalid_rate"
    INVALID_SPREAD = "invalid_spread"
    UNKNOWN_CURRENCY = "unknown_currency"
    SAME_CURRENCY = "same_currency"
    VALID_FROM_OUT_OF_RANGE = "valid_from_out_of_range"
    EMPTY_AMENDMENT = "empty_amendment"
    INVALID_PERCENT = "invalid_percent"
    INVALID_AMOUNT = "invalid_amount"
    UNKNOWN_COUNTRY = "unknown_country"
    EFFECTIVE_FROM_OUT_OF_RANGE = "effective_from_out_of_range"
    NO_CUSTOMS_RULE = "no_customs_rule"
    NO_THRESHOLD = "no_threshold"
    INVALID_CUSTOMS_RULE = "invalid_customs_rule"
    TOO_MANY_AMENDMENTS = "too_many_amendments"
    TOO_MANY_EVENTS = "too_many_events"
    UNKNOWN_EVENT_CODE = "unknown_event_code"
    NAIVE_DATETIME = "naive_datetime"
    EVENT_IN_FUTURE = "event_in_future"
    EVENT_BEFORE_SHIPMENT = "event_before_shipment"
    EVENT_TIME_OUT_OF_RANGE = "event_time_out_of_range"
    TRACKING_NUMBER_MISMATCH = "tracking_number_mismatch"
    CONTROL_CHARACTERS = "control_characters"
    INVALID_WEIGHT = "invalid_weight"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    CURRENCY_NOT_SUPPORTED = "currency_not_supported"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    TOO_MANY_DECIMALS = "too_many_decimals"
    CUSTOMS_RULES_OVERLAP = "customs_rules_overlap"
    INVALID_DIMENSION = "invalid_dimension"
    INVALID_DUTY_TERMS = "invalid_duty_terms"
    INVALID_EFFECTIVE_FROM = "invalid_effective_from"
    INVALID_SHIPPING_DATA = "invalid_shipping_data"
    MESSAGE_TOO_LONG = "message_too_long"
    NO_CUSTOMS_LINES = "no_customs_lines"
    TOO_MANY_TRACKING_EVENTS = "too_many_tracking_events"
    UNKNOWN_LOCALE = "unknown_locale"
    UNKNOWN_SCENARIO = "unknown_scenario"
    ZERO_WEIGHTS = "zero_weights"
    INVALID_DATE = "invalid_date"
    INVALID_DECISION = "invalid_decision"
    INVALID_RULES = "invalid_rules"
    INVALID_PERIOD = "invalid_period"
    REASON_REQUIRED = "reason_required"
    NOT_AN_IMAGE = "not_an_image"
    IMAGE_TYPE_NOT_ALLOWED = "image_type_not_allowed"
    IMAGE_TOO_SMALL = "image_too_small"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"
    # 429
    LOGIN_THROTTLED = "login_throttled"
    TOO_MANY_REQUESTS = "too_many_requests"
    CHECKOUT_PENDING = "checkout_pending"
    CLAIM_PENDING = "claim_pending"
    # 500
    INTERNAL_ERROR = "internal_error"
    # 503
    DATABASE_UNAVAILABLE = "database_unavailable"


P = ProblemCode

# Status -> the codes answered with it; the same grouping as the enum and the docs' table.
_CODES_BY_STATUS: Final[Mapping[int, tuple[ProblemCode, ...]]] = {
    400: (
        P.MALFORMED_JSON,
        P.BAD_REQUEST,
    ),
    401: (
        P.UNAUTHENTICATED,
        P.BAD_TOKEN,
        P.BAD_CREDENTIALS,
        P.BAD_SIGNATURE,
        P.STALE_SIGNATURE,
    ),
    403: (
        P.FORBIDDEN,
        P.ROLE_REQUIRED,
        P.PERMISSION_REQUIRED,
        P.CSRF_FAILED,
        P.WRONG_PASSWORD,
        P.NOT_YOUR_PRODUCT,
    ),
    404: (
        P.NOT_FOUND,
        P.NO_SHOP,
        P.COUPON_NOT_FOUND,
        P.OFFER_UNAVAILABLE,
        P.NOT_SHIPPED,
        P.AMENDMENT_NOT_FOUND,
        P.UNKNOWN_RULES_VERSION,
    ),
    405: (P.METHOD_NOT_ALLOWED,),
    406: (P.NOT_ACCEPTABLE,),
    409: (
        P.ILLEGAL_TRANSITION,
        P.STALE_STATE,
        P.VERSION_MISMATCH,
        P.IDEMPOTENCY_KEY_REUSED,
        P.OUT_OF_STOCK,
        P.COUPON_EXHAUSTED,
        P.COUPON_LIMIT_REACHED,
        P.PROMOTION_ENDED,
        P.OFFER_PRICE_CHANGED,
        P.INSUFFICIENT_STOCK,
        P.EMAIL_TAKEN,
        P.SELLER_EXISTS,
        P.SELLER_NOT_ACTIVE,
        P.LISTINGS_PAUSED,
        P.NOT_PAUSED,
        P.PRODUCT_EXISTS,
        P.OFFER_EXISTS,
        P.FX_RATE_MISSING,
        P.CHECKOUT_NOT_PAYABLE,
        P.CHECKOUT_NOT_CANCELLABLE,
        P.NOTHING_TO_REFUND,
        P.DISPUTE_EXISTS,
        P.DISPUTE_RESOLVED,
        P.ALREADY_EXTENDED,
        P.TOO_EARLY_TO_EXTEND,
        P.NOT_RELEASED,
        P.CLOCK_NOT_MANUAL,
        P.AMENDMENT_IN_EFFECT,
        P.FX_RATE_INVALID,
        P.TRACKING_NUMBER_IN_USE,
        P.TRACKING_NUMBERS_EXHAUSTED,
        P.MISMATCH_RESOLVED,
        P.LEDGER_KEY_REUSED,
        P.PASSWORD_CHANGED,
        P.ALREADY_RATED,
        P.NOT_COMPLETED,
        P.BUYER_LIMIT_REACHED,
        P.SOLD_OUT,
        P.NOT_STARTED,
        P.ENDED,
        P.NOT_SOLD_OUT,
        P.CASE_ALREADY_DECIDED,
        P.EVIDENCE_ALREADY_SUBMITTED,
        P.EVIDENCE_DEADLINE_PASSED,
        P.CHARGEBACK_CLOSED,
        P.PAYOUT_NOT_RETURNABLE,
        P.PAYOUT_NOT_FAILED,
        P.PAYOUTS_HELD,
        P.NOTHING_TO_PAY,
        P.CONFLICT,
    ),
    413: (P.BODY_TOO_LARGE,),
    415: (P.UNSUPPORTED_MEDIA_TYPE,),
    422: (
        P.VALIDATION_FAILED,
        P.INVALID_INPUT,
        P.COUPON_NOT_APPLICABLE,
        P.INVALID_PROMOTION,
        P.INVALID_HS_CODE,
        P.INVALID_ADDRESS,
        P.INVALID_TRACKING_NUMBER,
        P.BAD_CHECK_DIGIT,
        P.IDEMPOTENCY_KEY_REQUIRED,
        P.EMPTY_CART,
        P.QUANTITY_LIMIT,
        P.TOO_MANY_LINES,
        P.LIMIT_EXCEEDED,
        P.SHIPPING_SERVICE_UNAVAILABLE,
        P.NO_SHIPPING_TO_DESTINATION,
        P.PARCEL_TOO_HEAVY,
        P.INVALID_REFUND_AMOUNT,
        P.CURRENCY_MISMATCH,
        P.BAD_EVENT,
        P.INVALID_TEXT,
        P.INVALID_RATE,
        P.INVALID_SPREAD,
        P.UNKNOWN_CURRENCY,
        P.SAME_CURRENCY,
        P.VALID_FROM_OUT_OF_RANGE,
        P.EMPTY_AMENDMENT,
        P.INVALID_PERCENT,
        P.INVALID_AMOUNT,
        P.UNKNOWN_COUNTRY,
        P.EFFECTIVE_FROM_OUT_OF_RANGE,
        P.NO_CUSTOMS_RULE,
        P.NO_THRESHOLD,
        P.INVALID_CUSTOMS_RULE,
        P.TOO_MANY_AMENDMENTS,
        P.TOO_MANY_EVENTS,
        P.UNKNOWN_EVENT_CODE,
        P.NAIVE_DATETIME,
        P.EVENT_IN_FUTURE,
        P.EVENT_BEFORE_SHIPMENT,
        P.EVENT_TIME_OUT_OF_RANGE,
        P.TRACKING_NUMBER_MISMATCH,
        P.CONTROL_CHARACTERS,
        P.INVALID_WEIGHT,
        P.UNKNOWN_EVENT_TYPE,
        P.CURRENCY_NOT_SUPPORTED,
        P.AMOUNT_NOT_POSITIVE,
        P.AMOUNT_OUT_OF_RANGE,
        P.TOO_MANY_DECIMALS,
        P.CUSTOMS_RULES_OVERLAP,
        P.INVALID_DIMENSION,
        P.INVALID_DUTY_TERMS,
        P.INVALID_EFFECTIVE_FROM,
        P.INVALID_SHIPPING_DATA,
        P.MESSAGE_TOO_LONG,
        P.NO_CUSTOMS_LINES,
        P.TOO_MANY_TRACKING_EVENTS,
        P.UNKNOWN_LOCALE,
        P.UNKNOWN_SCENARIO,
        P.ZERO_WEIGHTS,
        P.INVALID_DATE,
        P.INVALID_DECISION,
        P.INVALID_RULES,
        P.INVALID_PERIOD,
        P.REASON_REQUIRED,
        P.NOT_AN_IMAGE,
        P.IMAGE_TYPE_NOT_ALLOWED,
        P.IMAGE_TOO_SMALL,
        P.IMAGE_TOO_LARGE,
        P.IMAGE_TOO_MANY_PIXELS,
    ),
    429: (
        P.LOGIN_THROTTLED,
        P.TOO_MANY_REQUESTS,
        P.CHECKOUT_PENDING,
        P.CLAIM_PENDING,
    ),
    500: (P.INTERNAL_ERROR,),
    503: (P.DATABASE_UNAVAILABLE,),
}
del P

STATUS_BY_CODE: Final[Mapping[ProblemCode, int]] = {
    code: status for status, codes in _CODES_BY_STATUS.items() for code in codes
}
