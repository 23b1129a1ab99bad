"""The operator console's forms: raw text in, domain values out, every problem in words.

Form fields arrive as plain strings (no FastAPI constraints), so a bad submit never answers
the API's JSON problem: the handler re-renders the page with the operator's input kept and the
reasons next to the fields. Each parser collects every field's problem before raising one
:class:`InvalidInput`; the domain then checks the values again.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from fastapi import Request
from fastapi.responses import Response

from tradewind.customs.amendments import MAX_DE_MINIMIS_MINOR, Amendment
from tradewind.kernel.errors import DomainError, FieldError, InvalidInput
from tradewind.kernel.i18n import _
from tradewind.kernel.problems import ProblemCode
from tradewind.money.fx import MAX_SPREAD_BPS
from tradewind.web.pages.common import field_text, render
from tradewind.web.problems import status_for

MAX_FIELD_LEN: Final = 40  # numbers, codes and dates: anything longer is not one
_DIGITS: Final = re.compile(r"[0-9]{1,13}", re.ASCII)
_PERCENT: Final = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,4})?", re.ASCII)

AMENDMENT_DEFAULTS: Final = {
    "destination": "",
    "effective_from": "",
    "vat_percent": "",
    "de_minimis_minor": "",
    "duty_default_percent": "",
    "note": "",
}
WITHDRAW_DEFAULTS: Final = {"amendment_id": "", "withdraw_reason": ""}
FX_DEFAULTS: Final = {
    "base": "",
    "quote": "",
    "rate": "",
    "spread_bps": "100",
    "source": "operator",
    "valid_from": "",
    "reason": "",
}


def context(form: dict[str, str], error: DomainError | None) -> dict[str, Any]:
    """What a console template needs to show a form again: values, the error, per-field text."""
    fields = {f.field: field_text(f) for f in error.errors} if error else {}
    return {"form": form, "error": error, "field_errors": fields}


def answer(
    request: Request,
    template: str,
    values: dict[str, Any],
    form: dict[str, str],
    error: DomainError | None,
) -> Response:
    """A console page with its form: the operator's input kept and a refusal's words beside its
    field, answered with the refusal's status (200 when there is none). Every console form's
    page ends here."""
    status = status_for(error) if error else 200
    return render(request, template, {**values, **context(form, error)}, status_code=status)


def amendment(form: dict[str, str]) -> Amendment:
    problems: list[FieldError] = []
    effective_from = _date(form["effective_from"], "effective_from", problems)
    vat = _percent(form["vat_percent"], "vat_percent", problems)
    de_minimis = _minor(form["de_minimis_minor"], "de_minimis_minor", problems)
    duty = _percent(form["duty_default_percent"], "duty_default_percent", problems)
    _required(form["note"], "note", problems)
    _raise_if(problems)
    assert effective_from is not None
    return Amendment(
        destination=form["destination"].strip().upper(),
        effective_from=effective_from,
        vat_percent=vat,
        de_minimis_minor=de_minimis,
        duty_default_percent=duty,
        note=form["note"].strip(),
    )


def fx_quote(form: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments for :func:`tradewind.money.service.record_quote`."""
    problems: list[FieldError] = []
    spread = _spread(form["spread_bps"], problems)
    valid_from = _moment(form["valid_from"], problems)
    _required(form["reason"], "reason", problems)
    _raise_if(problems)
    return {
        "base": form["base"].strip().upper(),
        "quote": form["quote"].strip().upper(),
        "rate": form["rate"].strip(),
        "spread_bps": spread,
        "source": form["source"].strip() or "operator",
        "valid_from": valid_from,
        "reason": form["reason"].strip(),
    }


def reason(raw: str, field: str) -> str:
    """Why an operator acts, for the audit log: required, 1 to 500 characters of plain text."""
    problems: list[FieldError] = []
    _required(raw, field, problems)
    _raise_if(problems)
    return raw.strip()


def batch_name(raw: str) -> str:
    """A payout batch's name: 1 to 40 characters of plain text."""
    text = raw.strip()
    if 1 <= len(text) <= MAX_FIELD_LEN and text.isprintable():
        return text
    message = _("Enter a batch name of 1 to %(max)s characters.") % {"max": MAX_FIELD_LEN}
    raise InvalidInput(
        message,
        code=ProblemCode.INVALID_INPUT,
        errors=[FieldError("batch", message, ProblemCode.INVALID_INPUT)],
    )


def _required(raw: str, field: str, problems: list[FieldError]) -> None:
    if not raw.strip():
        problems.append(FieldError(field, _("Give a reason."), ProblemCode.REASON_REQUIRED))


def _raise_if(problems: list[FieldError]) -> None:
    if problems:
        raise InvalidInput(
            "please correct: " + "; ".join(p.message for p in problems),
            code=ProblemCode(problems[0].code),  # each field code here is a problem code
            errors=problems,
        )


def _date(raw: str, field: str, problems: list[FieldError]) -> date | None:
    text = raw.strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        problems.append(
            FieldError(
                field,
                _("Enter a date such as %(example)s.") % {"example": "2027-01-31"},
                ProblemCode.INVALID_DATE,
            )
        )
        return None


def _percent(raw: str, field: str, problems: list[FieldError]) -> Decimal | None:
    """An optional percentage (empty keeps the current figure); 0 is a rate."""
    text = raw.strip()
    if not text:
        return None
    if _PERCENT.fullmatch(text):
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            value = Decimal(-1)
        if 0 <= value <= 100:
            return value
    problems.append(
        FieldError(
            field,
            _("Enter a number from 0 to 100, such as %(example)s.") % {"example": "17.5"},
            ProblemCode.INVALID_PERCENT,
        )
    )
    return None


def _minor(raw: str, field: str, problems: list[FieldError]) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if _DIGITS.fullmatch(text) and int(text) <= MAX_DE_MINIMIS_MINOR:
        return int(text)
    problems.append(
        FieldError(
            field,
            _("Enter a whole number of minor units from 0 to %(max)s.")
            % {"max": MAX_DE_MINIMIS_MINOR},
            ProblemCode.INVALID_AMOUNT,
        )
    )
    return None


def _spread(raw: str, problems: list[FieldError]) -> int:
    text = raw.strip() or "0"
    if _DIGITS.fullmatch(text) and int(text) <= MAX_SPREAD_BPS:
        return int(text)
    problems.append(
        FieldError(
            "spread_bps",
            _("Enter a whole number of basis points from 0 to %(max)s.") % {"max": MAX_SPREAD_BPS},
            ProblemCode.INVALID_SPREAD,
        )
    )
    return 0


def _moment(raw: str, problems: list[FieldError]) -> datetime | None:
    """An optional start time; one without a zone is read as UTC (as the page shows times)."""
    text = raw.strip()
    if not text:
        return None
    try:
        if len(text) > MAX_FIELD_LEN:
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        problems.append(
            FieldError(
                "valid_from",
                _("Enter a time such as %(example)s.") % {"example": "2027-01-31T09:00"},
                ProblemCode.INVALID_DATE,
            )
        )
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
