"""Who is claiming: every API token in a batch resolved with one read, by the claim writer.

Why not ``identity.principal_from_token`` per request, as every other route does: that is a
blocking database read on the event loop for each claim, and next to the writer thread each
such read gives up the GIL and waits to get it back, which under a flash-sale load cost more
than the claim itself. The rule is identity's (``principals_for_tokens``, one read per batch):
the token's SHA-256 must match a stored one that has not expired nor been revoked, and the
account must be a buyer (``require_role``). No cache: every batch reads the tokens afresh, so a
revocation applies from the next batch.
"""

from __future__ import annotations

from tradewind.db.uow import UnitOfWork
from tradewind.flash.domain import Buyer
from tradewind.identity.domain import Role, require_role
from tradewind.identity.service import principals_for_tokens
from tradewind.kernel.errors import DomainError, Unauthenticated
from tradewind.kernel.problems import ProblemCode


def buyers_for_tokens(uow: UnitOfWork, tokens: set[str]) -> dict[str, Buyer | DomainError]:
    """Each token's buyer, or the error its request gets (401 unknown/expired, 403 not a buyer)."""
    principals = principals_for_tokens(uow, tokens)  # one read for the batch
    found: dict[str, Buyer | DomainError] = {}
    for token in tokens:
        principal = principals.get(token)
        if principal is None:
            found[token] = Unauthenticated("API token is not valid", code=ProblemCode.BAD_TOKEN)
            continue
        try:
            require_role(principal, Role.BUYER)
            found[token] = Buyer(principal.account_id, principal.currency)
        except DomainError as exc:
            found[token] = exc
    return found
