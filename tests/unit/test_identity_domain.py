import pytest

from tradewind.identity.domain import (
    Principal,
    Role,
    check_password_policy,
    ensure_visible,
    normalize_email,
    require_role,
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
