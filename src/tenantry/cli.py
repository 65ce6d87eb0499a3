"""The ``tenantry`` command (DESIGN.md §6): the core's commands plus every face's.

Commands that create something print one JSON object on stdout; every error is one line on
stderr with a non-zero exit status (2 for a bad setting, 1 for everything else). The helpers
for that contract live in :mod:`tenantry.core.console`, where faces import them from.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from tenantry import faces
from tenantry.core import migrate as migrations
from tenantry.core.audit.cli import audit_app
from tenantry.core.console import emit, fail, run, settings_or_exit, with_sessions
from tenantry.core.db import create_engine, ping
from tenantry.core.face import Face
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User
from tenantry.core.tenancy import Tenant, tenant_session
from tenantry.settings import Settings

app = typer.Typer(
    help="Tenantry: a self-hosted server for the PERSCOM.io v1 and Percolate v5 APIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
tenant_app = typer.Typer(help="Manage tenants (organisations / accounts).", no_args_is_help=True)
user_app = typer.Typer(help="Manage users inside a tenant.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")


@app.callback()
def validate_settings() -> None:
    """Every command (``serve`` and ``worker`` included) starts from valid settings, the
    faces' own too: a bad value exits 2 with one line naming the variable."""
    settings_or_exit(faces.settings_models())


app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    down: Annotated[bool, typer.Option("--down", help="Downgrade to REVISION instead.")] = False,
) -> None:
    """Apply (or revert) database migrations."""

    async def work(settings: Settings) -> None:
        engine = create_engine(settings, as_app_role=False)
        try:
            if down:
                await migrations.downgrade(engine, settings, revision)
            else:
                await migrations.upgrade(engine, settings, revision)
            current = await migrations.current_revision(engine)
        finally:
            await engine.dispose()
        typer.echo(f"database at revision {current}", err=True)

    run(work)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="On an empty database, create the demo tenant.")
    ] = False,
) -> None:
    """Serve the HTTP API (applies migrations first on the embedded SQLite default)."""
    import uvicorn

    from tenantry.app import create_app
    from tenantry.demo import first_start_banner
    from tenantry.draining import DrainingServer
    from tenantry.logging import configure_logging

    async def prepare(settings: Settings) -> str | None:
        engine = create_engine(settings, as_app_role=not settings.is_sqlite)
        try:
            await ping(engine)
            if settings.is_sqlite:
                await migrations.upgrade(engine, settings)
            elif not await migrations.serves_head(engine, settings):
                fail("the database is not at the latest migration: run `tenantry migrate`")
        finally:
            await engine.dispose()
        if demo or settings.demo_on_first_start:
            return await first_start_banner(settings, host, port)
        return None

    settings = settings_or_exit()
    banner = run(prepare)
    configure_logging(settings.log_level, settings.log_format)
    return_large_buffers_to_the_os()
    if banner:
        typer.echo(banner, err=True)
    application = create_app(settings)
    freeze_startup_objects()
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,  # uvicorn.access is held at WARNING (tenantry.logging): never written
        timeout_graceful_shutdown=30,
        proxy_headers=False,  # the app trusts TENANTRY_TRUSTED_PROXIES only (create_app)
    )
    DrainingServer(config, application.state.platform, settings.drain_seconds).run()


def freeze_startup_objects() -> None:
    """Move what start-up built (modules, routes, models, the SQLAlchemy metadata: about
    340,000 objects) out of the cyclic collector's reach. A full collection walked them all,
    a 150 ms pause every so often under load that every request in flight waited out; they
    live as long as the process anyway. Freed by reference counting as before."""
    import gc

    gc.collect()
    gc.freeze()


