"""Pure identity rules: roles, principals, and the one authorization helper."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from tradewind.kernel.errors import FieldError, Forbidden, InvalidInput, NotFound

EMAIL_MAX_LEN = 254
PASSWORD_MIN_LEN = 10
PASSWORD_MAX_LEN = 256
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking. Every use case that reads or changes an owned object receives one."""

    account_id: str
    role: Role
    email: str
    display_name: str
    country: str
    currency: str
    locale: str
    csrf_token: str | None = None  # set only for cookie sessions

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR


def require_role(principal: Principal, *roles: Role) -> None:
    """Refuse a principal whose role may not use this action at all (403)."""
    if principal.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(f"this action needs one of these roles: {allowed}", code="role_required")


def ensure_visible(principal: Principal, owner_ids: Iterable[str | None], what: str) -> None:
    """Let operators and the owners of an object see it; everybody else gets 404.

    Callers pass no owners (or only None) when the object does not exist: a 404 for everyone,
    operators included. Why 404 and not 403: answering 403 would confirm that the object exists,
    which leaks other buyers' and sellers' order ids. Every endpoint that serves an owned object
    calls this.
    """
    owners = {o for o in owner_ids if o is not None}
    if owners and (principal.is_operator or principal.account_id in owners):
        return
    raise NotFound(f"{what} not found")


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX_LEN or not _EMAIL_RE.match(email):
        raise InvalidInput(
            "email address is not valid", errors=[FieldError("email", "not a valid email address")]
        )
    return email


def check_password_policy(password: str) -> None:
    if not PASSWORD_MIN_LEN <= len(password) <= PASSWORD_MAX_LEN:
        raise InvalidInput(
            f"password must be {PASSWORD_MIN_LEN} to {PASSWORD_MAX_LEN} characters",
            errors=[FieldError("password", "length out of range", "password_length")],
        )
