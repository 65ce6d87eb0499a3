"""The faces this build ships: the one module that names them.

The app, the ``tenantry`` command, the demo, the worker and the model registry iterate these
lists; nothing else imports a face to wire it in. Importing this module is light: each face
package imports its routes, commands and seeders only when asked for them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_settings import BaseSettings

from tenantry import percolate, perscom
from tenantry.console.face import face as console
from tenantry.core.face import DemoSeeder, Face
from tenantry.web.face import face as web

__all__ = ["DEMO", "FACES", "demo_seeders", "job_modules", "model_modules", "settings_models"]

FACES: tuple[Face, ...] = (web, percolate.face, perscom.face, console)
"""Every face, in install order (which orders the docs' spec list and permission catalogue)."""

DEMO: tuple[Face, ...] = (perscom.face, percolate.face)
"""The faces whose demo data the demo tenant gets, in the order their seeders run."""


def job_modules(listed: Sequence[Face] = FACES) -> list[str]:
    """Modules that register the faces' job handlers; every worker imports them."""
    return [module for face in listed for module in face.job_modules]


def model_modules(listed: Sequence[Face] = FACES) -> list[str]:
    """Modules that map the faces' tables."""
    return [module for face in listed for module in face.model_modules]


def settings_models(listed: Sequence[Face] = FACES) -> list[type[BaseSettings]]:
    """The faces' own settings classes (``TENANTRY_<FACE>_*``)."""
    return [model for face in listed for model in face.settings_models()]


def demo_seeders(listed: Sequence[Face] = DEMO) -> list[DemoSeeder]:
    """The faces' demo seeders, face by face in ``listed`` order."""
    return [seeder for face in listed for seeder in face.demo_seeders()]
