"""An arrived file becomes an asset: one pass over the bytes (MD5, first bytes), the type
sniffed, an image probed, an audio or video file's duration read (its bytes kept aside in a
temporary file during the pass: a container may put its index at the end), duplicates
within the scope detected, variants queued.

Runs in the caller's tenant session (a request polling its upload, or a job), so the asset,
the upload's new status and the variants job commit together. Refused files are removed
from storage: nothing half-written remains.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from typing import IO, Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.jobs import enqueue
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.storage import Storage, StorageKeyNotFound
from tenantry.percolate.asset.duration import TIMED_TYPES, duration
from tenantry.percolate.asset.kinds import SNIFF_BYTES, asset_type, sniff
from tenantry.percolate.asset.models import VARIANTS_JOB, Asset
from tenantry.percolate.asset.probe import ImageRefused, probe
from tenantry.percolate.asset.versions import new_version

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
    replaces: int | None = None
    """An asset whose file this one replaces (its next version)."""


@dataclass(frozen=True)
class Outcome:
    """``ready`` (a new asset), ``duplicate`` (the scope's existing one) or ``error``."""

    status: str
    asset_id: int | None = None
    error: str | None = None
    file_hash: str | None = None
    size: int | None = None
    content_type: str | None = None


async def _read(
    storage: Storage, arrival: Arrival, spool: IO[bytes]
) -> tuple[str, bytearray, bool]:
    """MD5 hex, the first bytes, and whether the file is audio or video (then also in
    ``spool``)."""
    digest = hashlib.md5(usedforsecurity=False)
    head = bytearray()
    timed: bool | None = None
    waiting: list[bytes] = []
    async for chunk in storage.stream(arrival.key):
        digest.update(chunk)
        if len(head) < PROBE_BYTES:
            head.extend(chunk[: PROBE_BYTES - len(head)])
        if timed is None:
            waiting.append(chunk)
            if len(head) < SNIFF_BYTES:
                continue
            found = sniff(bytes(head[:SNIFF_BYTES]), arrival.declared_type, arrival.filename)
            timed = asset_type(found) in TIMED_TYPES
            chunk, waiting = b"".join(waiting), []
        if timed:
            await anyio.to_thread.run_sync(spool.write, chunk)
    return digest.hexdigest(), head, bool(timed)


async def ingest(
    session: AsyncSession, tenant_id: int, storage: Storage, arrival: Arrival
) -> Outcome | None:
    """The asset for ``arrival`` (``None`` when nothing is stored under its key yet)."""
    try:
        stored = await storage.stat(arrival.key)
    except StorageKeyNotFound:
        return None
    with tempfile.TemporaryFile() as spool:
        file_hash, head, timed = await _read(storage, arrival, spool)
        seconds = await anyio.to_thread.run_sync(duration, spool) if timed else None
    content_type = sniff(bytes(head), arrival.declared_type, arrival.filename)
    kind = asset_type(content_type)
    facts = None
    if kind == "image":
        try:
            facts = await anyio.to_thread.run_sync(probe, bytes(head))
        except ImageRefused as refused:
            await storage.delete(arrival.key)
            return Outcome("error", error=str(refused), file_hash=file_hash, size=stored.size)
    if arrival.replaces is not None:
        file = {
            "type": kind,
            "content_type": content_type,
            "filename": arrival.filename[:255],
            "size": stored.size,
            "storage_key": arrival.key,
            "file_hash": file_hash,
            "width": facts.width if facts else None,
            "height": facts.height if facts else None,
            "duration": seconds if kind in TIMED_TYPES else None,
            "exif": facts.exif if facts else {},
        }
        return await _replace(session, tenant_id, storage, arrival, file)
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
        duration=seconds if kind in TIMED_TYPES else None,
    )
    session.add(asset)
    await session.flush()
    if facts is not None:
        await enqueue(
            session, VARIANTS_JOB, {"asset_id": asset.id}, tenant_id=tenant_id, max_attempts=3
        )
    return Outcome("ready", asset.id, None, file_hash, stored.size, content_type)


async def _replace(
    session: AsyncSession, tenant_id: int, storage: Storage, arrival: Arrival, file: dict[str, Any]
) -> Outcome:
    """The file becomes the next version of ``arrival.replaces`` (the same bytes as its
    current one: ``duplicate``, nothing changes)."""
    assert arrival.replaces is not None
    asset = await session.get(Asset, (tenant_id, arrival.replaces))
    facts = (file["file_hash"], file["size"], file["content_type"])
    if asset is None or asset.deleted:
        await storage.delete(arrival.key)
        return Outcome("error", None, "The asset to replace was deleted.", *facts)
    if asset.file_hash == file["file_hash"]:
        await storage.delete(arrival.key)
        return Outcome("duplicate", asset.id, None, *facts)
    await new_version(session, asset, file, arrival.creator_id)
    return Outcome("ready", asset.id, None, *facts)
