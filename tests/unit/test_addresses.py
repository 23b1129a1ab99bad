"""Addresses checked per country: every problem reported at once, per field; valid ones kept as
typed except postcode, region and phone, which take the post's own form."""

from __future__ import annotations

import pytest

from tradewind.identity.addresses import check_address
from tradewind.kernel.errors import InvalidInput


def test_an_undeliverable_address_is_refused_field_by_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_address(
            {
                "full_name": "Noa",
                "line1": " ",
                "city": "",
                "postal_code": "not a postcode!!",
                "country": "IL",
                "phone": "abc",
            },
            prefix="ship_to",
        )
    assert refused.value.code == "invalid_address"
    assert {(e.field, e.code) for e in refused.value.errors} == {
        ("ship_to.line1", "required"),
        ("ship_to.city", "required"),
        ("ship_to.postal_code", "invalid_postal_code"),
        ("ship_to.phone", "invalid_phone"),
    }
    messages = {e.field: e.message for e in refused.value.errors}
    assert messages["ship_to.postal_code"] == "not a postcode in IL, e.g. 9614303"
    assert refused.value.detail == (
        "this address cannot be delivered in IL: check the address, city, postcode, phone"
    )


def test_a_us_address_needs_its_state_and_takes_its_code() -> None:
    base = {
        "full_name": "Avery",
        "line1": "350 Fifth Avenue",
        "city": "New York",
        "postal_code": "10118",
        "country": "us",
    }
    with pytest.raises(InvalidInput) as refused:
        check_address(base)
    assert [(e.field, e.code) for e in refused.value.errors] == [("region", "required")]
    checked = check_address({**base, "region": "new york", "phone": "(212) 736-3100"})
    assert checked == {
        "full_name": "Avery",
        "line1": "350 Fifth Avenue",
        "line2": "",
        "city": "New York",
        "region": "NY",
        "postal_code": "10118",
        "country": "US",
        "phone": "+12127363100",
    }


def test_postcodes_and_phones_take_the_posts_form() -> None:
    checked = check_address(
        {
            "full_name": "Sam",
            "line1": "1 Old St",
            "city": "London",
            "postal_code": "ec1y 8sy",
            "country": "GB",
            "phone": "020 7946 0018",
        }
    )
    assert (checked["postal_code"], checked["phone"]) == ("EC1Y 8SY", "+442079460018")
    il = check_address(
        {
            "full_name": "Noa",
            "line1": "Rothschild 22",
            "city": "Tel Aviv",
            "postal_code": "6688218",
            "country": "IL",
            "phone": "+972 3-510-0000",
        }
    )
    assert il["phone"] == "+97235100000"


def test_an_unknown_country_is_a_field_error() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_address({"full_name": "X", "line1": "1", "city": "C", "country": "XX"})
    assert [(e.field, e.code) for e in refused.value.errors] == [("country", "invalid_country")]
