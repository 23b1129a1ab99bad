"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults).

Each hash or check takes 64 MiB and four lanes for about 50 ms, on purpose. Thirty wrong
passwords at once would then be thirty of those competing for the cores with every other request
of the process, so at most ``MAX_CONCURRENT_HASHES`` run at a time per process and the rest wait
their turn: a storm of logins slows logins, not checkouts. (Hashing never runs inside a database
transaction either; see ``identity.service.authenticate``.)
"""

from __future__ import annotations

import os
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MAX_CONCURRENT_HASHES = max(1, (os.cpu_count() or 2) // 2)
_turns = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
# A valid hash of a random string: verifying against it when the account does not exist keeps the
# response time the same, so timing does not reveal which emails are registered.
_DUMMY_HASH = _hasher.hash("tradewind-dummy-password-for-timing")


def hash_password(password: str) -> str:
    with _turns:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _turns:
            matched = _hasher.verify(password_hash or _DUMMY_HASH, password)
        return matched and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
