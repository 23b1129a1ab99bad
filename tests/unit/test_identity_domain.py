import pytest
from pydantic import ValidationError

from tradewind.config import Settings
from tradewind.identity.domain import (
    Principal,
    Role,
    ThrottlePolicy,
    account_delay_s,
    check_password_policy,
    check_password_strength,
    check_supported_currency,
    ensure_visible,
    normalize_email,
    require_role,
    validate_locale,
    validate_tradable_currency,
)
from tradewind.kernel.errors import Forbidden, InvalidInput, NotFound


def principal(account_id: str, role: Role) -> Principal:
    return Principal(
        account_id=account_id,
        role=role,
        email=f"{account_id}@x.test",
        display_name=account_id,
        country="IL",
        currency="ILS",
        locale="en",
    )


def test_owner_and_operator_see_an_object_others_get_not_found() -> None:
    ensure_visible(principal("a", Role.BUYER), ["a", "s"], "order")
    ensure_visible(principal("s", Role.SELLER), ["a", "s"], "order")
    ensure_visible(principal("op", Role.OPERATOR), ["a", "s"], "order")
    with pytest.raises(NotFound, match="order not found"):
        ensure_visible(principal("b", Role.BUYER), ["a", "s"], "order")
    with pytest.raises(NotFound):
        ensure_visible(principal("b", Role.BUYER), [], "order")


def test_require_role() -> None:
    require_role(principal("a", Role.SELLER), Role.SELLER, Role.OPERATOR)
    with pytest.raises(Forbidden) as info:
        require_role(principal("a", Role.BUYER), Role.SELLER, Role.OPERATOR)
    assert info.value.code == "role_required"
    assert info.value.detail == "this action needs one of these roles: operator, seller"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" Ann@Example.COM ", "ann@example.com"), ("a.b+c@shop.co.il", "a.b+c@shop.co.il")],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "no-at-sign", "a@b", "two@@x.com", "sp ace@x.com"])
def test_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as info:
        normalize_email(raw)
    assert info.value.errors[0].field == "email"


def test_password_policy() -> None:
    check_password_policy("x" * 10)
    with pytest.raises(InvalidInput):
        check_password_policy("x" * 9)
    with pytest.raises(InvalidInput):
        check_password_policy("x" * 257)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("password123", "password_weak"),
        ("qwertyuiop", "password_weak"),
        ("Tradewind2026!", "password_guessable"),
        ("tradewind-demo", "password_guessable"),
        ("ann@example.com", "password_guessable"),
        ("ANN!!20242024", "password_guessable"),
        ("short", "password_length"),
    ],
)
def test_guessable_passwords_are_refused(password: str, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_password_strength(password, email="ann@example.com", display_name="Ann")
    assert info.value.errors[0].field == "password"
    assert info.value.errors[0].code == code


def test_a_strong_password_passes() -> None:
    check_password_strength("correct-horse-battery", email="ann@example.com")
    check_password_strength("x" * 5 + "violet-otter-lantern-92" * 10, email="ann@example.com")


@pytest.mark.parametrize("code", ["usd", "ZZZ", "XXX", "XTS", "CLF", "USN", "BRL"])
def test_unsupported_currencies_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_supported_currency(code, {"USD", "EUR", "ILS"})
    assert info.value.code == "currency_not_supported"
    assert info.value.errors[0].field == "currency"


@pytest.mark.parametrize("code", ["XXX", "XTS", "XAU", "CLF", "USN", "usd"])
def test_fund_and_non_currency_codes_are_not_tradable(code: str) -> None:
    with pytest.raises(InvalidInput):
        validate_tradable_currency(code)


def test_settings_refuse_a_fund_code_as_an_account_currency() -> None:
    with pytest.raises(ValidationError):
        Settings(account_currencies=["USD", "CLF"])


def test_backoff_starts_after_the_free_failures_doubles_and_is_capped() -> None:
    policy = ThrottlePolicy(free_failures=3, max_delay_s=30)
    assert [account_delay_s(n, policy) for n in range(10)] == [0, 0, 0, 1, 2, 4, 8, 16, 30, 30]
    assert account_delay_s(10_000, policy) == 30


@pytest.mark.parametrize("locale", ["en", "he_IL", "ast"])
def test_locales(locale: str) -> None:
    assert validate_locale(locale) == locale


@pytest.mark.parametrize("locale", ["", "EN", "en-US", "klingon!", "en_us"])
def test_bad_locales_are_refused(locale: str) -> None:
    with pytest.raises(InvalidInput):
        validate_locale(locale)
