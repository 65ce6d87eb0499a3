"""An arrived file becomes an asset: one pass over the bytes (MD5, first bytes), the type
sniffed, an image probed, duplicates within the scope detected, variants queued.

Runs in the caller's tenant session (a request polling its upload, or a job), so the asset,
the upload's new status and the variants job commit together. Refused files are removed
from storage: nothing half-written remains.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.jobs import enqueue
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.storage import Storage, StorageKeyNotFound
from tenantry.percolate.asset.kinds import asset_type, sniff
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.asset.probe import ImageRefused, probe

VARIANTS_JOB = "percolate.asset.variants"
PROBE_BYTES = 1024 * 1024
"""Image headers (and EXIF) sit in the first bytes; Pillow reads the size from them."""


@dataclass(frozen=True)
class Arrival:
    """A stored object and where it goes."""

    key: str
    scope_id: int
    folder_id: int | None
    filename: str
    declared_type: str | None
    creator_id: int | None
    created_through: str | None = None


@dataclass(frozen=True)
class Outcome:
    """``ready`` (a new asset), ``duplicate`` (the scope's existing one) or ``error``."""

    status: str
    asset_id: int | None = None
    error: str | None = None
    file_hash: str | None = None
    size: int | None = None
    content_type: str | None = None


async def ingest(
    session: AsyncSession, tenant_id: int, storage: Storage, arrival: Arrival
) -> Outcome | None:
    """The asset for ``arrival`` (``None`` when nothing is stored under its key yet)."""
    try:
        stored = await storage.stat(arrival.key)
    except StorageKeyNotFound:
        return None
    digest = hashlib.md5(usedforsecurity=False)
    head = bytearray()
    async for chunk in storage.stream(arrival.key):
        digest.update(chunk)
        if len(head) < PROBE_BYTES:
            head.extend(chunk[: PROBE_BYTES - len(head)])
    file_hash = digest.hexdigest()
    content_type = sniff(bytes(head), arrival.declared_type, arrival.filename)
    kind = asset_type(content_type)
    facts = None
    if kind == "image":
        try:
            facts = await anyio.to_thread.run_sync(probe, bytes(head))
        except ImageRefused as refused:
            await storage.delete(arrival.key)
            return Outcome("error", error=str(refused), file_hash=file_hash, size=stored.size)
    existing = await session.scalar(
        select(Asset.id).where(
            of_tenant(Asset, tenant_id),
            Asset.scope_id == arrival.scope_id,
            Asset.file_hash == file_hash,
            Asset.deleted.is_(False),
        )
    )
    if existing is not None:
        await storage.delete(arrival.key)
        return Outcome("duplicate", int(existing), None, file_hash, stored.size, content_type)
    asset = Asset(
        tenant_id=tenant_id,
        scope_id=arrival.scope_id,
        folder_id=arrival.folder_id,
        type=kind,
        content_type=content_type,
        filename=arrival.filename[:255],
        title=arrival.filename[:255],
        size=stored.size,
        status="ready",
        created_through=arrival.created_through,
        creator_id=arrival.creator_id,
        storage_key=arrival.key,
        file_hash=file_hash,
        width=facts.width if facts else None,
        height=facts.height if facts else None,
        exif=facts.exif if facts else {},
    )
    session.add(asset)
    await session.flush()
    if facts is not None:
        await enqueue(
            session, VARIANTS_JOB, {"asset_id": asset.id}, tenant_id=tenant_id, max_attempts=3
        )
    return Outcome("ready", asset.id, None, file_hash, stored.size, content_type)
