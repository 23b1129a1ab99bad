"""The default media store: files on the local disk, under the data directory.

Writes go to a temporary file in the same folder and are renamed into place, so a reader never
sees half a picture. The content type is kept from the key's suffix.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tradewind.media.ports import StoredFile, valid_key

CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}


class LocalDiskStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path | None:
        if not valid_key(key):
            return None
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        if path is None:
            raise ValueError(f"not a media key: {key!r}")
        if CONTENT_TYPES.get(path.suffix.removeprefix(".")) != content_type:
            raise ValueError(f"{key!r} does not name a {content_type} file")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> StoredFile | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        content_type = CONTENT_TYPES.get(path.suffix.removeprefix("."))
        if content_type is None:
            return None
        return StoredFile(path.read_bytes(), content_type)
