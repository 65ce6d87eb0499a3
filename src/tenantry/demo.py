"""The demo tenant: what a newcomer gets on first start, and what ``tenantry demo`` makes.

Faces add their own realistic data and "how to call me" lines through ``DEMO_SEEDERS``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.db import create_engine, session_factory
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import Tenant
from tenantry.settings import Settings

DemoSeeder = Callable[[Settings, async_sessionmaker[AsyncSession], int, int], Awaitable[list[str]]]
"""(settings, sessions, tenant_id, admin_user_id) -> lines telling how to call that face."""


def _face_seeders() -> list[DemoSeeder]:
    from tenantry.percolate.demo.content import seed_demo as percolate_content_demo
    from tenantry.percolate.demo.oauth import seed_demo as percolate_demo
    from tenantry.percolate.demo.organisation import seed_demo as percolate_v5_demo
    from tenantry.perscom.demo import seed_demo as perscom_demo

    return [perscom_demo, percolate_demo, percolate_v5_demo, percolate_content_demo]


DEMO_SEEDERS: list[DemoSeeder] = _face_seeders()

DEMO_ADMIN_EMAIL = "admin@demo.example.org"


async def create_demo(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> dict[str, Any]:
    """Create a demo tenant with an admin who can sign in; returns what was made."""
    password = secrets.token_urlsafe(12)
    async with sessions() as session, session.begin():
        tenant = await identity.create_tenant(session, "Demo Organisation")
        admin = await identity.create_user(
            session,
            email=DEMO_ADMIN_EMAIL,
            name="Demo Administrator",
            password=password,
            roles=["admin"],
        )
    instructions: list[str] = []
    for seeder in DEMO_SEEDERS:
        instructions.extend(await seeder(settings, sessions, tenant.id, admin.id))
    return {
        "tenant_id": tenant.id,
        "admin_email": DEMO_ADMIN_EMAIL,
        "admin_password": password,
        "instructions": instructions,
    }


async def first_start_banner(settings: Settings, host: str, port: int) -> str:
    """On an empty database create the demo tenant; return what to print for the operator."""
    base = f"http://{host}:{port}"
    engine = create_engine(settings, as_app_role=not settings.is_sqlite)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            tenants = await session.scalar(select(func.count()).select_from(Tenant))
        made = await create_demo(settings, sessions) if not tenants else None
    finally:
        await engine.dispose()
    lines = [
        "",
        f"Tenantry is starting on {base}",
        f"  health:  curl {base}/healthz",
        f"  docs:    open {base}/docs",
    ]
    if made:
        lines += [
            f"A demo tenant was created (id {made['tenant_id']}).",
            f"  sign in as {made['admin_email']} / {made['admin_password']}",
            *("  " + line.replace("{base}", base) for line in made["instructions"]),
        ]
    return "\n".join(lines) + "\n"
