"""Objects in any S3-compatible store through aiobotocore, for deployments with many replicas.

botocore does every signature (requests, presigned GET URLs, POST policies); nothing here
signs by hand. The client and the bucket are set up lazily on first use, so building the
backend costs nothing and a missing bucket is created instead of failing the first upload.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs, quote, urlsplit

import anyio
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

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
    validate_expires_in,
    validate_key,
    validate_key_prefix,
    validate_max_bytes,
)
from tenantry.core.storage.multipart import UploadedPart, check_parts, validate_part_number

_QUERY_OPTIONS = frozenset(
    {"endpoint_url", "region", "access_key", "secret_key", "addressing_style", "public_base_url"}
)
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_SHA256_METADATA = "sha256"
PART_SIZE = 8 * 1024 * 1024
"""A multipart upload's part (S3's minimum is 5 MiB for every part but the last)."""


@dataclass(frozen=True, slots=True)
class S3Config:
    """Where the bucket is and how to reach it, parsed from ``TENANTRY_STORAGE_URL``."""

    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    addressing_style: str = "auto"
    public_base_url: str | None = None

    @classmethod
    def from_url(cls, url: str) -> S3Config:
        """Parse ``s3://bucket?endpoint_url=...&region=...&access_key=...&secret_key=...``.

        Without ``access_key``/``secret_key`` botocore's usual chain applies
        (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles, instance roles).
        ``addressing_style`` defaults to ``path`` when an ``endpoint_url`` is given,
        because self-hosted servers rarely have wildcard DNS for bucket subdomains.
        """
        parts = urlsplit(url)
        if parts.scheme != "s3":
            raise ValueError("an S3 storage URL starts with s3://")
        bucket = parts.netloc
        if not _BUCKET_NAME.match(bucket):
            raise ValueError(f"{bucket!r} is not a valid S3 bucket name (s3://BUCKET?...)")
        if parts.path not in {"", "/"}:
            raise ValueError("an S3 storage URL names a bucket only (s3://BUCKET?...), no path")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - _QUERY_OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown S3 storage option(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_QUERY_OPTIONS))}"
            )
        options = {name: values[-1] for name, values in query.items() if values[-1]}
        if ("access_key" in options) != ("secret_key" in options):
            raise ValueError("give both access_key and secret_key, or neither")
        endpoint_url = options.get("endpoint_url")
        addressing_style = options.get("addressing_style", "path" if endpoint_url else "auto")
        if addressing_style not in {"auto", "path", "virtual"}:
            raise ValueError("addressing_style is one of auto, path, virtual")
        region = (
            options.get("region")
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or "us-east-1"
        )
        return cls(
            bucket=bucket,
            endpoint_url=endpoint_url,
            region=region,
            access_key=options.get("access_key"),
            secret_key=options.get("secret_key"),
            addressing_style=addressing_style,
            public_base_url=options.get("public_base_url"),
        )


@functools.cache
def _session() -> Any:
    """One botocore session per process: it caches the parsed service models (~0.1 s each)."""
    return get_session()


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Storage:
    """:class:`~tenantry.core.storage.base.Storage` on an S3 bucket."""

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._bucket_ready = False
        self._lock = anyio.Lock()

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        return cls(S3Config.from_url(url))

    def __repr__(self) -> str:
        return f"S3Storage({self.config!r})"

    # -- client and bucket ---------------------------------------------------------------

    async def _ready(self) -> Any:
        """The client, with the bucket known to exist (created on first use)."""
        if self._client is not None and self._bucket_ready:
            return self._client
        async with self._lock:
            if self._client is None:
                config = self.config
                client_context = _session().create_client(
                    "s3",
                    region_name=config.region,
                    endpoint_url=config.endpoint_url,
                    aws_access_key_id=config.access_key,
                    aws_secret_access_key=config.secret_key,
                    config=AioConfig(
                        signature_version="s3v4",
                        s3={"addressing_style": config.addressing_style},
                        # S3-compatible servers disagree on the newer default CRC trailers.
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                    ),
                )
                self._client = await self._stack.enter_async_context(client_context)
            if not self._bucket_ready:
                await self._create_bucket_if_missing(self._client)
                self._bucket_ready = True
        return self._client

    async def _create_bucket_if_missing(self, client: Any) -> None:
        bucket = self.config.bucket
        try:
            await client.head_bucket(Bucket=bucket)
            return
        except ClientError as error:
            if _error_code(error) not in {"404", "NoSuchBucket", "NotFound"}:
                raise
        arguments: dict[str, Any] = {"Bucket": bucket}
        if self.config.region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.config.region}
        try:
            await client.create_bucket(**arguments)
        except ClientError as error:
            if _error_code(error) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    async def ensure_bucket(self) -> None:
        """Create the bucket now if it does not exist (otherwise done on first use)."""
        await self._ready()

    async def close(self) -> None:
        await self._stack.aclose()
        self._stack = AsyncExitStack()
        self._client = None
        self._bucket_ready = False

    # -- writing -------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes | AsyncIterable[bytes],
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> StoredObject:
        """Store the object: bytes, or a stream shorter than :data:`PART_SIZE`, in one
        PutObject; a longer stream as a multipart upload, one part in memory at a time, so
        an export of any size streams through (aborted on failure, never half-visible)."""
        validate_key(key)
        validate_content_type(content_type)
        digest = hashlib.sha256()
        buffer = bytearray()
        chunks = iter_data(data).__aiter__()
        async for chunk in chunks:
            digest.update(chunk)
            buffer += chunk
            if len(buffer) >= PART_SIZE:
                return await self._put_multipart(key, content_type, buffer, chunks, digest)
        body = bytes(buffer)
        sha256 = digest.hexdigest()
        client = await self._ready()
        response = await client.put_object(
            Bucket=self.config.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            Metadata={_SHA256_METADATA: sha256},
        )
        etag = str(response.get("ETag", "")).strip('"')
        return StoredObject(
            key=key, size=len(body), content_type=content_type, etag=etag, sha256=sha256
        )

    async def _put_multipart(
        self,
        key: str,
        content_type: str,
        buffer: bytearray,
        rest: AsyncIterator[bytes],
        digest: Any,
    ) -> StoredObject:
        """The multipart tail of :meth:`put`: ``buffer`` holds at least one part already.

        The SHA-256 is only known at the end, after S3 fixed the metadata, so it is returned
        but not stored (:meth:`stat` then reports ``None``, as for browser uploads)."""
        client = await self._ready()
        bucket = self.config.bucket
        started = await client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=content_type
        )
        upload_id = started["UploadId"]
        parts: list[dict[str, Any]] = []
        size = 0

        async def send(body: bytes) -> None:
            nonlocal size
            number = len(parts) + 1
            answer = await client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
            )
            parts.append({"ETag": answer["ETag"], "PartNumber": number})
            size += len(body)

        try:
            async for chunk in rest:
                digest.update(chunk)
                buffer += chunk
                while len(buffer) >= PART_SIZE:
                    await send(bytes(buffer[:PART_SIZE]))
                    del buffer[:PART_SIZE]
            if buffer or not parts:
                await send(bytes(buffer))
            response = await client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                await client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise
        etag = str(response.get("ETag", "")).strip('"')
        return StoredObject(
            key=key, size=size, content_type=content_type, etag=etag, sha256=digest.hexdigest()
        )

    async def create_multipart(self, key: str, content_type: str = DEFAULT_CONTENT_TYPE) -> str:
        """Start a multipart upload to ``key`` whose parts a client PUTs; S3's UploadId."""
        validate_key(key)
        validate_content_type(content_type)
        client = await self._ready()
        started = await client.create_multipart_upload(
            Bucket=self.config.bucket, Key=key, ContentType=content_type
        )
        return str(started["UploadId"])

    async def presigned_part_url(
        self, key: str, upload_id: str, number: int, expires_in: int = DEFAULT_EXPIRES_IN
    ) -> str:
        validate_key(key)
        validate_part_number(number)
        validate_expires_in(expires_in)
        client = await self._ready()
        params = {
            "Bucket": self.config.bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": number,
        }
        url = await client.generate_presigned_url(
            "upload_part", Params=params, ExpiresIn=expires_in
        )
        return cast(str, url)

    async def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        """The parts S3 holds for the upload (every page); StorageKeyNotFound if it is gone."""
        validate_key(key)
        client = await self._ready()
        found: list[UploadedPart] = []
        marker = 0
        while True:
            try:
                page = await client.list_parts(
                    Bucket=self.config.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
                )
            except ClientError as error:
                if _error_code(error) in {"NoSuchUpload", *_NOT_FOUND_CODES}:
                    raise StorageKeyNotFound(key) from None
                raise
            for part in page.get("Parts", []):
                found.append(
                    UploadedPart(
                        number=int(part["PartNumber"]),
                        size=int(part["Size"]),
                        etag=str(part["ETag"]),
                    )
                )
            if not page.get("IsTruncated"):
                return found
            marker = int(page["NextPartNumberMarker"])

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[UploadedPart]
    ) -> StoredObject:
        check_parts(parts)
        client = await self._ready()
        listed = [{"ETag": part.etag, "PartNumber": part.number} for part in parts]
        try:
            await client.complete_multipart_upload(
                Bucket=self.config.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": listed},
            )
        except ClientError as error:
            raise StorageError(f"S3 refused to complete the upload: {_error_code(error)}") from None
        return await self.stat(key)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        validate_key(key)
        client = await self._ready()
        try:
            await client.abort_multipart_upload(
                Bucket=self.config.bucket, Key=key, UploadId=upload_id
            )
        except ClientError as error:
            if _error_code(error) not in {"NoSuchUpload", *_NOT_FOUND_CODES}:
                raise

    async def delete(self, key: str) -> None:
        validate_key(key)
        client = await self._ready()
        await client.delete_object(Bucket=self.config.bucket, Key=key)

    # -- reading -------------------------------------------------------------------------

    async def _get_object(self, key: str) -> Any:
        validate_key(key)
        client = await self._ready()
        try:
            return await client.get_object(Bucket=self.config.bucket, Key=key)
        except ClientError as error:
            if _error_code(error) in _NOT_FOUND_CODES:
                raise StorageKeyNotFound(key) from None
            raise

    async def get(self, key: str) -> bytes:
        response = await self._get_object(key)
        async with response["Body"] as body:
            return cast(bytes, await body.read())

    async def stream(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        response = await self._get_object(key)
        async with response["Body"] as body:
            async for chunk in body.iter_chunks(chunk_size):
                yield chunk

    async def stat(self, key: str) -> StoredObject:
        validate_key(key)
        client = await self._ready()
        try:
            head = await client.head_object(Bucket=self.config.bucket, Key=key)
        except ClientError as error:
            if _error_code(error) in _NOT_FOUND_CODES:
                raise StorageKeyNotFound(key) from None
            raise
        sha256 = head.get("Metadata", {}).get(_SHA256_METADATA)
        return StoredObject(
            key=key,
            size=int(head["ContentLength"]),
            content_type=str(head.get("ContentType") or DEFAULT_CONTENT_TYPE),
            etag=str(head.get("ETag", "")).strip('"'),
            sha256=sha256 if isinstance(sha256, str) else None,
        )

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except StorageKeyNotFound:
            return False
        return True

    # -- URLs and signatures -------------------------------------------------------------

    def public_url(self, key: str) -> str:
        """The unsigned object URL (a CDN's when ``public_base_url`` is configured)."""
        validate_key(key)
        config = self.config
        path = quote(key, safe="/~")
        if config.public_base_url:
            return f"{config.public_base_url.rstrip('/')}/{path}"
        if config.endpoint_url:
            endpoint = urlsplit(config.endpoint_url)
            if config.addressing_style == "virtual":
                return f"{endpoint.scheme}://{config.bucket}.{endpoint.netloc}/{path}"
            return f"{config.endpoint_url.rstrip('/')}/{config.bucket}/{path}"
        return f"https://{config.bucket}.s3.{config.region}.amazonaws.com/{path}"

    async def presigned_url(self, key: str, expires_in: int = DEFAULT_EXPIRES_IN) -> str:
        validate_key(key)
        validate_expires_in(expires_in)
        client = await self._ready()
        url = await client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.config.bucket, "Key": key},
            ExpiresIn=expires_in,
        )
        return cast(str, url)

    async def presigned_post(
        self,
        key_prefix: str,
        max_bytes: int,
        expires_in: int = DEFAULT_EXPIRES_IN,
        content_type: str | None = None,
    ) -> PresignedPost:
        validate_key_prefix(key_prefix)
        validate_max_bytes(max_bytes)
        validate_expires_in(expires_in)
        fields: dict[str, str] = {}
        conditions: list[Any] = [["content-length-range", 0, max_bytes]]
        if content_type is not None:
            validate_content_type(content_type)
            fields["Content-Type"] = content_type
            conditions.append({"Content-Type": content_type})
        client = await self._ready()
        post = await client.generate_presigned_post(
            Bucket=self.config.bucket,
            Key=key_prefix + "${filename}",
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=expires_in,
        )
        return {"url": str(post["url"]), "fields": {k: str(v) for k, v in post["fields"].items()}}
