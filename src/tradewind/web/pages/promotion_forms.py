"""The promotion forms of the seller center and the operator console: raw text in, a
:class:`~tradewind.promotions.service.PromotionSpec` out, every problem in words at its field.

Fields arrive as plain strings, so a bad submit answers with the form again (input kept), never
the API's JSON problem. Amounts are typed in major units of the promotion's currency (``5.00``),
percentages in percent (``12.5``), dates as ``datetime-local`` values read in the viewer's
time zone (the seller's, the operator's), whole numbers bounded. The service checks the values
again; its field errors are put back on these fields (:func:`field_errors`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from tradewind.kernel.errors import DomainError, FieldError, InvalidInput
from tradewind.kernel.i18n import N_, _
from tradewind.kernel.text import has_control_characters
from tradewind.money.amount import Money
from tradewind.promotions.domain import MAX_CODE_LEN, MAX_NAME_LEN, MAX_QUANTITY, Kind
from tradewind.promotions.service import PromotionSpec
from tradewind.web.pages.common import number_text, problem_text

MAX_AMOUNT_MINOR: Final = 10**12
IN_WORDS: Final = "form"  # a field error's code when its message is already in words
MAX_FIELD_LEN: Final = 40
_WHOLE: Final = re.compile(r"[0-9]{1,9}", re.ASCII)
_PERCENT: Final = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{1,2})?", re.ASCII)
_CODE: Final = re.compile(r"[A-Za-z0-9]+", re.ASCII)
_MOMENT: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?", re.ASCII)
_LOCAL: Final = "%Y-%m-%dT%H:%M"

FIELDS: Final = (
    "name",
    "value_type",
    "value",
    "starts_at",
    "ends_at",
    "min_spend",
    "per_buyer_limit",
    "total_quantity",
    "code",
    "claimable",
    "currency",
)
# The service's field names (the API's) on the form's fields.
_ON_FORM: Final = {
    "percent_bps": "value",
    "amount_minor": "value",
    "min_spend_minor": "min_spend",
    "kind": "name",
}
# The service's refusals by code, in words.
_BY_CODE: Final = {
    "code_taken": N_("Another promotion uses this code. Choose another."),
    "invalid_window": N_("The end must be after the start."),
    "unknown_currency": N_("This is not a currency code we know."),
    "invalid_code": N_("Use letters and digits only."),
    "required": N_("A coupon needs a code or to be claimable at checkout."),
}


class FormIn(BaseModel):
    """The fields as posted (plain text; :func:`spec` reads them)."""

    name: str = Field(default="", max_length=200)
    value_type: str = Field(default="percent", max_length=200)
    value: str = Field(default="", max_length=200)
    currency: str = Field(default="", max_length=200)
    starts_at: str = Field(default="", max_length=200)
    ends_at: str = Field(default="", max_length=200)
    min_spend: str = Field(default="", max_length=200)
    per_buyer_limit: str = Field(default="", max_length=200)
    total_quantity: str = Field(default="", max_length=200)
    code: str = Field(default="", max_length=200)
    claimable: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=600)


@dataclass(frozen=True, slots=True)
class Where:
    """What the form's values are read against: the currency and the viewer's zone and now."""

    currency: str
    zone: ZoneInfo
    now: datetime


def defaults(kind: Kind, where: Where) -> dict[str, str]:
    """An empty form: starting now, for a week, in the viewer's zone."""
    start = where.now.astimezone(where.zone).replace(second=0, microsecond=0)
    return {
        "name": "",
        "value_type": "percent",
        "value": "",
        "starts_at": start.strftime(_LOCAL),
        "ends_at": (start + timedelta(days=7)).strftime(_LOCAL),
        "min_spend": "",
        "per_buyer_limit": "1" if kind in (Kind.STORE_COUPON, Kind.PLATFORM_COUPON) else "",
        "total_quantity": "",
        "code": "",
        "claimable": "",
        "currency": where.currency,
    }


def kept(form: dict[str, Any]) -> dict[str, str]:
    """The submitted fields as text, to show them again (missing ones empty)."""
    return {name: str(form.get(name) or "")[:200] for name in FIELDS}


