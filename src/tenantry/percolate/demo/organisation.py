"""The demo account's organisation: a license group with two licenses and a brand, a
dozen users with roles in them, custom platforms, channels and a term tree."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.identity import service as identity
from tenantry.core.identity.models import UserRole
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.platform.models import Platform
from tenantry.percolate.platform.service import ensure_native_platforms
from tenantry.percolate.role.models import RoleProfile
from tenantry.percolate.role.service import ensure_builtin_roles
from tenantry.percolate.scope.service import add_scope
from tenantry.percolate.term.models import Term
from tenantry.settings import Settings

__all__ = ["seed_demo"]

PEOPLE = (
    ("Maya Chen", "license-admin", "group"),
    ("Omar Haddad", "community-manager", "paris"),
    ("Lena Fischer", "community-manager", "berlin"),
    ("Tom Okafor", "approvee-community-manager", "paris"),
    ("Sara Lindqvist", "approvee-community-manager", "berlin"),
    ("Diego Alvarez", "pam-download-share", "brand"),
    ("Aiko Tanaka", "community-manager", "brand"),
    ("Noah Williams", "license-admin", "paris"),
    ("Fatima Zahra", "pam-download-share", "group"),
    ("Jonas Berg", "community-manager", "group"),
    ("Priya Nair", "approvee-community-manager", "brand"),
    ("Lucas Moreau", "license-admin", "berlin"),
)
TAXONOMY = {
    "Products": ["Shoes", "Bags", "Accessories"],
    "Campaigns": ["Spring launch", "Holidays"],
}


async def seed_demo(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: int,
    admin_user_id: int,
) -> list[str]:
    """Fill the demo account; lines use ``{base}`` for the origin."""
    async with tenant_session(sessions, tenant_id) as session:
        await ensure_builtin_roles(session)
        await ensure_native_platforms(session)
        group = await add_scope(session, tenant_id, kind="license_group", name="Europe")
        group_wire = f"license_group:{group.id}"
        paris = await add_scope(session, tenant_id, kind="license", name="Paris", parent=group_wire)
        berlin = await add_scope(
            session, tenant_id, kind="license", name="Berlin", parent=group_wire
        )
        brand = await add_scope(
            session, tenant_id, kind="brand", name="Atelier", parent=f"license:{paris.id}"
        )
        scopes = {"group": group.id, "paris": paris.id, "berlin": berlin.id, "brand": brand.id}
        roles = dict((await session.execute(select(RoleProfile.code, RoleProfile.role_id))).all())
        for number, (name, role, where) in enumerate(PEOPLE, start=1):
            first = name.split()[0].lower()
            user = await identity.create_user(
                session, email=f"{first}.{number}@demo.example.org", name=name
            )
            session.add(UserRole(user_id=user.id, role_id=roles[role], scope_id=scopes[where]))
        facebook = await session.scalar(
            select(Platform.id).where(Platform.builtin_key == "native:facebook")
        )
        podcast = Platform(name="Podcast", type="custom", color="#7b3fe4", scope_id=paris.id)
        session.add(podcast)
        await session.flush()
        terms: list[int] = []
        for root_name, children in TAXONOMY.items():
            root = Term(
                name=root_name,
                name_key=root_name.lower(),
                namespace="taxonomy",
                scope_id=group.id,
                scope_key=group.id,
            )
            session.add(root)
            await session.flush()
            for child_name in children:
                child = Term(
                    name=child_name,
                    name_key=child_name.lower(),
                    namespace="taxonomy",
                    scope_id=group.id,
                    scope_key=group.id,
                    parent_id=root.id,
                    parent_key=root.id,
                    path=f"/{root.id}/",
                    depth=1,
                )
                session.add(child)
                await session.flush()
                terms.append(child.id)
        assert facebook is not None
        session.add_all(
            [
                Channel(
                    name="Atelier Paris",
                    type="facebook",
                    xid="78287873929",
                    scope_id=paris.id,
                    platform_id=facebook,
                    term_ids=terms[:1],
                ),
                Channel(
                    name="Atelier Berlin",
                    type="facebook",
                    xid="78287873930",
                    scope_id=berlin.id,
                    platform_id=facebook,
                ),
                Channel(
                    name="Atelier Radio",
                    type="custom",
                    scope_id=paris.id,
                    platform_id=podcast.id,
                    term_ids=terms[3:4],
                ),
            ]
        )
    return [
        "Percolate v5 organisation (license group Europe: licenses Paris and Berlin, brand"
        " Atelier; 12 users; platforms, channels, terms):",
        f'  curl -H "Authorization: Bearer $TOKEN" \'{{base}}/api/v5/user_role/?scope_ids='
        f"license:{paris.id}&include=user_id,role_id'",
        f'  curl -H "Authorization: Bearer $TOKEN" \'{{base}}/api/v5/term/?scope_ids={group_wire}'
        "&mode=taxonomy'",
        "  OpenAPI: {base}/api/v5/spec.json",
    ]
