"""The processor's webhook events, checked field by field before anything uses them.

A signature proves who sent an event, not that its fields make sense: a signed event may still
carry ``"abc"``, ``null``, ``1e300``, ``2**70``, ``true``, an object, a negative amount, a
currency that is not ISO 4217 or a timestamp in year 1. :func:`parse_event` turns the decoded
JSON into a :class:`WebhookEvent` or raises ``InvalidInput``:

- ``unknown_event_type``: ``type`` is not one of :data:`EVENT_FIELDS`;
- ``bad_event``: anything else; ``errors`` names each field (``data.amount_minor``) and why
  (``not_an_integer``, ``out_of_range``, ``amount_not_positive``, ``currency``, ...).

Events about a payment carry its ``payment_id`` and ``reference``; a payout's event
(``payout.returned``: the bank sent a paid payout back) carries neither, only the processor's
``payout_id``, our ``request_key`` and what came back.

Pure: no I/O. Fields the processor adds that Tradewind does not read are ignored (processors
add fields without notice) and are not stored: :meth:`WebhookEvent.payload` keeps only the
checked ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.money.amount import MAX_AMOUNT_MINOR, Money
from tradewind.money.currency import minor_unit_digits

MAX_EVENT_AGE = timedelta(days=90)  # far beyond any processor's retry window
MAX_CLOCK_SKEW = timedelta(minutes=5)  # the signature's own tolerance
MAX_REQUEST_KEY_LEN = 200
_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,100}", re.ASCII)
_CODE_RE = re.compile(r"[a-z0-9_]{1,64}", re.ASCII)
_REASON_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.]{0,15}", re.ASCII)
# An ISO 20022 return reason code (ExternalReturnReason1Code): AC04, MS03, FOCR...
_RETURN_CODE_RE = re.compile(r"[A-Z0-9]{4}", re.ASCII)

# The fields of ``data`` each event type must carry, beyond ``payment_id`` and ``reference``.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "payment.authorized": ("amount_minor", "currency"),
    "payment.captured": ("amount_minor", "currency"),
    "payment.failed": ("currency", "decline_code"),
    "refund.succeeded": ("amount_minor", "currency", "refund_id"),
    # A card network disputes the payment (the processor has taken the amount back), then the
    # dispute ends won (returned) or lost. Each carries every field, so any may come first.
    **{
        f"chargeback.{step}": (
            "amount_minor",
            "currency",
            "chargeback_id",
            "reason_code",
            "evidence_due_by",
        )
        for step in ("opened", "won", "lost")
    },
}
CHARGEBACK_EVENTS = ("chargeback.opened", "chargeback.won", "chargeback.lost")
# Events about a payout, not a payment: the fields of ``data`` each must carry.
PAYOUT_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "payout.returned": (
        "payout_id",
        "request_key",
        "amount_minor",
        "currency",
        "return_code",
        "return_id",
    ),
}
PAYOUT_EVENTS = tuple(PAYOUT_EVENT_FIELDS)
EVENT_FIELDS.update(PAYOUT_EVENT_FIELDS)
MAX_EVIDENCE_WINDOW = timedelta(days=120)  # networks allow 7-45 days; beyond this is a bug
# Fields an event type may carry; absent ones are None. ``fee_minor``: what the processor kept
# of a capture (0 or more); ``request_key``: the idempotency key of the refund request.
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "payment.captured": ("fee_minor",),
    "refund.succeeded": ("request_key",),
}


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    event_id: str
    kind: str
    created: datetime
    currency: str
    payment_id: str = ""  # "" for a payout's event
    reference: str = ""
    amount_minor: int | None = None
    decline_code: str | None = None
    refund_id: str | None = None
    fee_minor: int | None = None
    request_key: str | None = None
    chargeback_id: str | None = None
    reason_code: str | None = None
    evidence_due_by: datetime | None = None
    payout_id: str | None = None
    return_code: str | None = None
    return_id: str | None = None

    @property
    def amount(self) -> Money:
        if self.amount_minor is None:
            raise ValueError(f"a {self.kind} event carries no amount")
        return Money(self.amount_minor, self.currency)

    def payload(self) -> dict[str, Any]:
        """The event as stored: the checked fields only."""
        data: dict[str, Any] = {"currency": self.currency}
        if self.kind not in PAYOUT_EVENT_FIELDS:
            data |= {"payment_id": self.payment_id, "reference": self.reference}
        for name in (
            "amount_minor",
            "decline_code",
            "refund_id",
            "fee_minor",
            "request_key",
            "chargeback_id",
            "reason_code",
            "payout_id",
            "return_code",
            "return_id",
        ):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        if self.evidence_due_by is not None:
            data["evidence_due_by"] = int(self.evidence_due_by.timestamp())
        created = int(self.created.timestamp())
        return {"id": self.event_id, "type": self.kind, "created": created, "data": data}


def parse_event(raw: object, now: datetime) -> WebhookEvent:
    """Check every field of a decoded webhook body; see the module docstring for the errors."""
    if not isinstance(raw, dict):
        raise _bad([FieldError("body", "must be an object", "not_an_object")])
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in EVENT_FIELDS:
        shown = kind[:64] if isinstance(kind, str) else type(kind).__name__
        raise InvalidInput(
            f"unknown webhook event type: {shown!r}",
            code=ProblemCode.UNKNOWN_EVENT_TYPE,
            errors=[FieldError("type", f"one of {', '.join(EVENT_FIELDS)}", "unknown_event_type")],
        )
    errors: list[FieldError] = []
    event_id = _identifier(raw.get("id"), "id", errors)
    created = _timestamp(raw.get("created"), now, errors)
    data = raw.get("data")
    if not isinstance(data, dict):
        errors.append(FieldError("data", "must be an object", "not_an_object"))
        raise _bad(errors)
    if kind in PAYOUT_EVENT_FIELDS:
        fields = _payout_fields(data, errors)
    else:
        fields = _data_fields(kind, data, errors)
    if "evidence_due_by" in EVENT_FIELDS[kind]:
        fields["evidence_due_by"] = _deadline(data.get("evidence_due_by"), created, errors)
    if errors:
        raise _bad(errors)
    assert created is not None
    return WebhookEvent(event_id=event_id, kind=kind, created=created, **fields)


def _data_fields(kind: str, data: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    wanted = EVENT_FIELDS[kind]
    fields: dict[str, Any] = {
        "payment_id": _identifier(data.get("payment_id"), "data.payment_id", errors),
        "reference": _identifier(data.get("reference"), "data.reference", errors),
        "currency": _currency(data.get("currency"), errors),
    }
    if "amount_minor" in wanted:
        fields["amount_minor"] = _amount(data.get("amount_minor"), errors)
    if "decline_code" in wanted:
        fields["decline_code"] = _code(data.get("decline_code"), "data.decline_code", errors)
    if "refund_id" in wanted:
        fields["refund_id"] = _identifier(data.get("refund_id"), "data.refund_id", errors)
    if "chargeback_id" in wanted:
        fields["chargeback_id"] = _identifier(
            data.get("chargeback_id"), "data.chargeback_id", errors
        )
    if "reason_code" in wanted:
        fields["reason_code"] = _reason(data.get("reason_code"), errors)
    optional = OPTIONAL_FIELDS.get(kind, ())
    if "fee_minor" in optional and data.get("fee_minor") is not None:
        fields["fee_minor"] = _amount(data["fee_minor"], errors, field="data.fee_minor", least=0)
    if "request_key" in optional and data.get("request_key") is not None:
        fields["request_key"] = _request_key(data["request_key"], errors)
    return fields


def _payout_fields(data: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    """A payout's event: which payout (the processor's id and our request key), what came
    back (a positive amount in an ISO 4217 currency) and why (an ISO 20022 reason code)."""
    code = data.get("return_code")
    if not isinstance(code, str) or not _RETURN_CODE_RE.fullmatch(code):
        message = "must be an ISO 20022 return reason code: 4 of [A-Z0-9], such as AC04"
        errors.append(FieldError("data.return_code", message, "invalid"))
        code = ""
    return {
        "payout_id": _identifier(data.get("payout_id"), "data.payout_id", errors),
        "request_key": _request_key(data.get("request_key"), errors),
        "amount_minor": _amount(data.get("amount_minor"), errors),
        "currency": _currency(data.get("currency"), errors),
        "return_code": code,
        "return_id": _identifier(data.get("return_id"), "data.return_id", errors),
    }


def return_code_ok(value: object) -> bool:
    """True for a well-formed ISO 20022 return reason code (the report's rows are checked
    with the same rule as the webhook's field)."""
    return isinstance(value, str) and bool(_RETURN_CODE_RE.fullmatch(value))


def _request_key(value: object, errors: list[FieldError]) -> str:
    field = "data.request_key"
    if not isinstance(value, str) or not 0 < len(value) <= MAX_REQUEST_KEY_LEN:
        errors.append(FieldError(field, f"must be 1-{MAX_REQUEST_KEY_LEN} characters", "invalid"))
        return ""
    if not value.isprintable():
        errors.append(FieldError(field, "must not contain control characters", "invalid"))
    return value


def _identifier(value: object, field: str, errors: list[FieldError]) -> str:
    if not isinstance(value, str):
        errors.append(FieldError(field, f"must be a string, not {_kind(value)}", "not_a_string"))
        return ""
    if not _ID_RE.fullmatch(value):
        errors.append(FieldError(field, "must be 1-100 of [A-Za-z0-9_-]", "invalid"))
    return value


def _code(value: object, field: str, errors: list[FieldError]) -> str:
    if not isinstance(value, str) or not _CODE_RE.fullmatch(value):
        errors.append(FieldError(field, "must be 1-64 of [a-z0-9_]", "invalid"))
        return ""
    return value


def _reason(value: object, errors: list[FieldError]) -> str:
    """A card network's reason code: ``10.4`` (Visa), ``4837`` (Mastercard)."""
    if not isinstance(value, str) or not _REASON_RE.fullmatch(value):
        message = "must be 1-16 of [A-Za-z0-9.], starting with a letter or digit"
        errors.append(FieldError("data.reason_code", message, "invalid"))
        return ""
    return value


def _deadline(value: object, created: datetime | None, errors: list[FieldError]) -> datetime | None:
    """The evidence deadline: Unix seconds within the longest window either side of the event
    (a ``won`` or ``lost`` event comes after it)."""
    field = "data.evidence_due_by"
    if isinstance(value, bool) or not isinstance(value, int):
        message = f"must be an integer of Unix seconds, not {_kind(value)}"
        errors.append(FieldError(field, message, "not_an_integer"))
        return None
    if created is None:
        return None  # ``created`` is already reported
    earliest = int((created - MAX_EVIDENCE_WINDOW).timestamp())
    latest = int((created + MAX_EVIDENCE_WINDOW).timestamp())
    if not earliest <= value <= latest:
        message = f"must be between {earliest} and {latest} (Unix seconds)"
        errors.append(FieldError(field, message, "out_of_range"))
        return None
    return datetime.fromtimestamp(value, UTC)


def _currency(value: object, errors: list[FieldError]) -> str:
    if not isinstance(value, str):
        errors.append(
            FieldError("data.currency", f"must be a string, not {_kind(value)}", "currency")
        )
        return ""
    try:
        minor_unit_digits(value)
    except InvalidInput:
        errors.append(FieldError("data.currency", "not an ISO 4217 currency", "currency"))
    return value


def _amount(
    value: object, errors: list[FieldError], *, field: str = "data.amount_minor", least: int = 1
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        message = f"must be an integer of minor units, not {_kind(value)}"
        errors.append(FieldError(field, message, "not_an_integer"))
        return 0
    if value < least:
        message = "must be more than zero" if least else "must not be negative"
        errors.append(FieldError(field, message, "amount_not_positive"))
    elif value > MAX_AMOUNT_MINOR:
        errors.append(FieldError(field, f"must be at most {MAX_AMOUNT_MINOR}", "out_of_range"))
    return value


def _timestamp(value: object, now: datetime, errors: list[FieldError]) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int):
        message = f"must be an integer of Unix seconds, not {_kind(value)}"
        errors.append(FieldError("created", message, "not_an_integer"))
        return None
    earliest = int((now - MAX_EVENT_AGE).timestamp())
    latest = int((now + MAX_CLOCK_SKEW).timestamp())
    if not earliest <= value <= latest:
        message = f"must be between {earliest} and {latest} (Unix seconds)"
        errors.append(FieldError("created", message, "out_of_range"))
        return None
    return datetime.fromtimestamp(value, UTC)


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _bad(errors: list[FieldError]) -> InvalidInput:
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return InvalidInput(
        f"webhook event is malformed: {fields}", code=ProblemCode.BAD_EVENT, errors=errors
    )
