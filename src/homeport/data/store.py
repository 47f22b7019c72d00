"""One interface for every object store homeport reads or writes (DESIGN.md: one folder per backend
behind one interface, one conformance suite every backend passes, rclone's fstests model).

Keys are relative to the location's prefix and "/"-separated. Listing streams (never the whole listing
in memory). Errors are StoreError subclasses with a sentence a person can act on; `Transient` ones
(503 SlowDown, connection resets, timeouts) are the ones a copy retries. `SourceOnly` is the write half
refused, for the stores homeport only reads (GCS, Azure Blob).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Protocol

from homeport.core.errors import HomeportError

CHUNK = 1024 * 1024  # the unit of streaming reads and of hashing


@dataclass(frozen=True)
class ObjectInfo:
    key: str  # relative to the location's prefix
    size: int
    etag: str | None = None  # the store's own; never compared across stores
    mtime: float | None = None  # seconds since the epoch
    metadata: dict = field(default_factory=dict)  # user metadata, keys lower-cased (stores differ in case)


class StoreError(HomeportError):
    """A store refused or failed an operation."""


class NotFound(StoreError):
    """The object (or the bucket, or the local directory) does not exist."""


class AccessDenied(StoreError):
    """Wrong or missing credentials, or no permission."""


class Transient(StoreError):
    """Worth retrying: throttling (503 SlowDown), a reset connection, a timeout."""


class Store(Protocol):
    """What a backend implements. `location` is the parsed location it serves (data/locations.py)."""

    location: object

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under `prefix`, in key order, streamed page by page."""

    def head(self, key: str) -> ObjectInfo | None:
        """The object's info, or None when it does not exist."""

    def get(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes [start, end) of the object (end None: to its end), in chunks of about CHUNK."""

    def put(self, key: str, chunks: Iterable[bytes], metadata: dict | None = None) -> ObjectInfo:
        """Write a whole object from `chunks` (small objects; large ones go through multipart)."""

    def start_multipart(self, key: str, metadata: dict | None = None) -> str:
        """Begin a multipart upload; returns its upload id."""

    def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        """Upload part `number` (1-based); returns its ETag."""

    def list_parts(self, key: str, upload_id: str) -> dict[int, str]:
        """The parts already uploaded (number -> ETag), to resume an interrupted upload."""

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> ObjectInfo:
        """Assemble the parts, in number order."""

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an upload and its parts."""

    def delete(self, key: str) -> None:
        """Remove the object (no error when it is already gone)."""


SOURCE_ONLY = "Azure Blob / GCS are sources only in homeport; copy to an S3-compatible store or a local path."


class SourceOnly:
    """The write half of Store, refused: Azure Blob and GCS are read by homeport, never written."""

    location: object
    writable = False  # copy() refuses such a destination before it lists anything

    def _refuse(self, op: str, key: str | None = None):
        target = f"{op} of {key!r} in {self.location}" if key else f"{op} in {self.location}"
        return StoreError(SOURCE_ONLY, got=target, hint="make this location the source of `homeport data copy`")

    def put(self, key: str, chunks: Iterable[bytes], metadata: dict | None = None) -> ObjectInfo:
        raise self._refuse("put", key)

    def start_multipart(self, key: str, metadata: dict | None = None) -> str:
        raise self._refuse("start_multipart", key)

    def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        raise self._refuse("put_part", key)

    def list_parts(self, key: str, upload_id: str) -> dict[int, str]:
        raise self._refuse("list_parts", key)

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> ObjectInfo:
        raise self._refuse("complete_multipart", key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        raise self._refuse("abort_multipart", key)

    def delete(self, key: str) -> None:
        raise self._refuse("delete", key)


def rechunk(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Pieces of any size as chunks of at most CHUNK bytes (the unit the copy engine hashes and writes)."""
    for piece in pieces:
        for i in range(0, len(piece), CHUNK):
            yield piece[i:i + CHUNK]


def missing_sdk(location, package: str, extra: str) -> StoreError:
    return StoreError(f"Reading {location} needs {package}, which is not installed.",
                      hint=f"pip install 'homeport[{extra}]'")


NOT_UTF8 = ("its name is not valid UTF-8, and object store keys are UTF-8: rename the file "
            "(`convmv` converts a tree of names); nothing was copied for it")


def keyable(infos: Iterable[ObjectInfo], refused: list[tuple[str, str]]) -> Iterator[ObjectInfo]:
    """Objects whose key a store, the journal and the manifest can all hold; the others go to `refused`.
    A local file name in another encoding reaches Python as a str with lone surrogates (PEP 383)."""
    for info in infos:
        try:
            info.key.encode("utf-8")
        except UnicodeEncodeError:
            shown = info.key.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            refused.append((shown, NOT_UTF8))
            continue
        yield info
