"""Typed domain errors.

Every error a user can cause is a subclass of :class:`DomainError` with a stable ``code``. The web
layer maps each class to an HTTP status in one table (``tradewind.web.problems``); nothing else
decides a status code.

Exception tree::

    DomainError
    ├── InvalidInput            422  the request is well-formed but a value breaks a rule
    ├── Unauthenticated         401  no valid credentials
    ├── Forbidden               403  authenticated, but the role may not do this at all
    ├── NotFound                404  missing, or not yours (we never reveal which)
    ├── Conflict                409  the resource's state does not allow it
    │   ├── IllegalTransition        a state machine refused a transition
    │   ├── IdempotencyKeyReused     same Idempotency-Key, different request
    │   └── OutOfStock               not enough stock to reserve
    ├── LimitExceeded           422  a hard limit (lines, quantity, page size) was passed
    └── TooManyRequests         429  throttled; retry later
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field, in the shape clients render next to the field."""

    field: str
    message: str
    code: str = "invalid"


class DomainError(Exception):
    """Base of every error a client can cause; ``code`` is stable and documented."""

    code: str = "domain_error"
    title: str = "Request failed"

    def __init__(
        self, detail: str, *, code: str | None = None, errors: Sequence[FieldError] = ()
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = tuple(errors)


class InvalidInput(DomainError):
    code = "invalid_input"
    title = "Invalid input"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict with the current state"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Illegal state transition"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency key reused with a different request"


class OutOfStock(Conflict):
    code = "out_of_stock"
    title = "Out of stock"


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    title = "Limit exceeded"


class TooManyRequests(DomainError):
    code = "too_many_requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after_s = retry_after_s
