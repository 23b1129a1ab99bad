"""Identity use cases: register, log in (throttled), API tokens, web sessions, profile, addresses.

Password hashing (argon2, ~50 ms of CPU) never runs inside a write transaction: on SQLite a
write transaction holds the database's only write lock, so a hash inside one stalls every other
write in every process. Logging in is therefore a short write that charges the throttles and
reads the account, the hash with no transaction open, then a short write on success; those use
cases take the unit-of-work factory rather than one open unit of work.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, case, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from tradewind.db.tables.identity import (
    accounts,
    addresses,
    api_tokens,
    login_throttles,
    web_sessions,
)
from tradewind.db.types import UtcDateTime
from tradewind.db.uow import UnitOfWork, UnitOfWorkFactory, use_case

# hash_password is re-exported for bulk fixtures (benchmarks) that share one hash.
from tradewind.identity._passwords import hash_password as hash_password
from tradewind.identity._passwords import verify_password
from tradewind.identity.addresses import check_address
from tradewind.identity.domain import (
    DEMO_PASSWORD,
    Principal,
    Role,
    StaffRole,
    ThrottlePolicy,
    account_delay_s,
    check_password_policy,
    check_password_strength,
    check_supported_currency,
    ensure_visible,
    normalize_email,
    validate_display_name,
    validate_locale,
    validate_time_zone,
    validate_tradable_currency,
)
from tradewind.kernel.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LimitExceeded,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from tradewind.kernel.ids import new_id
from tradewind.kernel.problems import ProblemCode
from tradewind.money.currency import currency_for_country, validate_country

TOKEN_PREFIX = "tw_"
DEMO_SELLER_PASSWORD = DEMO_PASSWORD
MAX_ADDRESSES_PER_ACCOUNT = 20
MAX_TOKENS_LISTED = 100
DEFAULT_TOKEN_TTL_DAYS = 30


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    password: str
    display_name: str
    role: Role
    country: str
    currency: str | None = None
    locale: str = "en"
    staff_role: StaffRole | None = None  # operators only


@dataclass(frozen=True, slots=True)
class AccountRules:
    """What a self-service sign-up must meet (the seed and the CLI are trusted and skip it)."""

    currencies: Collection[str]
    min_password_score: int = 3


@dataclass(frozen=True, slots=True)
class PreparedAccount:
    """A validated account with its password already hashed: ready for a short insert."""

    email: str
    display_name: str
    role: Role
    password_hash: str
    country: str
    currency: str
    locale: str
    staff_role: StaffRole | None = None


def digest_secret(secret: str) -> str:
    """How tokens and session secrets are stored: only their SHA-256, never the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def prepare_account(new: NewAccount, rules: AccountRules | None = None) -> PreparedAccount:
    """Validate and hash, with no transaction open. ``rules`` None: a trusted caller (seed,
    CLI, fixtures) that may use the demo password and any tradable currency."""
    email = normalize_email(new.email)
    name = validate_display_name(new.display_name)
    if rules is None:
        check_password_policy(new.password)
    else:
        check_password_strength(
            new.password, email=email, display_name=name, min_score=rules.min_password_score
        )
    country = validate_country(new.country)
    return PreparedAccount(
        email=email,
        display_name=name,
        role=new.role,
        password_hash=hash_password(new.password),
        country=country,
        currency=_account_currency(new.currency, country, rules),
        locale=validate_locale(new.locale),
        staff_role=_staff_role(new.role, new.staff_role),
    )


def _staff_role(role: Role, staff_role: StaffRole | None) -> StaffRole | None:
    if staff_role is not None and role is not Role.OPERATOR:
        raise InvalidInput("only operators have a staff role")
    return staff_role


def _account_currency(chosen: str | None, country: str, rules: AccountRules | None) -> str:
    if rules is None:
        return validate_tradable_currency(chosen or currency_for_country(country))
    if chosen is not None:
        return check_supported_currency(chosen, rules.currencies)
    default = currency_for_country(country)
    # A country whose currency has no FX quotes here: the first supported one (USD by default),
    # which the owner can change later (PATCH /api/v1/me).
    return default if default in rules.currencies else next(iter(rules.currencies))


def insert_account(uow: UnitOfWork, new: PreparedAccount) -> str:
    account_id = new_id("acct")
    try:
        uow.conn.execute(
            insert(accounts).values(
                id=account_id,
                email=new.email,
                display_name=new.display_name,
                role=new.role.value,
                password_hash=new.password_hash,
                country=new.country,
                currency=new.currency,
                locale=new.locale,
                staff_role=new.staff_role.value if new.staff_role else None,
                created_at=uow.clock.now(),
            )
        )
    except IntegrityError as exc:
        raise Conflict(
            "an account with this email already exists", code=ProblemCode.EMAIL_TAKEN
        ) from exc
    return account_id


