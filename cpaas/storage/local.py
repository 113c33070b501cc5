"""The default backend: a folder on this machine (RECORDINGS_DIR)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

from werkzeug.http import parse_range_header

from cpaas.storage.base import ObjectNotFound, Storage, StorageError, StoredObject, check_key

_CHUNK = 64 * 1024


class LocalStorage(Storage):
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def save(self, key: str, source: Path, content_type: str) -> None:
        target = self.path(key)
        try:
            size = source.stat().st_size
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.resolve() != target.resolve():
                # A rename when both are on one file system (the usual case: the engine writes into
                # RECORDINGS_DIR), so a crash leaves the file in one place or the other, never half.
                shutil.move(source, target)
            stored = target.stat().st_size
        except OSError as exc:
            raise StorageError(f"could not store {key} in {self.root}: {exc}") from exc
        if stored != size:
            raise StorageError(f"{key}: stored {stored} bytes of {size}")

    def open(self, key: str, byte_range: str | None = None) -> StoredObject:
        path = self.path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageError(f"could not read {key}: {exc}") from exc
        size = os.fstat(handle.fileno()).st_size
        parsed = parse_range_header(byte_range) if byte_range else None
        part = parsed.range_for_length(size) if parsed else None
        if part is None:
            return StoredObject(_read(handle, size), size, "application/octet-stream")
        start, stop = part
        handle.seek(start)
        return StoredObject(_read(handle, stop - start), stop - start, "application/octet-stream",
                            parsed.to_content_range_header(size))

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def local_file(self, key: str) -> Path | None:
        path = self.path(key)
        return path if path.is_file() else None


def _read(handle, length: int) -> Iterator[bytes]:
    with handle:
        while length > 0 and (chunk := handle.read(min(_CHUNK, length))):
            length -= len(chunk)
            yield chunk
