"""Typed domain errors.

Every error a user can cause is a subclass of :class:`DomainError` with a stable ``code``, a
member of :class:`tradewind.kernel.problems.ProblemCode`. The code decides the HTTP status, in
one table beside the enum (``STATUS_BY_CODE``); a class groups codes of one status for
``except`` clauses, and a code raised with a class has that class's status (checked by
``tests/unit/test_problem_codes.py``).

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

from tradewind.kernel.problems import ProblemCode


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one input field, in the shape clients render next to the field."""

    field: str
    message: str
    code: str = "invalid"


class DomainError(Exception):
    """Base of every error a client can cause; ``code`` is stable and documented."""

    code: ProblemCode = ProblemCode.BAD_REQUEST  # abstract: always raised as a subclass
    title: str = "Request failed"

    def __init__(
        self, detail: str, *, code: ProblemCode | None = None, errors: Sequence[FieldError] = ()
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = tuple(errors)


class InvalidInput(DomainError):
    code = ProblemCode.INVALID_INPUT
    title = "Invalid input"


class Unauthenticated(DomainError):
    code = ProblemCode.UNAUTHENTICATED
    title = "Authentication required"


class Forbidden(DomainError):
    code = ProblemCode.FORBIDDEN
    title = "Not allowed"


class NotFound(DomainError):
    code = ProblemCode.NOT_FOUND
    title = "Not found"


class Conflict(DomainError):
    code = ProblemCode.CONFLICT
    title = "Conflict with the current state"


class IllegalTransition(Conflict):
    code = ProblemCode.ILLEGAL_TRANSITION
    title = "Illegal state transition"


class IdempotencyKeyReused(Conflict):
    code = ProblemCode.IDEMPOTENCY_KEY_REUSED
    title = "Idempotency key reused with a different request"


class OutOfStock(Conflict):
    code = ProblemCode.OUT_OF_STOCK
    title = "Out of stock"


class LimitExceeded(DomainError):
    code = ProblemCode.LIMIT_EXCEEDED
    title = "Limit exceeded"


class TooManyRequests(DomainError):
    code = ProblemCode.TOO_MANY_REQUESTS
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int, code: ProblemCode | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after_s = retry_after_s