def register_account(uow: UnitOfWork, new: NewAccount) -> str:
    """Trusted registration (seed, CLI, fixtures): no strength rules, hashes in the caller's
    transaction. Self-service sign-up: ``prepare_account`` with rules, then ``insert_account``."""
    return insert_account(uow, prepare_account(new))


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
        time_zone=row.time_zone,
        staff_role=StaffRole(row.staff_role) if row.staff_role else None,
    )


def authenticate(
    uows: UnitOfWorkFactory, email: str, password: str, *, client: str, policy: ThrottlePolicy
) -> Principal:
    """Check a password, throttled per client address and per account (see ThrottlePolicy).

    The attempt is charged to both throttles before the password is checked (a conditional
    upsert, so concurrent attempts cannot all slip under a limit); a success refunds it.
    """
    email = email.strip().lower()
    with uows() as uow:
        _charge_attempt(uow, policy, email, client)
        row = uow.conn.execute(select(accounts).where(accounts.c.email == email)).first()
        uow.commit()
    if not verify_password(row.password_hash if row else None, password) or row is None:
        raise Unauthenticated("email or password is wrong", code=ProblemCode.BAD_CREDENTIALS)
    with uows() as uow:
        _forgive_attempt(uow, email, client)
        uow.commit()
    return _principal(row)


def _client_key(client: str) -> str:
    return f"client:{client}"[:300]


def _account_key(email: str) -> str:
    return f"account:{email}"[:300]


