"""Where media files live: a small port so a deployment can put them in object storage.

Keys are relative, lower-case paths (``products/<id>/<digest>-large.webp``); a store never
lets a key leave its own space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Protocol

KEY_RE: Final = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*\.[a-z0-9]{2,5}$")
MAX_KEY_LEN: Final = 200


@dataclass(frozen=True, slots=True)
class StoredFile:
    data: bytes
    content_type: str


class MediaStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (replacing nothing else); idempotent for equal data."""

    def get(self, key: str) -> StoredFile | None:
        """The file, or None when there is none (or ``key`` is not a valid key)."""


def valid_key(key: str) -> bool:
    return len(key) <= MAX_KEY_LEN and KEY_RE.match(key) is not None
