"""The variants job: an image asset's renditions, stored and recorded in one go.

Idempotent: a rerun replaces the asset's variants. An image Pillow refuses (a bomb, broken
bytes) turns the asset's status to ``error`` instead of failing the job again and again.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from sqlalchemy import delete

from tenantry.core.base import utcnow
from tenantry.core.jobs import JobContext, job_handlers
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.storage import StorageKeyNotFound, open_storage
from tenantry.percolate.asset.models import VARIANTS_JOB, Asset, Variant
from tenantry.percolate.asset.probe import ImageRefused
from tenantry.percolate.variant.renditions import render


@job_handlers.register(VARIANTS_JOB)
async def make_variants(ctx: JobContext, payload: dict[str, Any]) -> None:
    assert ctx.tenant_id is not None
    tenant_id = ctx.tenant_id
    asset = await ctx.session.get(Asset, (tenant_id, int(payload["asset_id"])))
    if asset is None or asset.type != "image":
        return
    storage = open_storage(ctx.settings)
    try:
        try:
            data = await storage.get(asset.storage_key)
            renditions = await anyio.to_thread.run_sync(render, data)
        except StorageKeyNotFound:
            return
        except ImageRefused:
            asset.status, asset.updated_at = "error", utcnow()
            return
        rows = []
        for rendition in renditions:
            key = f"variants/{tenant_id}/{asset.id}/{rendition.name}"
            await storage.put(key, rendition.data, rendition.content_type)
            rows.append(
                Variant(
                    tenant_id=tenant_id,
                    asset_id=asset.id,
                    name=rendition.name,
                    type="image",
                    content_type=rendition.content_type,
                    size=len(rendition.data),
                    width=rendition.width,
                    height=rendition.height,
                    storage_key=key,
                )
            )
    finally:
        await storage.close()
    await ctx.session.execute(
        delete(Variant).where(of_tenant(Variant, tenant_id), Variant.asset_id == asset.id)
    )
    ctx.session.add_all(rows)
    await ctx.session.flush()
