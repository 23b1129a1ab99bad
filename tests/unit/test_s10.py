"""S10 tracking numbers: shared test vectors, normalization, errors and check-digit properties."""

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind.kernel.errors import InvalidInput
from tradewind.logistics.s10 import S10Number, compute_check_digit, issue_s10, parse_s10

S10_JSON = Path(__file__).resolve().parents[3] / "shared/data/tracking/s10.json"
WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def _vectors() -> dict[str, list[str]]:
    """Read the shared vectors; a missing file fails the run (it must not silently skip)."""
    data: dict[str, Any] = json.loads(S10_JSON.read_text(encoding="utf-8"))
    numbers: dict[str, list[str]] = data["tracking_numbers"][0]["test_numbers"]
    return numbers


VECTORS = _vectors()
BRIEF_VALID = ["RR473124829GB", "EE471108151FR", "EB000717595HK"]


def _error(raw: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_s10(raw)
    return info.value


def test_shared_vectors_are_present_and_non_trivial() -> None:
    assert len(VECTORS["valid"]) >= 4
    assert len(VECTORS["invalid"]) >= 2


@pytest.mark.parametrize("raw", [*VECTORS["valid"], *BRIEF_VALID])
def test_valid_vectors_parse_to_their_canonical_form(raw: str) -> None:
    number = parse_s10(raw)
    assert str(number) == raw
    assert len(str(number)) == 13


@pytest.mark.parametrize("raw", [*VECTORS["invalid"], "EB000717594HK"])
def test_invalid_vectors_are_refused(raw: str) -> None:
    error = _error(raw)
    assert error.code in {"invalid_tracking_number", "bad_check_digit"}
    assert [e.field for e in error.errors] == ["tracking_number"]


def test_parts_are_split_out() -> None:
    assert parse_s10("RR473124829GB") == S10Number("RR", "47312482", 9, "GB")


@pytest.mark.parametrize(
    "raw",
    [
        "  RR473124829GB\n",
        "RR 473 124 829 GB",
        "R R 4 7 3 1 2 4 8 2 9 G B",
        "rr473124829gb",
        "Rr 47312482 9 gB",
        "RR\t473124829\u00a0GB",
    ],
)
def test_whitespace_and_lowercase_are_normalized(raw: str) -> None:
    assert str(parse_s10(raw)) == "RR473124829GB"


def test_wrong_check_digit_has_its_own_code() -> None:
    error = _error("RB123456786US")
    assert error.code == "bad_check_digit"
    assert error.errors[0].code == "bad_check_digit"


def test_unknown_issuing_country_is_a_format_error() -> None:
    error = _error("RB123456785XX")
    assert error.code == "invalid_tracking_number"
    assert error.errors[0].code == "unknown_issuing_country"


@pytest.mark.parametrize("country", ["ZZ", "EU", "UN"])
def test_cldr_pseudo_territories_are_not_issuing_posts(country: str) -> None:
    assert _error(f"RB123456785{country}").code == "invalid_tracking_number"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "RR47312482GB",  # eight digits
        "RR4731248299GB",  # ten digits
        "R1473124829GB",
        "RR473124829G1",
        "RRR73124829GB",
        "RR473124829GBX",
        "RR-473124829-GB",
        "RR\u0664\u0667\u0663124829GB",  # Arabic-Indic digits match \d but are not S10
        "\u0131R473124829GB",  # dotless i upper-cases to "I"
        "RR473124829GB" + " " * 100,
    ],
)
def test_malformed_input_is_refused(raw: str) -> None:
    assert _error(raw).code == "invalid_tracking_number"


def test_construction_validates_too() -> None:
    with pytest.raises(InvalidInput) as info:
        S10Number("RR", "47312482", 8, "GB")
    assert info.value.code == "bad_check_digit"


@pytest.mark.parametrize(
    ("serial8", "check"),
    [("12345678", 5), ("47312482", 9), ("47110815", 1), ("00071759", 5), ("00000000", 5)],
)
def test_compute_check_digit(serial8: str, check: int) -> None:
    assert compute_check_digit(serial8) == check


def test_remainder_one_maps_to_zero() -> None:
    # S = 7 x 8 = 56, 56 mod 11 = 1, C = 10 -> 0
    assert compute_check_digit("00000008") == 0


FULL_WIDTH_DIGITS = "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"


@pytest.mark.parametrize("serial8", ["1234567", "123456789", "1234567a", FULL_WIDTH_DIGITS])
def test_compute_check_digit_refuses_non_serials(serial8: str) -> None:
    with pytest.raises(InvalidInput):
        compute_check_digit(serial8)


def test_issue_pads_the_serial() -> None:
    number = issue_s10("EE", 42, "CN")
    # S = 9 x 4 + 7 x 2 = 50, 50 mod 11 = 6, C = 5
    assert str(number) == "EE000000425CN"
    assert number.serial == "00000042"


@pytest.mark.parametrize(
    ("service", "serial", "country"),
    [("EE", -1, "CN"), ("EE", 100_000_000, "CN"), ("E", 1, "CN"), ("ee", 1, "CN"), ("EE", 1, "XX")],
)
def test_issue_refuses_bad_parts(service: str, serial: int, country: str) -> None:
    with pytest.raises(InvalidInput):
        issue_s10(service, serial, country)


def test_known_blind_spot_remainders_zero_and_six_share_check_digit_five() -> None:
    # 00000000 has S = 0 (C = 11 -> 5); 90000000 has S = 72, 72 mod 11 = 6 (C = 5). A one-digit
    # typo between them is undetectable by design of S10: both are valid numbers.
    assert str(parse_s10("RR000000005GB")) == "RR000000005GB"
    assert str(parse_s10("RR900000005GB")) == "RR900000005GB"


services = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
serials = st.integers(min_value=0, max_value=99_999_999)
countries = st.sampled_from(["CN", "IL", "GB", "US", "DE", "JP", "KW", "HK", "FR"])


@given(services, serials, countries)
def test_issued_numbers_always_parse_back(service: str, serial: int, country: str) -> None:
    issued = issue_s10(service, serial, country)
    assert parse_s10(str(issued)) == issued
    assert parse_s10(str(issued).lower()) == issued


@given(services, serials, countries, st.integers(min_value=1, max_value=9))
def test_any_change_of_the_check_digit_is_caught(
    service: str, serial: int, country: str, delta: int
) -> None:
    text = str(issue_s10(service, serial, country))
    wrong = (int(text[10]) + delta) % 10
    with pytest.raises(InvalidInput) as info:
        parse_s10(f"{text[:10]}{wrong}{text[11:]}")
    assert info.value.code == "bad_check_digit"


def _remainder(serial8: str) -> int:
    return sum(w * int(d) for w, d in zip(WEIGHTS, serial8, strict=True)) % 11


@given(serials, st.integers(min_value=0, max_value=7), st.integers(min_value=1, max_value=9))
def test_single_serial_digit_changes_are_caught_except_the_0_6_blind_spot(
    serial: int, position: int, delta: int
) -> None:
    text = str(issue_s10("RR", serial, "GB"))
    digits = list(text[2:10])
    digits[position] = str((int(digits[position]) + delta) % 10)
    changed = "".join(digits)
    mutated = f"RR{changed}{text[10]}GB"
    blind_spot = {_remainder(text[2:10]), _remainder(changed)} == {0, 6}
    if blind_spot:
        assert str(parse_s10(mutated)) == mutated
    else:
        with pytest.raises(InvalidInput):
            parse_s10(mutated)
