"""``python -m bench.portability``: export and import of a large tenant, rows/s and peak RSS.

Builds (once per run) a tenant of ``--users`` users, each with a PERSCOM profile and a role,
then runs ``tenantry tenant export`` and ``tenantry tenant import`` as child processes and
reports each one's wall time, rows per second and peak resident memory (``wait4``). Point it
at a database of your own (``--database-url``): the import adds a second tenant there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from tenantry.core import migrate
from tenantry.core.db import create_engine, session_factory
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import Role, User, UserRole
from tenantry.core.ids import allocate_ids
from tenantry.core.tenancy import enter_tenant
from tenantry.perscom.resources.people import UserProfile
from tenantry.settings import Settings, load_settings

BATCH = 5000
NAME = "portability"
USERS = 100_000


async def build(settings: Settings, users: int) -> int:
    """A tenant with ``users`` users, profiles and role grants; returns its id."""
    owner = create_engine(settings, as_app_role=False)
    await migrate.upgrade(owner, settings)
    await owner.dispose()
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session, session.begin():
            tenant = await identity.create_tenant(session, f"Bench portability {users}")
            await enter_tenant(session, tenant.id)
            member = await session.scalar(select(Role.id).where(Role.preset == "member"))
            connection = await session.connection()
            for start in range(0, users, BATCH):
                count = min(BATCH, users - start)
                ids = await connection.run_sync(lambda sync, n=count * 2: allocate_ids(sync, n))
                people = ids[:count]
                await connection.execute(
                    insert(User.__table__),
                    [
                        {
                            "tenant_id": tenant.id,
                            "id": user_id,
                            "email": f"user{start + n}@bench.example.org",
                            "name": f"Bench User {start + n}",
                        }
                        for n, user_id in enumerate(people)
                    ],
                )
                await connection.execute(
                    insert(UserProfile.__table__),
                    [{"tenant_id": tenant.id, "user_id": user_id} for user_id in people],
                )
                await connection.execute(
                    insert(UserRole.__table__),
                    [
                        {"tenant_id": tenant.id, "id": grant, "user_id": user_id, "role_id": member}
                        for grant, user_id in zip(ids[count:], people, strict=True)
                    ],
                )
            return tenant.id
    finally:
        await engine.dispose()


def measured(settings: Settings, *args: str) -> dict[str, Any]:
    """Run ``tenantry ARGS`` as a child; its wall time, peak RSS and JSON output."""
    environment = {
        **os.environ,
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.effective_secret_key,
    }
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "tenantry", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tenantry {' '.join(args)} failed")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, **json.loads(output)}


def _built_in_a_child(settings: Settings, users: int) -> int:
    """:func:`build` in a process of its own: a child's peak RSS (``wait4``) starts from its
    parent's at fork, so the parent must stay small for the figures to be the steps' own."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.portability",
            "--build-only",
            "--users",
            str(users),
            "--database-url",
            settings.effective_database_url,
            "--data-dir",
            str(settings.data_dir),
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        check=True,
    )
    return int(done.stdout.split()[-1])


def measure(database_url: str, users: int, data_dir: Path) -> str:
    """Build the tenant, export it, import it back; the figures as a Markdown section."""
    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        embedded_worker=False,
        demo_on_first_start=False,
    )
    started = time.perf_counter()
    tenant = _built_in_a_child(settings, users)
    built = time.perf_counter() - started
    archive = data_dir / "bench.tenantry"
    exported = measured(
        settings, "tenant", "export", "--tenant", str(tenant), "--output", str(archive)
    )
    imported = measured(settings, "tenant", "import", str(archive))
    engine = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    rows = exported["rows"]
    lines = [
        f"## Tenant export/import: {users} users ({rows} rows) on {engine}",
        "",
        f"Data set built in {built:.1f} s; archive {archive.stat().st_size / 1e6:.1f} MB; "
        f"load average {os.getloadavg()[0]:.1f} at the end (a shared machine lowers the rates). "
        "Each step is a `tenantry` child process: its wall time includes the start-up.",
        "",
        "| step | seconds | rows/s | peak RSS (MB) |",
        "|---|---:|---:|---:|",
    ]
    for step, figures in (("export", exported), ("import", imported)):
        lines.append(
            f"| {step} | {figures['seconds']:.1f} | {rows / figures['seconds']:,.0f} "
            f"| {figures['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines) + "\n"


async def fresh_database(admin_dsn: str, name: str) -> None:
    """Drop and create database ``name`` (the import adds a tenant: keep it off the bench's)."""
    import asyncpg

    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def run_for_bench(users: int | None = None) -> str:
    """``make bench``'s step: a database of its own next to the bench's, rebuilt each run."""
    from bench.common import ADMIN_DSN, DB_NAME, PG_HOST, PG_PORT, PG_USER, WORK_DIR

    name = f"{DB_NAME}_portability"
    asyncio.run(fresh_database(ADMIN_DSN, name))
    data_dir = WORK_DIR / "portability"
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    return measure(url, users or USERS, data_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--database-url", default="", help="Default: a SQLite file.")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--build-only", action="store_true", help="build; print the tenant id")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tenantry-bench-portability-"))
    if args.build_only:
        settings = load_settings(
            data_dir=data_dir,
            database_url=args.database_url,
            embedded_worker=False,
            demo_on_first_start=False,
        )
        print(asyncio.run(build(settings, args.users)))
        return
    print(measure(args.database_url, args.users, data_dir))


if __name__ == "__main__":
    main()
