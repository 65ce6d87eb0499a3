"""Identity rules: creating tenants with their built-in roles, users, grants.

Functions take the session first (no hidden state); the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from tenantry.core.identity.models import Role, RolePermission, User, UserRole
from tenantry.core.identity.passwords import hash_password
from tenantry.core.identity.permissions import ADMIN_PRESET, MEMBER_PRESET, catalogue
from tenantry.core.tenancy import Tenant, enter_tenant, tenant_of

BUILTIN_ROLES = {
    ADMIN_PRESET: "Every permission of every face, at the account scope.",
    MEMBER_PRESET: "Read-only access.",
}


def normalize_email(email: str) -> str:
    """Validate syntax (no DNS look-up) and return the normalized address."""
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(
            "The email address is not valid.", [FieldError("email", str(exc), email)]
        ) from exc


async def create_tenant(session: AsyncSession, name: str) -> Tenant:
    """A tenant with its built-in ``admin`` and ``member`` roles.

    The session is scoped to the new tenant afterwards, so the caller can go on filling it.
    """
    name = name.strip()
    if not name:
        raise ValidationFailed("A tenant needs a name.", [FieldError("name", "required", name)])
    tenant = Tenant(name=name)
    session.add(tenant)
    await session.flush()
    await enter_tenant(session, tenant.id)
    for preset, description in BUILTIN_ROLES.items():
        session.add(Role(tenant_id=tenant.id, name=preset, description=description, preset=preset))
    await session.flush()
    return tenant


async def get_tenant(session: AsyncSession, tenant_id: int) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"No tenant with id {tenant_id}.")
    return tenant


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password: str | None = None,
    roles: Sequence[str] = (),
) -> User:
    """Create a user in the session's tenant; the email must be unused in that tenant."""
    tenant_id = _require_tenant(session)
    email = normalize_email(email)
    name = name.strip()
    if not name:
        raise ValidationFailed("A user needs a name.", [FieldError("name", "required", name)])
    taken = await session.scalar(select(func.count()).select_from(User).where(User.email == email))
    if taken:
        raise Conflict(
            "A user with this email already exists.", [FieldError("email", "taken", email)]
        )
    user = User(
        tenant_id=tenant_id,
        email=email,
        name=name,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    await session.flush()
    for role_name in roles:
        role = await role_by_name(session, role_name)
        session.add(UserRole(user_id=user.id, role_id=role.id))
    await session.flush()
    return user


async def role_by_name(session: AsyncSession, name: str) -> Role:
    role = await session.scalar(select(Role).where(Role.name == name))
    if role is None:
        raise NotFound(f"No role named {name!r} in this tenant.")
    return role


async def effective_permissions(session: AsyncSession, user_id: int) -> frozenset[str]:
    """Every permission the user holds tenant-wide through their roles (presets expanded).

    Roles granted in one scope only (``UserRole.scope_id``) are not tenant-wide: they count
    where ``tenantry.core.scopes`` checks them, not here.
    """
    presets = await session.scalars(
        select(Role.preset)
        .join(UserRole, (UserRole.role_id == Role.id) & (UserRole.tenant_id == Role.tenant_id))
        .where(UserRole.user_id == user_id, UserRole.scope_id.is_(None), Role.preset.is_not(None))
    )
    granted: set[str] = set()
    for preset in presets:
        if preset is not None:
            granted |= catalogue.expand_preset(preset)
    explicit = await session.scalars(
        select(RolePermission.permission)
        .join(
            UserRole,
            (UserRole.role_id == RolePermission.role_id)
            & (UserRole.tenant_id == RolePermission.tenant_id),
        )
        .where(
            UserRole.user_id == user_id,
            UserRole.scope_id.is_(None),
            RolePermission.tenant_id == _require_tenant(session),
        )
    )
    granted.update(explicit)
    return frozenset(granted)


def _require_tenant(session: AsyncSession) -> int:
    tenant_id = tenant_of(session)
    if tenant_id is None:
        raise RuntimeError("this operation needs a tenant-scoped session")
    return tenant_id


async def end_sessions(session: AsyncSession, user_id: int) -> int:
    """Bump the user's session version (ending every web session issued before); returns
    the new version, for the browser that asked to carry on with."""
    tenant_id = _require_tenant(session)
    bumped = await session.scalar(
        update(User)
        .where(User.tenant_id == tenant_id, User.id == user_id)
        .values(session_version=User.session_version + 1)
        .returning(User.session_version)
        .execution_options(synchronize_session=False)
    )
    return int(bumped or 0)


async def rename_tenant(session: AsyncSession, tenant_id: int, name: str) -> Tenant:
    """Give a tenant a new name (what both faces show as the organisation's name)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(
            "An organisation needs a name of 1 to 200 characters.",
            [FieldError("name", "1 to 200 characters", name[:200])],
        )
    tenant = await get_tenant(session, tenant_id)
    tenant.name = name
    await session.flush()
    return tenant
