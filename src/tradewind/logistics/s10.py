"""UPU S10 international postal item identifiers, e.g. ``RR473124829GB``.

Layout: two letters for the service (``E?`` EMS, ``R?`` registered letter post, ``C?`` parcel,
``H?`` e-commerce parcel, ...), eight serial digits, one check digit, and the ISO 3166 alpha-2
code of the post that issued the number.

**An S10 number is not unique.** Posts recycle serials after about twelve months, so two different
parcels can carry the same number a year apart. Storage must never key on the number alone: key
on the shipment (or on number + issuing post + the period it was registered in) and treat the
number as a lookup attribute.

The check digit catches every change of the check digit itself and almost every single-digit
typo in the serial, but not all: the standard maps both remainders 0 and 6 to check digit 5, so a
serial change that swaps those two remainders goes undetected. That is a property of S10, not a
bug here; the unit tests pin it down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.logistics.text import CONTROL_CODE, has_control_characters
from tradewind.money.currency import validate_country

FIELD: Final = "tracking_number"
RAW_MAX_LEN: Final = 64  # generous for spaced-out input; refuses megabyte "numbers" early
SERIAL_MAX: Final = 99_999_999
LABEL_WHITESPACE: Final = "\t\n\r"  # the only control characters a copied label may carry
# How long a number stays one parcel's. The S10 standard lets a post reissue a number once 12
# months have passed since it was issued; 12 months are never shorter than 365 days, so this is
# the longest window that can never refuse a legitimately reissued number. Within it a number
# belongs to one shipment only (a second one is a typo, a reused label or an attack).
REUSE_WINDOW: Final = timedelta(days=365)

_WEIGHTS: Final = (8, 6, 4, 2, 3, 5, 9, 7)
# [0-9] and not \d: Python's \d also matches other scripts' digits (e.g. Arabic-Indic).
_S10_RE: Final = re.compile(r"[A-Z]{2}[0-9]{8}[0-9][A-Z]{2}")
_SERIAL_RE: Final = re.compile(r"[0-9]{8}")
_SERVICE_RE: Final = re.compile(r"[A-Z]{2}")
# CLDR territory codes that Babel lists but that are not a country any post could be from.
_NOT_ISSUING_COUNTRIES: Final = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@dataclass(frozen=True, slots=True)
class S10Number:
    """A validated S10 identifier; ``str()`` gives the canonical 13 characters.

    Construction validates, so an instance is always well-formed with a correct check digit.
    """

    service_indicator: str
    serial: str  # eight digits kept as text: leading zeros are significant
    check_digit: int
    country: str

    def __post_init__(self) -> None:
        _check_service(self.service_indicator)
        _check_serial(self.serial)
        _check_country(self.country)
        expected = compute_check_digit(self.serial)
        if self.check_digit != expected:
            raise _error(
                f"check digit {self.check_digit} does not match the serial (expected {expected})",
                ProblemCode.BAD_CHECK_DIGIT,
            )

    def __str__(self) -> str:
        return f"{self.service_indicator}{self.serial}{self.check_digit}{self.country}"


def parse_s10(raw: str) -> S10Number:
    """Parse user or carrier input into an :class:`S10Number`.

    Whitespace anywhere and lowercase letters are accepted, because people copy numbers from
    printed labels that space them out (``RR 473 124 829 GB``); the result is canonical. Other
    control characters (NUL, separators, bidi overrides) are refused with ``control_characters``.
    """
    if len(raw) > RAW_MAX_LEN:
        raise _error("tracking number is too long", ProblemCode.INVALID_TRACKING_NUMBER)
    if has_control_characters(raw, allowed=LABEL_WHITESPACE):
        raise _error("tracking number contains control characters", CONTROL_CODE)
    compact = "".join(raw.split())
    # ASCII check before upper(): some non-ASCII letters upper-case to ASCII ones (dotless i to
    # "I", long s to "S") and would otherwise sneak through.
    compact = compact.upper() if compact.isascii() else compact
    if not _S10_RE.fullmatch(compact):
        raise _error(
            "not an S10 tracking number (two letters, nine digits, two letters)",
            ProblemCode.INVALID_TRACKING_NUMBER,
        )
    return S10Number(
        service_indicator=compact[:2],
        serial=compact[2:10],
        check_digit=int(compact[10]),
        country=compact[11:],
    )


def compute_check_digit(serial8: str) -> int:
    """S10 check digit: weights 8 6 4 2 3 5 9 7, ``C = 11 - (S mod 11)``, 10 -> 0, 11 -> 5."""
    _check_serial(serial8)
    remainder = sum(w * int(d) for w, d in zip(_WEIGHTS, serial8, strict=True)) % 11
    check = 11 - remainder
    if check == 10:
        return 0
    if check == 11:
        return 5
    return check


def issue_s10(service: str, serial: int, country: str) -> S10Number:
    """Issue the number a (simulated) origin post would print for ``serial``.

    The same serial will be issued again after the post's numbering wraps (about twelve
    months), so callers must store it next to the shipment, never as a unique key.
    """
    if isinstance(serial, bool) or not 0 <= serial <= SERIAL_MAX:
        raise _error(f"serial must be 0 to {SERIAL_MAX}", ProblemCode.INVALID_TRACKING_NUMBER)
    serial8 = f"{serial:08d}"
    return S10Number(service, serial8, compute_check_digit(serial8), country)


def _check_service(service: str) -> None:
    if not _SERVICE_RE.fullmatch(service):
        raise _error(
            "service indicator must be two capital letters", ProblemCode.INVALID_TRACKING_NUMBER
        )


def _check_serial(serial8: str) -> None:
    if not _SERIAL_RE.fullmatch(serial8):
        raise _error("serial must be eight digits", ProblemCode.INVALID_TRACKING_NUMBER)


def _check_country(country: str) -> None:
    """The issuing post's country must be a real ISO 3166 country (``XX`` is refused)."""
    try:
        validate_country(country)
    except InvalidInput:
        known = False
    else:
        known = country not in _NOT_ISSUING_COUNTRIES
    if not known:
        raise _error(
            f"{country!r} is not the country of a postal operator",
            ProblemCode.INVALID_TRACKING_NUMBER,
            field_code="unknown_issuing_country",
        )


def _error(detail: str, code: ProblemCode, *, field_code: str | None = None) -> InvalidInput:
    return InvalidInput(detail, code=code, errors=[FieldError(FIELD, detail, field_code or code)])
