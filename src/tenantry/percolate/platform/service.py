"""Platform rules: native platforms are built-ins of
``builtin_scope:system`` (every account has them, nobody edits them); ``custom`` platforms
belong to a scope and need ``platform:manage`` there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.resources.scoped import of_tenant
from tenantry.core.tenancy import tenant_of
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import parse_scope
from tenantry.percolate.platform.bodies import PlatformCreate, PlatformUpdate
from tenantry.percolate.platform.declaration import NATIVE_PLATFORMS
from tenantry.percolate.platform.models import Platform


async def create_platform(ctx: V5Context, body: PlatformCreate) -> int:
    scope_id: int | None = None
    if body.scope_id is not None:
        scope_id = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
    await ctx.require("platform:manage", scope_id, "scope_id", body.scope_id)
    platform = Platform(
        tenant_id=ctx.tenant_id,
        name=body.name.strip() or body.name,
        type="custom",
        color=body.color,
        avatar_id=body.avatar_id,
        scope_id=scope_id,
    )
    ctx.session.add(platform)
    await ctx.session.flush()
    return platform.id


async def update_platform(ctx: V5Context, key: int, body: PlatformUpdate) -> None:
    platform = await ctx.session.get(Platform, (ctx.tenant_id, key))
    if platform is None or platform.system:
        raise forbidden("platform_id", f"platform:{key}", "platform")
    await ctx.require("platform:manage", platform.scope_id, "platform_id", f"platform:{key}")
    fields = body.model_fields_set
    if "scope_id" in fields and body.scope_id is not None:
        scope_id = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
        await ctx.require("platform:manage", scope_id, "scope_id", body.scope_id)
        platform.scope_id = scope_id
    if body.name is not None:
        platform.name = body.name.strip() or body.name
    if "color" in fields:
        platform.color = body.color
    if "avatar_id" in fields:
        platform.avatar_id = body.avatar_id
    await ctx.session.flush()


async def ensure_native_platforms(session: AsyncSession) -> None:
    """Give the account the native platforms it lacks (idempotent, race-safe)."""
    tenant_id = tenant_of(session)
    assert tenant_id is not None
    present = set(
        await session.scalars(
            select(Platform.builtin_key).where(
                of_tenant(Platform, tenant_id), Platform.system.is_(True)
            )
        )
    )
    for kind, name, color in NATIVE_PLATFORMS:
        if kind in present:
            continue
        try:
            async with session.begin_nested():
                session.add(
                    Platform(
                        tenant_id=tenant_id,
                        name=name,
                        type=kind,
                        color=color,
                        system=True,
                        builtin_key=kind,
                    )
                )
                await session.flush()
        except IntegrityError:
            continue
