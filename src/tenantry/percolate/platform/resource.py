"""``/api/v5/platform/`` (reference §3.8): native platforms are built-ins of
``builtin_scope:system`` (every account has them, nobody edits them); ``custom`` platforms
belong to a scope and need ``platform:manage`` there."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.resources.scoped import of_tenant
from tenantry.core.tenancy import tenant_of
from tenantry.percolate.api.common import owned_by_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.fields import column, nullable, scope, timestamp, typed_id
from tenantry.percolate.api.ids import SCOPE_PATTERN, IdKind, parse_scope
from tenantry.percolate.api.params import choice_param, text_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource, date_range
from tenantry.percolate.api.routes import Create, Update, resource_router
from tenantry.percolate.platform.models import Platform

__all__ = ["KIND", "NATIVE_PLATFORMS", "RESOURCE", "ensure_native_platforms", "router"]

KIND = IdKind("platform")
COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
AVATAR_PATTERN = r"^(?:asset:\d[\d_-]*|video:[a-zA-Z\d]+|license:\d+:image:\d+)$"
NATIVE_PLATFORMS: tuple[tuple[str, str, str], ...] = (
    ("native:facebook", "Facebook", "#3b5998"),
    ("native:twitter", "Twitter", "#55acee"),
    ("native:instagram", "Instagram", "#3f729b"),
    ("native:linkedin", "LinkedIn", "#0077b5"),
    ("native:pinterest", "Pinterest", "#cb2027"),
    ("native:tumblr", "Tumblr", "#32506d"),
    ("native:youtube", "YouTube", "#bb0000"),
    ("native:vimeo", "Vimeo", "#1ab7ea"),
    ("native:weibo", "Weibo", "#e6162d"),
    ("native:snapchat", "Snapchat", "#fffc00"),
    ("native:radio", "Radio", "#6a737d"),
    ("native:dotcom", "Dotcom", "#24292e"),
)


async def _search(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if values.get("search"):
        needle = values["search"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Platform.name.ilike(f"%{needle}%", escape="\\"))
    if values.get("type") == "native":
        stmt = stmt.where(Platform.type.like("native:%"))
    elif values.get("type") == "custom":
        stmt = stmt.where(Platform.type == "custom")
    return stmt


RESOURCE = Resource(
    kind=KIND,
    model=Platform,
    title="Platform",
    fields=(
        typed_id("platform", Platform.id),
        column(Platform.name),
        column(Platform.type, {"type": "string", "pattern": r"^(native:[a-z_]+|custom)$"}),
        column(Platform.color, nullable({"type": "string"})),
        column(Platform.avatar_id, nullable({"type": "string"})),
        scope(Platform.scope_id, system=Platform.system),
        timestamp(Platform.created_at),
        timestamp(Platform.updated_at),
    ),
    visible=visible_in_reach("platform:read", Platform.scope_id, Platform.system),
    order_fields={"name": OrderField(Platform.name), "created_at": OrderField(Platform.created_at)},
    filters=(
        owned_by_scopes(Platform.scope_id, Platform.system),
        ListFilter(
            (
                text_param("search", "Search platform by name."),
                choice_param("type", "Platform type to filter by.", ("native", "custom")),
            ),
            _search,
        ),
        date_range("created_at", Platform.created_at),
    ),
)


class PlatformCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200, description="The name of the platform.")
    type: Literal["custom"] = Field(
        default="custom", description="Only custom platforms can be created or edited."
    )
    color: str | None = Field(default=None, pattern=COLOR_PATTERN)
    avatar_id: str | None = Field(default=None, pattern=AVATAR_PATTERN)
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)


class PlatformUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: Literal["custom"] | None = None
    color: str | None = Field(default=None, pattern=COLOR_PATTERN)
    avatar_id: str | None = Field(default=None, pattern=AVATAR_PATTERN)
    scope_id: str | None = Field(default=None, pattern=SCOPE_PATTERN)


async def _create(ctx: V5Context, body: PlatformCreate) -> int:
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


async def _update(ctx: V5Context, key: int, body: PlatformUpdate) -> None:
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


router = resource_router(
    RESOURCE,
    create=Create(PlatformCreate, _create, "Create a custom platform (`platform:manage`)."),
    update=Update(PlatformUpdate, _update, "Change a custom platform; native ones are read-only."),
    list_description="Native platforms (`builtin_scope:system`) and the account's custom ones.",
)
