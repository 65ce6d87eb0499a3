"""The demo tenant: what a newcomer gets on first start, and what ``tenantry demo`` makes.

Each face adds its own realistic data and "how to call me" lines through its demo seeders
(``Face.demo_seeders``), run in the order the faces are listed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry import faces
from tenantry.core.analyze import Analyzer
from tenantry.core.db import create_engine, session_factory
from tenantry.core.face import Face
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import Tenant
from tenantry.models import Base
from tenantry.settings import Settings

DEMO_ADMIN_EMAIL = "admin@demo.example.org"


async def create_demo(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    listed: Sequence[Face] = faces.DEMO,
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
    for seeder in faces.demo_seeders(listed):
        instructions.extend(await seeder(settings, sessions, tenant.id, admin.id))
    # A bulk load across most tables: statistics now, not when autoanalyze gets to them.
    analyzer = Analyzer(settings)
    try:
        await analyzer.analyze(Base.metadata.tables.values())
    finally:
        await analyzer.close()
    return {
        "tenant_id": tenant.id,
        "admin_email": DEMO_ADMIN_EMAIL,
        "admin_password": password,
        "instructions": instructions,
    }


CREDENTIALS_FILE = "demo-credentials.txt"
"""Where the demo's password, keys and tokens go (mode 0600), never to the log."""


def write_credentials(settings: Settings, lines: Sequence[str]) -> Path:
    """Keep the demo's secrets in the data dir, readable by the operator only."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / CREDENTIALS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


async def first_start_banner(settings: Settings, host: str, port: int) -> str:
    """On an empty database create the demo tenant; return what to print for the operator.

    Only asked for explicitly (``serve --demo``): a deployment never gets a demo admin by
    accident. The banner goes to the server's log, so it names the credentials file instead
    of printing the password, keys and tokens.
    """
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
        path = write_credentials(
            settings,
            [
                f"Demo tenant {made['tenant_id']} on {base}",
                f"sign in as {made['admin_email']} / {made['admin_password']}",
                *(line.replace("{base}", base) for line in made["instructions"]),
            ],
        )
        lines += [
            f"A demo tenant was created (id {made['tenant_id']}).",
            f"  its sign-in and ready-to-paste calls (with their secrets) are in {path}",
        ]
    return "\n".join(lines) + "\n"
