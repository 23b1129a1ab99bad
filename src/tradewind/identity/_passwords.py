"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A valid hash of a random string: verifying against it when the account does not exist keeps the
# response time the same, so timing does not reveal which emails are registered.
_DUMMY_HASH = _hasher.hash("tradewind-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
