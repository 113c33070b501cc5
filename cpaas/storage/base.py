"""What every storage backend offers: move a finished file in, read it back, link to it, delete it.

Keys are relative, '/'-separated names (`AC…/RE….wav`); each backend maps them to its own namespace
(a folder, or a bucket and prefix).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator


class StorageError(Exception):
    """The backend could not do what was asked (unreachable, refused, or the object did not verify)."""


class ObjectNotFound(StorageError):
    """No object under that key."""


@dataclass
class StoredObject:
    """An object being read: its bytes in chunks, and its size when the backend knows it."""

    chunks: Iterator[bytes]
    length: int | None
    content_type: str
    #: `bytes first-last/size` when only part of the object was asked for and is being read.
    content_range: str | None = None


def check_key(key: str) -> str:
    """Refuse keys that could escape the backend's namespace."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(ABC):
    @abstractmethod
    def save(self, key: str, source: Path, content_type: str) -> None:
        """Move `source` into storage under `key`. Returns only once the object is confirmed stored,
        and only then is `source` gone; on any failure `source` is untouched and StorageError is raised."""

    @abstractmethod
    def open(self, key: str, byte_range: str | None = None) -> StoredObject:
        """Read an object; ObjectNotFound if there is none. `byte_range` is an HTTP Range value
        (`bytes=0-99`, `bytes=100-`, `bytes=-100`): when it names one satisfiable range only that part
        is read (content_range set), otherwise the whole object, as HTTP lets a server do."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove an object; removing one that is not there is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        ...

    def local_file(self, key: str) -> Path | None:
        """The object as a file on this machine, when the backend keeps it as one (lets HTTP serve ranges)."""
        return None

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        """A short-lived URL that reads the object without our credentials, when the backend can make one."""
        return None
