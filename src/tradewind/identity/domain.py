"""Pure identity rules: roles, principals, and the one authorization helper."""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from zxcvbn import zxcvbn

from tradewind.kernel.errors import FieldError, Forbidden, InvalidInput, NotFound
from tradewind.kernel.problems import ProblemCode
from tradewind.money.currency import validate_currency

EMAIL_MAX_LEN = 254
PASSWORD_MIN_LEN = 10
PASSWORD_MAX_LEN = 256
DISPLAY_NAME_MAX_LEN = 100
SITE_NAME = "tradewind"
DEMO_PASSWORD = "tradewind-demo"
# zxcvbn refuses longer input (its matching is quadratic); the first 72 characters decide.
_ZXCVBN_MAX_LEN = 72
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_LOCALE_RE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
# ISO 4217 fund codes: units of account, not money a buyer pays in (X-codes such as XXX, XTS
# and the metals have no minor unit and are already refused by ``validate_currency``).
FUND_CODES = frozenset({"BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW"})


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    OPERATOR = "operator"


class StaffRole(StrEnum):
    """What kind of operator: each may do only its part of the console (an operator account
    stored without one is an admin, as every operator was before staff roles)."""

    ADMIN = "admin"
    SUPPORT = "support"
    FINANCE = "finance"
    CATALOG = "catalog"


class Permission(StrEnum):
    """One operator action (or a read that only some staff need)."""

    CONSOLE = "console"  # read the console: overview, queues, orders, sellers, audit log
    SELLERS = "sellers"  # decide seller applications, suspend and reinstate shops
    MODERATION = "moderation"  # approve or refuse products waiting for moderation
    DISPUTES = "disputes"  # rule on escalated disputes
    CHARGEBACKS = "chargebacks"  # answer chargebacks with evidence
    FX = "fx"  # add FX rates
    CUSTOMS = "customs"  # amend and withdraw customs rules
    PAYOUTS = "payouts"  # run payout batches, hold, release and retry payouts
    LEDGER = "ledger"  # read and export the ledger; resolve settlement mismatches
    RISK = "risk"  # decide risk cases, publish rules
    CLOCK = "clock"  # move the demo clock
    PROMOTIONS = "promotions"  # create and end platform coupons (the platform's spend)


_SUPPORT: Final = frozenset({Permission.CONSOLE, Permission.DISPUTES, Permission.CHARGEBACKS})
_FINANCE: Final = frozenset(
    {
        Permission.CONSOLE,
        Permission.FX,
        Permission.CUSTOMS,
        Permission.PAYOUTS,
        Permission.LEDGER,
        Permission.RISK,
        Permission.PROMOTIONS,
    }
)
_CATALOG: Final = frozenset({Permission.CONSOLE, Permission.SELLERS, Permission.MODERATION})
PERMISSIONS: Final[Mapping[StaffRole, frozenset[Permission]]] = {
    StaffRole.ADMIN: frozenset(Permission),
    StaffRole.SUPPORT: _SUPPORT,
    StaffRole.FINANCE: _FINANCE,
    StaffRole.CATALOG: _CATALOG,
}


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
    time_zone: str | None = None  # IANA zone chosen by the account; None: its country's
    staff_role: StaffRole | None = None  # operators only; None on an operator: admin

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    @property
    def staff(self) -> StaffRole | None:
        """The operator's staff role (admin when none is stored); None for everyone else."""
        if self.role is not Role.OPERATOR:
            return None
        return self.staff_role or StaffRole.ADMIN

    def may(self, permission: Permission) -> bool:
        staff = self.staff
        return staff is not None and permission in PERMISSIONS[staff]


def require_role(principal: Principal, *roles: Role) -> None:
    """Refuse a principal whose role may not use this action at all (403)."""
    if principal.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Forbidden(
            f"this action needs one of these roles: {allowed}", code=ProblemCode.ROLE_REQUIRED
        )


