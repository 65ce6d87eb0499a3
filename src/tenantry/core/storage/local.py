"""Objects as files under the data directory: the embedded default, no server needed.

Layout: the object ``a/b.png`` is the file ``<root>/a/b.png``; what the file system
cannot hold (content type, SHA-256) sits in ``<root>.meta/<sha256(key)[:2]>/<sha256(key)>.json``,
named by hash so that no two keys can collide there. Writes go to a temporary file in the
target directory and are renamed into place, so a reader never sees half an object.
All blocking file work runs in a worker thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mimetypes
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from pathlib import Path
from stat import S_ISREG
from typing import IO
from urllib.parse import quote, urlencode

import anyio
import anyio.to_thread

from tenantry.core.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    DEFAULT_EXPIRES_IN,
    PresignedPost,
    StorageError,
    StorageKeyNotFound,
    StoredObject,
    iter_data,
    validate_content_type,
    validate_key,
)
from tenantry.core.storage.multipart import (
    MAX_PART_SIZE,
    UploadedPart,
    check_parts,
    sign_part,
    validate_local_upload_id,
    validate_part_number,
)
from tenantry.core.storage.policy import (
    build_post_policy,
    sign_get,
)
from tenantry.core.storage.policy import (
    verify_post_policy as _verify_post_policy,
)
from tenantry.core.storage.policy import (
    verify_presigned_get as _verify_presigned_get,
)

#: URL path under ``base_url`` where the file routes live (GET ``/files/<key>``, POST ``/files``).
FILES_PATH = "/files"
#: Most file systems refuse longer names (NAME_MAX).
_MAX_SEGMENT_BYTES = 255
#: A missing object shows up as any of these, depending on which path component is missing.
_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


class _AtomicFile:
    """A temporary file next to ``target`` that becomes ``target`` only on :meth:`commit`."""

    def __init__(self, target: Path) -> None:
        self.target = target
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise StorageError(f"{target} conflicts with an existing object") from None
        fd, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name[:40]}.", suffix=".tmp"
        )
        self.temp = Path(name)
        self.handle: IO[bytes] = os.fdopen(fd, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)

    def commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        try:
            os.replace(self.temp, self.target)
        except IsADirectoryError:
            raise StorageError(f"{self.target} conflicts with an existing object") from None

    def discard(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


def _write_small(target: Path, data: bytes) -> None:
    atomic = _AtomicFile(target)
    try:
        atomic.write(data)
        atomic.commit()
    except BaseException:
        atomic.discard()
        raise


def _part_of(path: Path) -> UploadedPart:
    info = path.stat()
    return UploadedPart(int(path.stem), info.st_size, f"{info.st_mtime_ns:x}-{info.st_size:x}")


class LocalStorage:
    """:class:`~tenantry.core.storage.base.Storage` on the local file system."""

    def __init__(self, root: Path | str, *, secret_key: str, base_url: str) -> None:
        self.root = Path(root).absolute()
        self.meta_root = self.root.with_name(self.root.name + ".meta")
        self.parts_root = self.root.with_name(self.root.name + ".parts")
        self._secret_key = secret_key
        self._base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"LocalStorage(root={str(self.root)!r})"

    # -- paths ---------------------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """The file holding ``key`` (validated, so it is always inside the root)."""
        validate_key(key)
        segments = key.split("/")
        if any(len(segment.encode()) > _MAX_SEGMENT_BYTES for segment in segments):
            raise ValueError(f"a segment of key {key!r} is longer than {_MAX_SEGMENT_BYTES} bytes")
        return self.root.joinpath(*segments)

    def _meta_path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.meta_root / digest[:2] / f"{digest}.json"

    # -- writing -------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> StoredObject:
        path = self.path_for(key)
        validate_content_type(content_type)
        with anyio.CancelScope(shield=True):  # a temp file must never be created unowned
            atomic = await anyio.to_thread.run_sync(_AtomicFile, path)
        try:
            async for chunk in iter_data(data):
                await anyio.to_thread.run_sync(atomic.write, chunk)
            await anyio.to_thread.run_sync(atomic.commit)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(atomic.discard)
            raise
        stored = StoredObject(
            key=key,
            size=atomic.size,
            content_type=content_type,
            etag=atomic.digest.hexdigest(),
            sha256=atomic.digest.hexdigest(),
        )
        meta = {
            "key": key,
            "size": stored.size,
            "content_type": content_type,
            "sha256": stored.sha256,
        }
        await anyio.to_thread.run_sync(
            _write_small, self._meta_path(key), json.dumps(meta).encode()
        )
        return stored

    async def delete(self, key: str) -> None:
        path = self.path_for(key)

        def remove() -> None:
            with contextlib.suppress(*_MISSING):
                path.unlink()
            self._meta_path(key).unlink(missing_ok=True)

        await anyio.to_thread.run_sync(remove)

    # -- multipart -----------------------------------------------------------------------

    def _parts_dir(self, key: str, upload_id: str) -> Path:
        """The staging directory of an upload, checked to belong to ``key``."""
        validate_key(key)
        directory = self.parts_root / validate_local_upload_id(upload_id)
        try:
            meta = json.loads((directory / "upload.json").read_bytes())
        except (OSError, ValueError):
            raise StorageKeyNotFound(key) from None
        if not isinstance(meta, dict) or meta.get("key") != key:
            raise StorageKeyNotFound(key)
        return directory

    async def create_multipart(self, key: str, content_type: str = DEFAULT_CONTENT_TYPE) -> str:
        """Start a multipart upload to ``key``; its id (parts wait under ``<root>.parts``)."""
        self.path_for(key)
        validate_content_type(content_type)
        upload_id = secrets.token_hex(16)
        meta = json.dumps({"key": key, "content_type": content_type}).encode()
        target = self.parts_root / upload_id / "upload.json"
        await anyio.to_thread.run_sync(_write_small, target, meta)
        return upload_id

    async def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires_in: int = DEFAULT_EXPIRES_IN
    ) -> str:
        params = sign_part(key, upload_id, number, expires_in, secret=self._secret_key)
        return f"{self.public_url(key)}?{urlencode(params)}"

    async def put_part(
        self, key: str, upload_id: str, number: int, data: AsyncIterable[bytes]
    ) -> UploadedPart:
        """Store one part (replacing an earlier one of that number), at most 5 GiB."""
        validate_part_number(number)
        directory = await anyio.to_thread.run_sync(self._parts_dir, key, upload_id)
        with anyio.CancelScope(shield=True):
            atomic = await anyio.to_thread.run_sync(_AtomicFile, directory / f"{number}.part")
        try:
            async for chunk in iter_data(data):
                if atomic.size + len(chunk) > MAX_PART_SIZE:
                    raise StorageError(f"a part is at most {MAX_PART_SIZE} bytes")
                await anyio.to_thread.run_sync(atomic.write, chunk)
            await anyio.to_thread.run_sync(atomic.commit)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(atomic.discard)
            raise
        return await anyio.to_thread.run_sync(_part_of, atomic.target)

    async def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        """The parts stored so far, by number (the etag names the file's version)."""

        def read() -> list[UploadedPart]:
            directory = self._parts_dir(key, upload_id)
            found = [_part_of(path) for path in directory.glob("*.part") if path.stem.isdigit()]
            return sorted(found, key=lambda part: part.number)

        return await anyio.to_thread.run_sync(read)

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[UploadedPart]
    ) -> StoredObject:
        """Join ``parts`` (as listed) into the object at ``key``, then drop the staging."""
        check_parts(parts)
        directory = await anyio.to_thread.run_sync(self._parts_dir, key, upload_id)
        meta = json.loads(await anyio.to_thread.run_sync((directory / "upload.json").read_bytes))
        current = {part.number: part for part in await self.list_parts(key, upload_id)}
        if any(current.get(part.number) != part for part in parts):
            raise StorageError("the parts changed since they were listed")

        async def joined() -> AsyncIterator[bytes]:
            for part in parts:
                handle = await anyio.open_file(directory / f"{part.number}.part", "rb")
                async with handle:
                    while chunk := await handle.read(DEFAULT_CHUNK_SIZE * 16):
                        yield chunk

        try:
            stored = await self.put(key, joined(), str(meta.get("content_type")))
        except _MISSING:
            raise StorageKeyNotFound(key) from None
        await anyio.to_thread.run_sync(shutil.rmtree, directory, True)
        return stored

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an unfinished upload's parts; an unknown upload is not an error."""
        try:
            directory = await anyio.to_thread.run_sync(self._parts_dir, key, upload_id)
        except (StorageKeyNotFound, ValueError):
            return
        await anyio.to_thread.run_sync(shutil.rmtree, directory, True)

    # -- reading -------------------------------------------------------------------------

    async def get(self, key: str) -> bytes:
        path = self.path_for(key)
        try:
            return await anyio.to_thread.run_sync(path.read_bytes)
        except _MISSING:
            raise StorageKeyNotFound(key) from None

    async def stream(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        path = self.path_for(key)
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        try:
            handle = await anyio.open_file(path, "rb")
        except _MISSING:
            raise StorageKeyNotFound(key) from None
        async with handle:
            while chunk := await handle.read(chunk_size):
                yield chunk

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self.path_for(key).is_file)

    async def stat(self, key: str) -> StoredObject:
        path = self.path_for(key)
        meta_path = self._meta_path(key)

        def read() -> StoredObject:
            try:
                info = path.stat()
            except _MISSING:
                raise StorageKeyNotFound(key) from None
            if not S_ISREG(info.st_mode):
                raise StorageKeyNotFound(key)
            try:
                meta: Mapping[str, object] = json.loads(meta_path.read_bytes())
            except (OSError, ValueError):
                meta = {}
            content_type = meta.get("content_type")
            if not isinstance(content_type, str):
                content_type = mimetypes.guess_type(path.name)[0] or DEFAULT_CONTENT_TYPE
            sha256 = meta.get("sha256") if meta.get("size") == info.st_size else None
            if not isinstance(sha256, str):
                sha256 = None
            etag = sha256 or f"{info.st_mtime_ns:x}-{info.st_size:x}"
            return StoredObject(
                key=key, size=info.st_size, content_type=content_type, etag=etag, sha256=sha256
            )

        return await anyio.to_thread.run_sync(read)

    # -- URLs and signatures -------------------------------------------------------------

    def public_url(self, key: str) -> str:
        validate_key(key)
        return f"{self._base_url}{FILES_PATH}/{quote(key, safe='/')}"

    async def presigned_url(self, key: str, expires_in: int = DEFAULT_EXPIRES_IN) -> str:
        params = sign_get(key, expires_in, secret=self._secret_key)
        return f"{self.public_url(key)}?{urlencode(params)}"

    async def presigned_post(
        self,
        key_prefix: str,
        max_bytes: int,
        expires_in: int = DEFAULT_EXPIRES_IN,
        content_type: str | None = None,
    ) -> PresignedPost:
        fields = build_post_policy(
            key_prefix, max_bytes, expires_in, content_type, secret=self._secret_key
        )
        return {"url": f"{self._base_url}{FILES_PATH}", "fields": fields}

    def verify_post_policy(
        self, fields: Mapping[str, str], key: str, size: int, content_type: str | None
    ) -> None:
        """Raise PolicyViolation unless a form made by :meth:`presigned_post` allows this upload."""
        _verify_post_policy(fields, key, size, content_type, secret=self._secret_key)

    def verify_presigned_get(self, key: str, query_params: Mapping[str, str]) -> None:
        """Raise PolicyViolation unless the query carries a live signature from this backend."""
        _verify_presigned_get(key, query_params, secret=self._secret_key)

    async def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""