def _upsert(uow: UnitOfWork) -> Any:
    return (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert(login_throttles)


def _charge_attempt(uow: UnitOfWork, policy: ThrottlePolicy, email: str, client: str) -> None:
    """Count one attempt against the client address, then the account (always in this order,
    so PostgreSQL row locks are taken in one order); 429 if either refuses it."""
    now = uow.clock.now()
    t = login_throttles.c
    since = now - timedelta(seconds=policy.window_s)
    # A client's window is fixed from its first failure; an account's streak ends after a
    # window without attempts (an attacker who keeps going never gets free tries back).
    window_over, streak_over = t.window_started_at <= since, t.updated_at <= since
    fresh = {"failures": 1, "window_started_at": now, "blocked_until": None, "updated_at": now}
    client_key, account_key = _client_key(client), _account_key(email)
    charged = uow.conn.execute(
        _upsert(uow)
        .values(key=client_key, **fresh)
        .on_conflict_do_update(
            index_elements=[t.key],
            set_=_counting(window_over, now),
            where=window_over | (t.failures < policy.client_max_failures),
        )
        .returning(t.failures)
    ).first()
    if charged is None:
        raise _throttled(uow, client_key, now, policy, "from this address")
    counted = uow.conn.execute(
        _upsert(uow)
        .values(key=account_key, **fresh)
        .on_conflict_do_update(
            index_elements=[t.key],
            set_=_counting(streak_over, now),
            where=t.blocked_until.is_(None) | (t.blocked_until <= now),
        )
        .returning(t.failures)
    ).first()
    if counted is None:
        raise _throttled(uow, account_key, now, policy, "for this account")
    if delay_s := account_delay_s(int(counted.failures), policy):
        uow.conn.execute(
            update(login_throttles)
            .where(t.key == account_key)
            .values(blocked_until=now + timedelta(seconds=delay_s))
        )


def _counting(restart: Any, now: datetime) -> dict[str, Any]:
    """The SET of a charge: one more failure, or the first of a new window if ``restart``."""
    t = login_throttles.c
    at_now = literal(now, UtcDateTime())
    return {
        "failures": case((restart, 1), else_=t.failures + 1),
        "window_started_at": case((restart, at_now), else_=t.window_started_at),
        "updated_at": at_now,
    }


def _throttled(
    uow: UnitOfWork, key: str, now: datetime, policy: ThrottlePolicy, scope: str
) -> TooManyRequests:
    row = uow.conn.execute(select(login_throttles).where(login_throttles.c.key == key)).one()
    until = row.blocked_until
    if until is None or until <= now:  # the client window, not an account block
        until = row.window_started_at + timedelta(seconds=policy.window_s)
    retry_after_s = max(1, math.ceil((until - now).total_seconds()))
    return TooManyRequests(
        f"too many failed logins {scope}; try again in {retry_after_s} s",
        retry_after_s=retry_after_s,
        code=ProblemCode.LOGIN_THROTTLED,
    )


def _forgive_attempt(uow: UnitOfWork, email: str, client: str) -> None:
    """A success: the account's consecutive failures end, the client's charge is refunded."""
    t = login_throttles.c
    uow.conn.execute(
        update(login_throttles)
        .where(t.key == _client_key(client), t.failures > 0)
        .values(failures=t.failures - 1)
    )
    uow.conn.execute(delete(login_throttles).where(t.key == _account_key(email)))


def change_password(
    uows: UnitOfWorkFactory,
    principal: Principal,
    current: str,
    new: str,
    *,
    client: str,
    rules: AccountRules,
    policy: ThrottlePolicy,
    keep: str | None = None,
) -> None:
    """Verify the current password and hash the new one with no transaction open; the write
    only succeeds if the hash is still the one verified (no lost update). Every other API
    token and session of the account ends; ``keep`` is the token or session secret in use."""
    check_password_strength(
        new,
        email=principal.email,
        display_name=principal.display_name,
        min_score=rules.min_password_score,
    )
    with uows() as uow:
        _charge_attempt(uow, policy, principal.email, client)
        old_hash = uow.conn.scalar(
            select(accounts.c.password_hash).where(accounts.c.id == principal.account_id)
        )
        uow.commit()
    if old_hash is None or not verify_password(old_hash, current):
        raise Forbidden("the current password is wrong", code=ProblemCode.WRONG_PASSWORD)
    new_hash = hash_password(new)
    with uows() as uow:
        changed = uow.conn.execute(
            update(accounts)
            .where(accounts.c.id == principal.account_id, accounts.c.password_hash == old_hash)
            .values(password_hash=new_hash)
        ).rowcount
        if not changed:
            raise Conflict("the password was changed meanwhile", code=ProblemCode.PASSWORD_CHANGED)
        _forgive_attempt(uow, principal.email, client)
        _end_other_credentials(uow, principal.account_id, digest_secret(keep or ""))
        uow.commit()


def _end_other_credentials(uow: UnitOfWork, account_id: str, kept_hash: str) -> None:
    t = api_tokens.c
    uow.conn.execute(
        update(api_tokens)
        .where(t.account_id == account_id, t.revoked_at.is_(None), t.token_hash != kept_hash)
        .values(revoked_at=uow.clock.now())
    )
    s = web_sessions.c
    uow.conn.execute(
        delete(web_sessions).where(s.account_id == account_id, s.session_hash != kept_hash)
    )


def principal_for_account(uow: UnitOfWork, account_id: str) -> Principal:
    row = uow.conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
    if row is None:
        raise NotFound("account not found")
    return _principal(row)


def display_names(uow: UnitOfWork, account_ids: Collection[str]) -> dict[str, str]:
    """Account id -> display name, in one read (the audit log names who acted)."""
    if not account_ids:
        return {}
    rows = uow.conn.execute(
        select(accounts.c.id, accounts.c.display_name).where(accounts.c.id.in_(set(account_ids)))
    )
    return {r.id: r.display_name for r in rows}


MAX_STAFF_LISTED = 200


def staff_accounts(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The operator accounts with their staff roles (None read as admin), by name."""
    a = accounts.c
    rows = uow.conn.execute(
        select(a.id, a.display_name, a.email, a.staff_role)
        .where(a.role == Role.OPERATOR.value)
        .order_by(a.display_name, a.id)
        .limit(MAX_STAFF_LISTED)
    )
    return [{**r._mapping, "staff_role": r.staff_role or StaffRole.ADMIN.value} for r in rows]


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    display_name: str | None = None
    country: str | None = None
    currency: str | None = None
    locale: str | None = None
    time_zone: str | None = None  # "" clears the choice (back to the country's zone)


@use_case
def update_profile(
    uow: UnitOfWork, principal: Principal, changes: ProfileChanges, rules: AccountRules
) -> Principal:
    """The owner changes their name, country, currency, locale or time zone (sign-up's rules)."""
    values: dict[str, str | None] = {}
    if changes.display_name is not None:
        values["display_name"] = validate_display_name(changes.display_name)
    if changes.country is not None:
        values["country"] = validate_country(changes.country)
    if changes.currency is not None:
        values["currency"] = check_supported_currency(changes.currency, rules.currencies)
    if changes.locale is not None:
        values["locale"] = validate_locale(changes.locale)
    if changes.time_zone is not None:
        values["time_zone"] = validate_time_zone(changes.time_zone) or None
    if values:
        uow.conn.execute(
            update(accounts).where(accounts.c.id == principal.account_id).values(**values)
        )
    return principal_for_account(uow, principal.account_id)


def create_api_token(
    uow: UnitOfWork, account_id: str, name: str = "api", *, ttl_days: int = DEFAULT_TOKEN_TTL_DAYS
) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = uow.clock.now()
    uow.conn.execute(
        insert(api_tokens).values(
            token_hash=digest_secret(token),
            id=new_id("tok"),
            account_id=account_id,
            name=name[:100],
            created_at=now,
            expires_at=now + timedelta(days=ttl_days),
        )
    )
    return token


def _token_usable(now: datetime) -> Any:
    return api_tokens.c.revoked_at.is_(None) & (
        api_tokens.c.expires_at.is_(None) | (api_tokens.c.expires_at > now)
    )


def principal_from_token(uow: UnitOfWork, token: str) -> Principal:
    return token_holder(uow, token)[0]


def token_holder(uow: UnitOfWork, token: str) -> tuple[Principal, datetime | None]:
    """Who holds a usable (not revoked, not expired) token, and when the token expires."""
    row = uow.conn.execute(
        select(accounts, api_tokens.c.expires_at)
        .join(api_tokens, api_tokens.c.account_id == accounts.c.id)
        .where(api_tokens.c.token_hash == digest_secret(token), _token_usable(uow.clock.now()))
    ).first()
    if row is None:
        raise Unauthenticated("API token is not valid", code=ProblemCode.BAD_TOKEN)
    return _principal(row), row.expires_at


def principals_for_tokens(uow: UnitOfWork, tokens: Collection[str]) -> dict[str, Principal]:
    """The holder of each usable token in ``tokens``, in one read (the flash claim writer
    resolves a whole batch so); a token that is unknown, expired or revoked is absent."""
    if not tokens:
        return {}
    token_by_hash = {digest_secret(t): t for t in tokens}
    rows = uow.conn.execute(
        select(accounts, api_tokens.c.token_hash)
        .join(api_tokens, api_tokens.c.account_id == accounts.c.id)
        .where(api_tokens.c.token_hash.in_(token_by_hash), _token_usable(uow.clock.now()))
    )
    return {token_by_hash[row.token_hash]: _principal(row) for row in rows}


def list_tokens(uow: UnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    """The owner's usable tokens, newest first (never the secret, nor its hash)."""
    t = api_tokens.c
    rows = uow.conn.execute(
        select(t.id, t.name, t.created_at, t.expires_at)
        .where(t.account_id == principal.account_id, _token_usable(uow.clock.now()))
        .order_by(t.created_at.desc(), t.id.desc())
        .limit(MAX_TOKENS_LISTED)
    )
    return [dict(r._mapping) for r in rows]


@use_case
def revoke_token(uow: UnitOfWork, principal: Principal, token_id: str) -> None:
    """Revoke one of the owner's tokens; again is fine; another account's token is 404."""
    t = api_tokens.c
    owner = uow.conn.scalar(select(t.account_id).where(t.id == token_id))
    if owner != principal.account_id:  # operators too: a token is only ever its owner's
        raise NotFound("token not found")
    uow.conn.execute(
        update(api_tokens)
        .where(t.id == token_id, t.revoked_at.is_(None))
        .values(revoked_at=uow.clock.now())
    )


def revoke_token_secret(uow: UnitOfWork, token: str) -> bool:
    """Revoke the token presented (logging out of the API); False if it was not usable."""
    t = api_tokens.c
    revoked = uow.conn.execute(
        update(api_tokens)
        .where(t.token_hash == digest_secret(token), t.revoked_at.is_(None))
        .values(revoked_at=uow.clock.now())
    ).rowcount
    return bool(revoked)


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
    region: str = ""


def add_address(uow: UnitOfWork, principal: Principal, data: AddressInput) -> dict[str, Any]:
    """Save a checked address (see :mod:`tradewind.identity.addresses`)."""
    checked = check_address(dataclasses.asdict(data))
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
        **checked,
        "is_default": count == 0,  # the first address is the default until another is chosen
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


def visible_page(
    uow: UnitOfWork,
    table: Table,
    principal: Principal,
    *,
    status: str | None,
    limit: int,
    after: str | None,
) -> list[dict[str, Any]]:
    """One page of an owned table (``id``, ``buyer_id``, ``seller_account_id``, ``status``) in
    id order: a buyer's own rows, a seller's own, every row for an operator."""
    query = select(table).order_by(table.c.id).limit(limit)
    if principal.role is Role.BUYER:
        query = query.where(table.c.buyer_id == principal.account_id)
    elif principal.role is Role.SELLER:
        query = query.where(table.c.seller_account_id == principal.account_id)
    if status:
        query = query.where(table.c.status == status)
    if after:
        query = query.where(table.c.id > after)
    return [dict(r._mapping) for r in uow.conn.execute(query)]
