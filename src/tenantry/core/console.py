"""Helpers every ``tenantry`` command uses, the core's and the faces' alike.

Commands that create something print one JSON object on stdout (:func:`emit`); every error is
one line on stderr with a non-zero exit status (2 for a bad setting, 1 for everything else).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsError
from sqlalchemy.exc import DBAPIError

from tenantry.core import migrate as migrations
from tenantry.core.audit.actor import Actor
from tenantry.core.audit.actor import fallback as audit_fallback
from tenantry.core.db import create_engine, session_factory
from tenantry.core.errors import TenantryError
from tenantry.settings import Settings, describe_error, load_settings, mask_url

__all__ = ["emit", "fail", "run", "settings_or_exit", "with_sessions"]

T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"tenantry: {message}", err=True)
    raise typer.Exit(code)


def emit(payload: dict[str, Any]) -> None:
    """Print one JSON object on stdout: the contract for commands that create things."""
    typer.echo(json.dumps(payload, default=str))


def settings_or_exit(extra: Sequence[type[BaseSettings]] = ()) -> Settings:
    """The settings, with ``extra`` (the faces' own) validated too; exit 2 on a bad value."""
    model: type[BaseSettings] = Settings
    try:
        settings = load_settings()
        for model in extra:
            model()
    except ValidationError as exc:
        fail(f"bad setting {describe_error(model, exc)}", code=2)
    except SettingsError as exc:
        fail(f"bad setting: {exc}", code=2)
    return settings


def run(work: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    """Run one async command with clean, one-line errors."""
    settings = settings_or_exit()
    attributed = audit_fallback.set(Actor(None, "cli"))
    try:
        return asyncio.run(work(settings))
    except TenantryError as exc:
        fail(exc.message)
    except (DBAPIError, OSError) as exc:
        fail(
            f"cannot use the database at {mask_url(settings.effective_database_url)}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        )
    finally:
        audit_fallback.reset(attributed)


async def with_sessions(
    settings: Settings, work: Callable[..., Awaitable[T]], *, migrate_first: bool = False
) -> T:
    """Run ``work(sessions)`` on a fresh engine (migrating first on SQLite), then dispose it."""
    if migrate_first or settings.is_sqlite:
        owner = create_engine(settings, as_app_role=False)
        try:
            await migrations.upgrade(owner, settings)
        finally:
            await owner.dispose()
    engine = create_engine(settings)
    try:
        return await work(session_factory(engine))
    finally:
        await engine.dispose()
