"""Who is claiming: every API token in a batch resolved with one read, by the claim writer.

Why not ``identity.principal_from_token`` per request, as every other route does: that is a
blocking database read on the event loop for each claim, and next to the writer thread each
such read gives up the GIL and waits to get it back, which under a flash-sale load cost more
than the claim itself. The rule stays identity's: the token's SHA-256 must match a stored one
that has not expired nor been revoked, and the account must be a buyer (``require_role``). No
cache: every batch reads the tokens afresh, so a revocation applies from the next batch.
"""

from __future__ import annotations

from sqlalchemy import select

from tradewind.db.tables.identity import accounts, api_tokens
from tradewind.db.uow import UnitOfWork
from tradewind.flash.domain import Buyer
from tradewind.identity.domain import Principal, Role, require_role
from tradewind.identity.service import digest_secret
from tradewind.kernel.errors import DomainError, Unauthenticated


def buyers_for_tokens(uow: UnitOfWork, tokens: set[str]) -> dict[str, Buyer | DomainError]:
    """Each token's buyer, or the error its request gets (401 unknown/expired, 403 not a buyer)."""
    if not tokens:
        return {}
    token_by_hash = {digest_secret(t): t for t in tokens}
    now = uow.clock.now()
    found: dict[str, Buyer | DomainError] = {}
    for row in uow.conn.execute(
        select(accounts, api_tokens.c.token_hash, api_tokens.c.expires_at)
        .join(api_tokens, api_tokens.c.account_id == accounts.c.id)
        .where(api_tokens.c.token_hash.in_(token_by_hash), api_tokens.c.revoked_at.is_(None))
    ):
        if row.expires_at is not None and row.expires_at <= now:
            continue
        principal = Principal(
            row.id,
            Role(row.role),
            row.email,
            row.display_name,
            row.country,
            row.currency,
            row.locale,
        )
        try:
            require_role(principal, Role.BUYER)
            found[token_by_hash[row.token_hash]] = Buyer(row.id, row.currency)
        except DomainError as exc:
            found[token_by_hash[row.token_hash]] = exc
    for token in tokens - found.keys():
        found[token] = Unauthenticated("API token is not valid", code="bad_token")
    return found
