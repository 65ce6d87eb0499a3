"""Object storage: one interface, a local-files backend and an S3 backend, chosen by settings."""

from __future__ import annotations

from pathlib import Path

from tenantry.core.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    DEFAULT_EXPIRES_IN,
    MAX_EXPIRES_IN,
    PresignedPost,
    Storage,
    StorageError,
    StorageKeyNotFound,
    StoredObject,
    validate_key,
)
from tenantry.core.storage.local import FILES_PATH, LocalStorage
from tenantry.core.storage.policy import (
    PolicyViolation,
    resolve_upload_key,
    verify_post_policy,
    verify_presigned_get,
)
from tenantry.core.storage.s3 import S3Config, S3Storage
from tenantry.settings import Settings

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_CONTENT_TYPE",
    "DEFAULT_EXPIRES_IN",
    "FILES_PATH",
    "MAX_EXPIRES_IN",
    "LocalStorage",
    "PolicyViolation",
    "PresignedPost",
    "S3Config",
    "S3Storage",
    "Storage",
    "StorageError",
    "StorageKeyNotFound",
    "StoredObject",
    "check_storage_url",
    "open_storage",
    "resolve_upload_key",
    "validate_key",
    "verify_post_policy",
    "verify_presigned_get",
]


def check_storage_url(url: str) -> None:
    """Raise ``ValueError`` unless ``url`` is a storage URL :func:`open_storage` understands."""
    url = url.strip()
    if not url or url.startswith("file://"):
        return
    if url.startswith("s3://"):
        S3Config.from_url(url)
        return
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise ValueError(
        f"unsupported scheme {scheme!r}: "
        "use an empty value or file://PATH for local files, or s3://BUCKET?endpoint_url=... for S3"
    )


def open_storage(settings: Settings) -> Storage:
    """The backend ``settings.storage_url`` names.

    ``""`` means files under ``<data_dir>/files``; ``file://PATH`` means files under
    ``PATH`` (``file:///abs`` or ``file://relative``); ``s3://BUCKET?...`` means S3.
    """
    url = settings.storage_url.strip()
    if not url or url.startswith("file://"):
        path = url.removeprefix("file://")
        root = Path(path) if path else settings.data_dir / "files"
        return LocalStorage(
            root, secret_key=settings.effective_secret_key, base_url=settings.base_url
        )
    check_storage_url(url)
    return S3Storage.from_url(url)
