"""Identity use cases: register, log in (throttled), API tokens, web sessions, addresses."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from tradewind.db.tables.identity import (
    accounts,
    addresses,
    api_tokens,
    login_failures,
    web_sessions,
)
from tradewind.db.uow import UnitOfWork

# hash_password is re-exported for bulk fixtures (benchmarks) that share one hash.
from tradewind.identity._passwords import hash_password as hash_password
from tradewind.identity._passwords import verify_password
from tradewind.identity.domain import (
    Principal,
    Role,
    check_password_policy,
    ensure_visible,
    normalize_email,
)
from tradewind.kernel.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    LimitExceeded,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from tradewind.kernel.ids import new_id
from tradewind.money.currency import currency_for_country, validate_country

TOKEN_PREFIX = "tw_"
DEMO_SELLER_PASSWORD = "tradewind-demo"
MAX_ADDRESSES_PER_ACCOUNT = 20


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    password: str
    display_name: str
    role: Role
    country: str
    currency: str | None = None
    locale: str = "en"


def digest_secret(secret: str) -> str:
    """How tokens and session secrets are stored: only their SHA-256, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def register_account(uow: UnitOfWork, new: NewAccount) -> str:
    email = normalize_email(new.email)
    check_password_policy(new.password)
    country = validate_country(new.country)
    currency = new.currency or currency_for_country(country)
    name = new.display_name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput(
            "display name must be 1 to 100 characters",
            errors=[FieldError("display_name", "length out of range")],
        )
    account_id = new_id("acct")
    try:
        uow.conn.execute(
            insert(accounts).values(
                id=account_id,
                email=email,
                display_name=name,
                role=new.role.value,
                password_hash=hash_password(new.password),
                country=country,
                currency=currency,
                locale=new.locale,
                created_at=uow.clock.now(),
            )
        )
    except IntegrityError as exc:
        raise Conflict("an account with this email already exists", code="email_taken") from exc
    return account_id


def account_id_for_email(uow: UnitOfWork, email: str) -> str | None:
    found: str | None = uow.conn.scalar(
        select(accounts.c.id).where(accounts.c.email == email.strip().lower())
    )
    return found


def _principal(row: Any, csrf_token: str | None = None) -> Principal:
    return Principal(
        account_id=row.id,
        role=Role(row.role),
        email=row.email,
        display_name=row.display_name,
        country=row.country,
        currency=row.currency,
        locale=row.locale,
        csrf_token=csrf_token,
    )


def authenticate(
    uow: UnitOfWork, email: str, password: str, *, max_failures: int, window_s: int
) -> Principal:
    """Check a password; after ``max_failures`` misses in ``window_s`` the email is throttled."""
    email = email.strip().lower()
    now = uow.clock.now()
    since = now - timedelta(seconds=window_s)
    failures = (
        uow.conn.scalar(
            select(func.count())
            .select_from(login_failures)
            .where(login_failures.c.email == email, login_failures.c.failed_at > since)
        )
        or 0
    )
    if failures >= max_failures:
        raise TooManyRequests(
            "too many failed logins; try again later",
            retry_after_s=window_s,
            code="login_throttled",
        )
    row = uow.conn.execute(select(accounts).where(accounts.c.email == email)).first()
    if not verify_password(row.password_hash if row else None, password) or row is None:
        uow.conn.execute(insert(login_failures).values(email=email, failed_at=now))
        uow.commit()  # the failure must be remembered even though we raise
        raise Unauthenticated("email or password is wrong", code="bad_credentials")
    return _principal(row)


def principal_for_account(uow: UnitOfWork, account_id: str) -> Principal:
    row = uow.conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
    if row is None:
        raise NotFound("account not found")
    return _principal(row)


def create_api_token(uow: UnitOfWork, account_id: str, name: str = "api") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.conn.execute(
        insert(api_tokens).values(
            token_hash=digest_secret(token),
            account_id=account_id,
            name=name[:100],
            created_at=uow.clock.now(),
            expires_at=None,
        )
    )
    return token


def principal_from_token(uow: UnitOfWork, token: str) -> Principal:
    row = uow.conn.execute(
        select(accounts, api_tokens.c.expires_at)
        .join(api_tokens, api_tokens.c.account_id == accounts.c.id)
        .where(api_tokens.c.token_hash == digest_secret(token))
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= uow.clock.now()):
        raise Unauthenticated("API token is not valid", code="bad_token")
    return _principal(row)


def create_session(uow: UnitOfWork, account_id: str, ttl_s: int) -> str:
    secret = secrets.token_urlsafe(32)
    now = uow.clock.now()
    uow.conn.execute(
        insert(web_sessions).values(
            session_hash=digest_secret(secret),
            account_id=account_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )
    return secret


def principal_from_session(uow: UnitOfWork, secret: str) -> Principal | None:
    row = uow.conn.execute(
        select(accounts, web_sessions.c.csrf_token, web_sessions.c.expires_at)
        .join(web_sessions, web_sessions.c.account_id == accounts.c.id)
        .where(web_sessions.c.session_hash == digest_secret(secret))
    ).first()
    if row is None or row.expires_at <= uow.clock.now():
        return None
    return _principal(row, csrf_token=row.csrf_token)


def end_session(uow: UnitOfWork, secret: str) -> None:
    uow.conn.execute(
        delete(web_sessions).where(web_sessions.c.session_hash == digest_secret(secret))
    )


@dataclass(frozen=True, slots=True)
class AddressInput:
    full_name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    phone: str = ""


def add_address(uow: UnitOfWork, principal: Principal, data: AddressInput) -> dict[str, Any]:
    country = validate_country(data.country)
    count = (
        uow.conn.scalar(
            select(func.count())
            .select_from(addresses)
            .where(addresses.c.account_id == principal.account_id)
        )
        or 0
    )
    if count >= MAX_ADDRESSES_PER_ACCOUNT:
        raise LimitExceeded(f"at most {MAX_ADDRESSES_PER_ACCOUNT} addresses per account")
    values = {
        "id": new_id("addr"),
        "account_id": principal.account_id,
        "full_name": data.full_name.strip(),
        "line1": data.line1.strip(),
        "line2": data.line2.strip(),
        "city": data.city.strip(),
        "postal_code": data.postal_code.strip(),
        "country": country,
        "phone": data.phone.strip(),
        "created_at": uow.clock.now(),
    }
    uow.conn.execute(insert(addresses).values(**values))
    return values


def get_address(uow: UnitOfWork, principal: Principal, address_id: str) -> dict[str, Any]:
    row = uow.conn.execute(select(addresses).where(addresses.c.id == address_id)).first()
    ensure_visible(principal, [row.account_id] if row else [], "address")
    assert row is not None
    return dict(row._mapping)


def list_addresses(uow: UnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    rows = uow.conn.execute(
        select(addresses)
        .where(addresses.c.account_id == principal.account_id)
        .order_by(addresses.c.id)
    )
    return [dict(r._mapping) for r in rows]