def require_permission(principal: Principal, permission: Permission) -> None:
    """The one staff check, for the API and the pages alike: an operator whose staff role
    does not include ``permission`` is refused with 403 (and anybody who is no operator, with
    the ``role_required`` of :func:`require_role`)."""
    require_role(principal, Role.OPERATOR)
    if not principal.may(permission):
        raise Forbidden(
            f"this action needs the {permission.value!r} permission, which your staff role "
            "does not have",
            code=ProblemCode.PERMISSION_REQUIRED,
        )


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


def check_password_strength(
    password: str, *, email: str, display_name: str = "", min_score: int = 3
) -> None:
    """Refuse the guessable: the site's name, the demo password, the email or its local part
    (ignoring case, digits and punctuation), and whatever zxcvbn scores below ``min_score``."""
    check_password_policy(password)
    local_part = email.partition("@")[0]
    personal = [email, local_part, SITE_NAME, DEMO_PASSWORD]
    core = _letters(password)
    if any(core == _letters(word) for word in personal if _letters(word)):
        raise InvalidInput(
            "password must not be your email, its local part, the site's name or the demo password",
            errors=[FieldError("password", "too easy to guess", "password_guessable")],
        )
    result = zxcvbn(password[:_ZXCVBN_MAX_LEN], user_inputs=[*personal, display_name])
    if int(result["score"]) < min_score:
        feedback = result["feedback"]
        hints = [feedback["warning"], *feedback["suggestions"]]
        advice = " ".join(h for h in hints if h) or "Add another word or two."
        raise InvalidInput(
            f"password is too easy to guess. {advice}",
            errors=[FieldError("password", "too easy to guess", "password_weak")],
        )


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.casefold())


def validate_display_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= DISPLAY_NAME_MAX_LEN:
        raise InvalidInput(
            f"display name must be 1 to {DISPLAY_NAME_MAX_LEN} characters",
            errors=[FieldError("display_name", "length out of range")],
        )
    return name


def validate_locale(raw: str) -> str:
    if not _LOCALE_RE.match(raw):
        raise InvalidInput(
            f"unknown locale: {raw!r}",
            errors=[
                FieldError("locale", "use a language, or language_TERRITORY (he_IL)", "locale")
            ],
        )
    return raw


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(raw: str) -> str:
    """An IANA zone name (``Asia/Jerusalem``), or "" for none (the country's zone)."""
    name = raw.strip()
    if name and name not in _zones():
        raise InvalidInput(
            f"unknown time zone: {raw[:64]!r}",
            errors=[FieldError("time_zone", "use an IANA zone such as Asia/Shanghai", "time_zone")],
        )
    return name


def validate_tradable_currency(code: str) -> str:
    """A real ISO 4217 currency that money can be paid in: no fund codes, no XXX/XTS/metals."""
    validate_currency(code)
    if code in FUND_CODES:
        raise InvalidInput(
            f"{code} is an ISO 4217 fund code, not a currency to pay in",
            errors=[FieldError("currency", "not a currency to pay in", "currency")],
        )
    return code


def check_supported_currency(code: str, supported: Collection[str]) -> str:
    """The account's currency: one the marketplace has prices (FX quotes) for."""
    if code not in supported or code in FUND_CODES:
        allowed = ", ".join(sorted(supported))
        raise InvalidInput(
            f"currency {code!r} is not supported here; choose one of: {allowed}",
            code=ProblemCode.CURRENCY_NOT_SUPPORTED,
            errors=[FieldError("currency", f"choose one of: {allowed}", "currency_not_supported")],
        )
    return code


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Login throttling. Per account: ``free_failures`` consecutive failures, then each further
    attempt waits ``2**k`` seconds, capped at ``max_delay_s`` so that the owner always gets in
    after a short wait. Per client address: at most ``client_max_failures`` failures (over all
    accounts) per ``window_s``. An account's failures are forgotten ``window_s`` after its last
    attempt."""

    free_failures: int = 5
    max_delay_s: int = 30
    client_max_failures: int = 20
    window_s: int = 900


def account_delay_s(failures: int, policy: ThrottlePolicy) -> int:
    """Seconds the next attempt on an account waits after ``failures`` consecutive failures."""
    if failures < policy.free_failures:
        return 0
    doublings = min(failures - policy.free_failures, 16)  # 2**16 s is past any sane cap
    return int(min(2**doublings, policy.max_delay_s))
