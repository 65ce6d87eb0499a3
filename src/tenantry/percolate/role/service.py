"""Role rules: create, change, delete, which roles a scope may use, and the built-ins.

A role is a core role plus its Percolate profile (``code``, built-in or not, owning scope).
The four built-ins of ``builtin_scope:system`` are provisioned into every account on first
use and are read-only; so are the core ``admin``/``member`` presets, shown as account roles.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.base import utcnow
from tenantry.core.errors import Conflict, FieldError
from tenantry.core.identity.models import Role, RolePermission, UserRole
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.scopes import ancestor_ids
from tenantry.core.tenancy import tenant_of
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid, parse_scope
from tenantry.percolate.role.bodies import RoleCreate, RoleUpdate
from tenantry.percolate.role.capabilities import BUILTIN_ROLES, CAPABILITIES
from tenantry.percolate.role.models import RoleProfile


def _checked_capabilities(capabilities: list[str]) -> list[str]:
    for capability in capabilities:
        if capability not in CAPABILITIES:
            raise invalid("capabilities", f"Unknown capability code {capability!r}.", capability)
    return sorted(set(capabilities))


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "role"


async def _taken(session: AsyncSession, tenant_id: int, name: str | None, code: str | None) -> None:
    if name is not None:
        clash = await session.scalar(
            select(func.count()).where(of_tenant(Role, tenant_id), Role.name == name)
        )
        if clash:
            raise Conflict("A role with this name exists.", [FieldError("name", "taken", name)])
    if code is not None:
        clash = await session.scalar(
            select(func.count()).where(of_tenant(RoleProfile, tenant_id), RoleProfile.code == code)
        )
        if clash:
            raise Conflict("A role with this code exists.", [FieldError("code", "taken", code)])


async def create_role(ctx: V5Context, body: RoleCreate) -> int:
    scope_id: int | None = None
    if body.scope_id is not None:
        scope_id = await ctx.scope_of(parse_scope(body.scope_id, "scope_id"), "scope_id")
    await ctx.require("role:manage", scope_id, "scope_id", body.scope_id)
    capabilities = _checked_capabilities(body.capabilities)
    name = body.name.strip()
    code = body.code or _slug(name)
    if not name:
        raise invalid("name", "A role needs a name.", body.name)
    await _taken(ctx.session, ctx.tenant_id, name, code)
    role = Role(tenant_id=ctx.tenant_id, name=name, description=body.description)
    ctx.session.add(role)
    await ctx.session.flush()
    ctx.session.add(RoleProfile(role_id=role.id, code=code, system=False, scope_id=scope_id))
    for capability in capabilities:
        ctx.session.add(RolePermission(role_id=role.id, permission=capability))
    await ctx.session.flush()
    return role.id


async def _editable(ctx: V5Context, key: int) -> tuple[Role, RoleProfile | None]:
    """A custom role the caller may manage; built-ins and presets are read-only (403)."""
    role = await ctx.session.get(Role, (ctx.tenant_id, key))
    profile = await ctx.session.get(RoleProfile, (ctx.tenant_id, key))
    if role is None or role.preset is not None or (profile is not None and profile.system):
        raise forbidden("role_id", f"role:{key}", "role")
    scope_id = profile.scope_id if profile is not None else None
    await ctx.require("role:manage", scope_id, "role_id", f"role:{key}")
    return role, profile


async def update_role(ctx: V5Context, key: int, body: RoleUpdate) -> None:
    role, _profile = await _editable(ctx, key)
    if body.name is not None and body.name.strip() != role.name:
        await _taken(ctx.session, ctx.tenant_id, body.name.strip(), None)
        role.name = body.name.strip()
    if body.description is not None:
        role.description = body.description
    if body.capabilities is not None:
        capabilities = _checked_capabilities(body.capabilities)
        await ctx.session.execute(
            delete(RolePermission).where(
                of_tenant(RolePermission, ctx.tenant_id), RolePermission.role_id == key
            )
        )
        for capability in capabilities:
            ctx.session.add(RolePermission(role_id=key, permission=capability))
    role.updated_at = utcnow()
    await ctx.session.flush()


async def delete_role(ctx: V5Context, key: int) -> None:
    role, profile = await _editable(ctx, key)
    assigned = await ctx.session.scalar(
        select(func.count()).where(of_tenant(UserRole, ctx.tenant_id), UserRole.role_id == key)
    )
    if assigned:
        raise Conflict(
            "The role is still granted to users; revoke those user roles first.",
            [FieldError("role_id", "in use", f"role:{key}")],
        )
    await ctx.session.execute(
        delete(RolePermission).where(
            of_tenant(RolePermission, ctx.tenant_id), RolePermission.role_id == key
        )
    )
    if profile is not None:
        await ctx.session.delete(profile)
        await ctx.session.flush()
    await ctx.session.delete(role)
    await ctx.session.flush()


async def usable_role(ctx: V5Context, role_id: int, scope_id: int | None, key: str) -> None:
    """403 unless ``role_id`` is a role of this account that may be granted in ``scope_id``:
    a built-in, an account role, or one owned by ``scope_id`` or an ancestor."""
    role = await ctx.session.get(Role, (ctx.tenant_id, role_id))
    if role is None:
        raise forbidden(key, f"role:{role_id}", "role")
    profile = await ctx.session.get(RoleProfile, (ctx.tenant_id, role_id))
    if profile is None or profile.system or profile.scope_id is None:
        return
    if scope_id is None or profile.scope_id not in await ancestor_ids(ctx.session, [scope_id]):
        raise forbidden(key, f"role:{role_id}", "role")


async def ensure_builtin_roles(session: AsyncSession) -> None:
    """Give the account the built-in roles it lacks (idempotent, race-safe)."""
    tenant_id = tenant_of(session)
    assert tenant_id is not None
    present = set(
        await session.scalars(
            select(RoleProfile.code).where(
                of_tenant(RoleProfile, tenant_id), RoleProfile.system.is_(True)
            )
        )
    )
    for builtin in BUILTIN_ROLES:
        if builtin.code in present:
            continue
        try:
            async with session.begin_nested():
                role = Role(tenant_id=tenant_id, name=builtin.name, description=builtin.description)
                session.add(role)
                await session.flush()
                session.add(RoleProfile(role_id=role.id, code=builtin.code, system=True))
                for capability in sorted(builtin.capabilities):
                    session.add(RolePermission(role_id=role.id, permission=capability))
                await session.flush()
        except IntegrityError:
            continue  # another request provisioned it (or a custom role took the name)