def return_large_buffers_to_the_os() -> None:
    """glibc raises its mmap threshold as large buffers are freed, after which request-sized
    buffers (socket reads, bodies) come from the heap and stay in the process's memory for
    good; pinning the threshold at 128 KiB returns them. No-op without glibc."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        return


@app.command()
def worker() -> None:
    """Run a background job worker until SIGTERM/SIGINT (for deployments at scale)."""
    from tenantry.core.jobs import run_worker
    from tenantry.logging import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    run(lambda s: run_worker(s, modules=faces.job_modules()))


@app.command("citus-ddl")
def citus_ddl() -> None:
    """Print the Citus DDL that shards every tenant table by tenant_id (docs/deploy.md)."""
    from tenantry.core.distribution import citus_statements, distribution_problems
    from tenantry.models import Base

    problems = distribution_problems(Base.metadata)
    if problems:
        fail("the schema cannot be distributed by tenant_id: " + "; ".join(problems))
    for line in citus_statements(Base.metadata):
        typer.echo(line)


@app.command()
def check() -> None:
    """Check the settings and reach the database, storage, SMTP and Redis: one line each."""
    from tenantry.core.check import run_checks

    probes = run(run_checks)
    for probe in probes:
        typer.echo(probe.line())
    if not all(probe.ok for probe in probes):
        raise typer.Exit(1)


demo_app = typer.Typer()
app.add_typer(demo_app, name="demo")


@demo_app.callback(invoke_without_command=True)
def demo(ctx: typer.Context) -> None:
    """Create a tenant full of realistic data and print how to call it."""
    if ctx.invoked_subcommand is not None:
        return
    from tenantry.demo import create_demo

    async def work(settings: Settings) -> dict[str, Any]:
        return await with_sessions(settings, lambda sessions: create_demo(settings, sessions))

    emit(run(work))


@tenant_app.command("create")
def tenant_create(name: Annotated[str, typer.Option(help="The organisation's name.")]) -> None:
    """Create a tenant with its built-in admin and member roles."""

    async def work(settings: Settings) -> dict[str, Any]:
        async def create(sessions: Any) -> dict[str, Any]:
            async with sessions() as session, session.begin():
                tenant = await identity.create_tenant(session, name)
                return {"id": tenant.id, "name": tenant.name}

        return await with_sessions(settings, create)

    emit(run(work))


@tenant_app.command("list")
def tenant_list() -> None:
    """List tenants, one JSON object per line."""

    async def work(settings: Settings) -> list[Tenant]:
        async def fetch(sessions: Any) -> list[Tenant]:
            async with sessions() as session:
                return list(await session.scalars(select(Tenant).order_by(Tenant.id)))

        return await with_sessions(settings, fetch)

    for tenant in run(work):
        emit({"id": tenant.id, "name": tenant.name, "active": tenant.active})


@tenant_app.command("export")
def tenant_export(
    tenant: Annotated[int, typer.Option(help="Tenant id.")],
    output: Annotated[Path, typer.Option(help="Archive to write (e.g. t.tenantry).")],
) -> None:
    """Write every row and stored file of a tenant into one archive."""
    import tenantry.models  # noqa: F401  (every face's tables: the archive holds them all)
    from tenantry.core.portability.export import export_tenant
    from tenantry.core.portability.progress import progress_bar

    async def work(settings: Settings) -> dict[str, Any]:
        with progress_bar() as bar:
            return await export_tenant(settings, tenant, output, bar)

    emit(run(work))


@tenant_app.command("import")
def tenant_import(
    archive: Annotated[Path, typer.Argument(help="Archive written by `tenantry tenant export`.")],
    name: Annotated[str | None, typer.Option(help="Rename the imported tenant.")] = None,
) -> None:
    """Restore an archive as a new tenant (all or nothing), with fresh admin credentials."""
    import tenantry.models  # noqa: F401  (every face's tables: the archive holds them all)
    from tenantry.core.portability.importer import import_tenant
    from tenantry.core.portability.progress import progress_bar
    from tenantry.reissue import reissue_credentials

    async def work(settings: Settings) -> dict[str, Any]:
        async def restore(sessions: Any) -> dict[str, Any]:
            with progress_bar() as bar:
                made = await import_tenant(settings, archive, name=name, tracker=bar)
            return {**made, **await reissue_credentials(settings, sessions, made["tenant_id"])}

        return await with_sessions(settings, restore)

    emit(run(work))


@user_app.command("create")
def user_create(
    tenant: Annotated[int, typer.Option(help="Tenant id.")],
    email: Annotated[str, typer.Option(help="Email, unique in the tenant.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    password: Annotated[str | None, typer.Option(help="Password for web sign-in.")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Role name; repeatable.")] = None,
) -> None:
    """Create a user in a tenant (optionally with roles such as `admin`)."""

    async def work(settings: Settings) -> dict[str, Any]:
        async def create(sessions: Any) -> dict[str, Any]:
            async with sessions() as session:
                await identity.get_tenant(session, tenant)
            async with tenant_session(sessions, tenant) as session:
                user = await identity.create_user(
                    session, email=email, name=name, password=password, roles=role or []
                )
                return {"id": user.id, "tenant_id": tenant, "email": user.email, "name": user.name}

        return await with_sessions(settings, create)

    emit(run(work))


@user_app.command("list")
def user_list(tenant: Annotated[int, typer.Option(help="Tenant id.")]) -> None:
    """List a tenant's users, one JSON object per line."""

    async def work(settings: Settings) -> list[User]:
        async def fetch(sessions: Any) -> list[User]:
            async with sessions() as session:
                await identity.get_tenant(session, tenant)
            async with tenant_session(sessions, tenant) as session:
                return list(await session.scalars(select(User).order_by(User.id)))

        return await with_sessions(settings, fetch)

    for user in run(work):
        emit({"id": user.id, "email": user.email, "name": user.name, "active": user.active})


def add_face_commands(cli: typer.Typer, demo: typer.Typer, listed: Sequence[Face]) -> None:
    """Mount each face's sub-commands on ``cli`` and its demo commands on ``demo``."""
    for face in listed:
        commands = face.commands()
        for name, group in commands.groups.items():
            cli.add_typer(group, name=name)
        for extra in commands.demo:
            demo.add_typer(extra)


add_face_commands(app, demo_app, faces.FACES)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
