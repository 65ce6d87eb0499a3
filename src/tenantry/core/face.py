"""The plug between the platform and a face (the web pages, Percolate, PERSCOM).

A face joins Tenantry only through this protocol. ``install`` mounts it on an app and
returns the face's runtime (whatever it needs at request time); the app, the ``tenantry``
command, the demo, the worker and the model registry ask the listed faces
(``tenantry.faces.FACES``) for their part instead of importing any face by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from pydantic_settings import BaseSettings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.settings import Settings

if TYPE_CHECKING:
    import typer
    from fastapi import FastAPI

    from tenantry.core.platform import Platform

__all__ = ["Commands", "DemoSeeder", "Face"]

DemoSeeder = Callable[[Settings, async_sessionmaker[AsyncSession], int, int], Awaitable[list[str]]]
"""(settings, sessions, tenant_id, admin_user_id) -> lines telling how to call that face,
with ``{base}`` standing for the server's origin."""


@dataclass(frozen=True)
class Commands:
    """What a face adds to the ``tenantry`` command."""

    groups: Mapping[str, typer.Typer] = field(default_factory=dict)
    """Top-level sub-commands by name, e.g. ``{"apikey": apikey_app}``."""
    demo: Sequence[typer.Typer] = ()
    """Apps whose commands join ``tenantry demo``, e.g. ``tenantry demo receiver``."""


class Face(Protocol):
    """An API face (or the shared web pages) as the platform sees it."""

    name: str
    job_modules: Sequence[str]
    """Modules whose import registers the face's job handlers; every worker imports them."""
    model_modules: Sequence[str]
    """Modules that map the face's tables, for the model registry and Alembic."""

    def install(self, app: FastAPI, platform: Platform) -> object:
        """Mount routes, error renderers, permissions and spec; return the face's runtime."""
        ...

    def commands(self) -> Commands:
        """The face's CLI commands (imported on call, so listing the faces stays light)."""
        ...

    def demo_seeders(self) -> Sequence[DemoSeeder]:
        """What the demo tenant gets from the face, in the order to run them."""
        ...

    def settings_models(self) -> Sequence[type[BaseSettings]]:
        """The face's own settings classes, validated with the core's when any process starts."""
        ...