def spec(kind: Kind, form: dict[str, str], where: Where) -> PromotionSpec:
    """The form as a spec, or :class:`InvalidInput` with every field's problem in words."""
    problems: list[FieldError] = []
    name = _name(form["name"], problems)
    starts = _moment(form["starts_at"], "starts_at", where, problems)
    ends = _moment(form["ends_at"], "ends_at", where, problems)
    if starts and ends and ends <= starts:
        problems.append(_problem("ends_at", _("The end must be after the start.")))
    elif ends and ends <= where.now:
        problems.append(_problem("ends_at", _("Choose an end in the future.")))
    percent_bps, amount_minor = _value(form, where.currency, problems)
    coupon = kind in (Kind.STORE_COUPON, Kind.PLATFORM_COUPON)
    limit = _whole(form["per_buyer_limit"], "per_buyer_limit", problems)
    total = _whole(form["total_quantity"], "total_quantity", problems) if coupon else None
    min_spend = _amount(form["min_spend"], "min_spend", where.currency, problems, zero=True)
    code = _code(form["code"], problems) if coupon else None
    claimable = coupon and form["claimable"] == "true"
    if coupon and not code and not claimable:
        problems.append(_problem("code", _("Give a code, or let buyers claim it at checkout.")))
    if problems:
        raise InvalidInput("please correct the form", errors=problems)
    assert starts is not None
    assert ends is not None
    return PromotionSpec(
        kind=kind.value,
        name=name,
        starts_at=starts,
        ends_at=ends,
        percent_bps=percent_bps,
        amount_minor=amount_minor,
        min_spend_minor=(min_spend or 0) if coupon else 0,
        code=code,
        claimable=claimable,
        total_quantity=total,
        per_buyer_limit=limit,
        currency=where.currency,
    )


def field_errors(error: DomainError) -> dict[str, str]:
    """A refusal's problems on the form's fields, in words (the first per field); one with no
    field is shown at the top (``form``)."""
    if not error.errors:
        return {"form": problem_text(error)}
    found: dict[str, str] = {}
    for f in error.errors:
        name = _ON_FORM.get(f.field, f.field)
        if name not in FIELDS:
            name = "form"
        text = (
            f.message if f.code == IN_WORDS else _(_BY_CODE[f.code]) if f.code in _BY_CODE else ""
        )
        found.setdefault(name, text or _("Check this value."))
    return found


def _problem(field: str, message: str) -> FieldError:
    return FieldError(field, message, IN_WORDS)


def _name(raw: str, problems: list[FieldError]) -> str:
    text = raw.strip()
    if not 1 <= len(text) <= MAX_NAME_LEN or has_control_characters(text) or "\n" in text:
        message = _("Give a name of 1 to %(max)s characters on one line.") % {"max": MAX_NAME_LEN}
        problems.append(_problem("name", message))
    return text


def _moment(raw: str, field: str, where: Where, problems: list[FieldError]) -> datetime | None:
    text = raw.strip()
    try:
        if not _MOMENT.fullmatch(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text).replace(tzinfo=where.zone)
        if not 2000 <= moment.year <= 2100:
            raise ValueError(text)
    except ValueError:
        problems.append(_problem(field, _("Enter a date and time, such as 2027-01-31 09:00.")))
        return None
    return moment


def _value(
    form: dict[str, str], currency: str, problems: list[FieldError]
) -> tuple[int | None, int | None]:
    """(percent in basis points, amount in minor units): one of them."""
    if form["value_type"] == "amount":
        return None, _amount(form["value"], "value", currency, problems, zero=False)
    text = form["value"].strip().removesuffix("%").strip()
    if _PERCENT.fullmatch(text):
        bps = int(Decimal(text.replace(",", ".")) * 100)
        if 1 <= bps <= 10_000:
            return bps, None
    problems.append(_problem("value", _("Enter a percentage from 0.01 to 100, such as 15.")))
    return None, None


def _amount(
    raw: str, field: str, currency: str, problems: list[FieldError], *, zero: bool
) -> int | None:
    text = raw.strip()
    if zero and not text:
        return None
    try:
        if len(text) > MAX_FIELD_LEN:
            raise ValueError(text)
        minor = Money.from_major(text, currency).amount_minor
        if not (0 if zero else 1) <= minor <= MAX_AMOUNT_MINOR:
            raise ValueError(text)
    except (DomainError, ValueError):
        message = _("Enter an amount in %(currency)s, such as %(example)s.") % {
            "currency": currency,
            "example": Money.from_major("5", currency).to_decimal(),
        }
        problems.append(_problem(field, message))
        return None
    return minor


def _whole(raw: str, field: str, problems: list[FieldError]) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if _WHOLE.fullmatch(text) and 1 <= int(text) <= MAX_QUANTITY:
        return int(text)
    message = _("Enter a whole number from 1 to %(max)s, or leave it empty.") % {
        "max": number_text(MAX_QUANTITY)
    }
    problems.append(_problem(field, message))
    return None


def _code(raw: str, problems: list[FieldError]) -> str | None:
    text = raw.strip()
    if not text:
        return None
    if not (_CODE.fullmatch(text) and 3 <= len(text) <= MAX_CODE_LEN):
        message = _("Use 3 to %(max)s letters and digits, such as SPRING15.") % {
            "max": MAX_CODE_LEN
        }
        problems.append(_problem("code", message))
        return None
    return text.upper()
