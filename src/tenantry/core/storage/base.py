"""The storage contract every backend honours, so callers never branch on where bytes live."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypedDict, runtime_checkable

if TYPE_CHECKING:
    from tenantry.core.storage.multipart import UploadedPart

DEFAULT_CONTENT_TYPE = "application/octet-stream"
DEFAULT_CHUNK_SIZE = 64 * 1024
DEFAULT_EXPIRES_IN = 3600
#: S3 refuses SigV4 presigned requests valid for longer than a week; the local backend agrees.
MAX_EXPIRES_IN = 7 * 24 * 3600
#: S3's own limit on key length, in UTF-8 bytes.
MAX_KEY_BYTES = 1024


class StorageError(Exception):
    """Base of every error the storage layer raises on purpose."""


class StorageKeyNotFound(StorageError, LookupError):
    """No object is stored under the key (routes map this to 404)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no object stored under key {key!r}")
        self.key = key


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What a backend knows about one stored object.

    ``sha256`` is ``None`` for objects that did not pass through :meth:`Storage.put`
    (for example a direct browser upload to S3), because S3 only knows the ETag then.
    """

    key: str
    size: int
    content_type: str
    etag: str
    sha256: str | None = None


class PresignedPost(TypedDict):
    """An HTML form upload: POST ``fields`` plus a final ``file`` part to ``url``."""

    url: str
    fields: dict[str, str]


@runtime_checkable
class Storage(Protocol):
    """Object storage: the local file backend and the S3 backend both satisfy this."""

    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> StoredObject:
        """Store ``data`` under ``key``, replacing any previous object atomically."""
        ...

    async def get(self, key: str) -> bytes:
        """The whole object; raises :class:`StorageKeyNotFound`."""
        ...

    def stream(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """The object in chunks of at most ``chunk_size`` bytes.

        An async generator: :class:`StorageKeyNotFound` surfaces on the first iteration,
        so a route that must answer 404 before sending headers calls :meth:`stat` first.
        """
        ...

    async def stat(self, key: str) -> StoredObject:
        """Size, type and checksums without reading the body; raises StorageKeyNotFound."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    def public_url(self, key: str) -> str:
        """The unsigned URL of the object (readable only if the deployment makes it so)."""
        ...

    async def presigned_url(self, key: str, expires_in: int = DEFAULT_EXPIRES_IN) -> str:
        """A GET URL anyone can use until ``expires_in`` seconds from now."""
        ...

    async def presigned_post(
        self,
        key_prefix: str,
        max_bytes: int,
        expires_in: int = DEFAULT_EXPIRES_IN,
        content_type: str | None = None,
    ) -> PresignedPost:
        """An S3-style POST policy letting a browser upload one file under ``key_prefix``.

        The form's ``key`` field is ``key_prefix + "${filename}"``; the policy pins the
        prefix, the size range ``0..max_bytes`` and, when given, the exact content type.
        """
        ...

    async def create_multipart(self, key: str, content_type: str = DEFAULT_CONTENT_TYPE) -> str:
        """Start a multipart upload to ``key``; the id its parts and completion name."""
        ...

    async def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires_in: int = DEFAULT_EXPIRES_IN
    ) -> str:
        """A URL anyone can ``PUT`` part ``number`` of the upload to until it expires."""
        ...

    async def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        """The parts stored so far, by number; StorageKeyNotFound for an unknown upload."""
        ...

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[UploadedPart]
    ) -> StoredObject:
        """Join ``parts`` (from :meth:`list_parts`) into the object; ValueError if S3 would
        refuse them (a part but the last under 5 MiB)."""
        ...

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an unfinished upload and its parts; an unknown upload is not an error."""
        ...

    async def close(self) -> None:
        """Release connections; the backend may be reopened lazily afterwards."""
        ...


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe object key, else raise ``ValueError``.

    Keys are ``/``-separated like S3's, but stricter so that no key can escape the
    local root: no leading ``/``, no empty, ``.`` or ``..`` segment, no backslash,
    no NUL or other control character, at most 1024 UTF-8 bytes.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("storage key must be a non-empty string")
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"storage key {key!r} is not valid UTF-8") from None
    if len(encoded) > MAX_KEY_BYTES:
        raise ValueError(f"storage key is longer than {MAX_KEY_BYTES} bytes")
    if key.startswith("/"):
        raise ValueError(f"storage key {key!r} must not start with '/'")
    if any(ord(char) < 0x20 or char == "\x7f" for char in key):
        raise ValueError(f"storage key {key!r} must not contain NUL or control characters")
    if "\\" in key:
        raise ValueError(f"storage key {key!r} must not contain a backslash")
    for segment in key.split("/"):
        if segment in {"", ".", ".."}:
            raise ValueError(f"storage key {key!r} has an empty, '.' or '..' segment")
    return key


def validate_key_prefix(prefix: str) -> str:
    """Return ``prefix`` if every key starting with it could be valid (``""`` allowed)."""
    if prefix == "":
        return prefix
    validate_key(prefix.removesuffix("/"))
    return prefix


def validate_content_type(content_type: str) -> str:
    """Reject content types that would smuggle header lines into responses."""
    if not content_type or any(ord(char) < 0x20 or char == "\x7f" for char in content_type):
        raise ValueError(f"invalid content type {content_type!r}")
    return content_type


def validate_expires_in(expires_in: int) -> int:
    """Presigned lifetimes are whole seconds in ``1..MAX_EXPIRES_IN`` on every backend."""
    if not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise ValueError(f"expires_in must be between 1 and {MAX_EXPIRES_IN} seconds")
    return expires_in


def validate_max_bytes(max_bytes: int) -> int:
    """An upload limit must allow at least one byte."""
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    return max_bytes


async def iter_data(data: bytes | AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Treat a single ``bytes`` value and a stream of chunks the same way."""
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    async for chunk in data:
        yield bytes(chunk)
