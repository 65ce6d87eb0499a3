"""The PERSCOM.io v1 face (served under ``/v1`` and ``/v2``): API keys, resources, spec.

``install`` mounts the versioned API, registers PERSCOM's error renderer for both version
prefixes, the scopes as permissions, the spec (``/v1/spec.json``, ``/v1/spec.yaml``...)
and the middleware that checks versions and sends PERSCOM's headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tenantry.core.face import Commands, DemoSeeder

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pydantic_settings import BaseSettings

    from tenantry.core.platform import Platform
    from tenantry.perscom.face import PerscomRuntime

__all__ = ["PerscomFace", "face"]


class PerscomFace:
    """The face object ``tenantry.faces.FACES`` lists."""

    name = "perscom"
    job_modules: Sequence[str] = (
        "tenantry.perscom.resources.communications",
        "tenantry.perscom.activity.service",
    )
    """Register the message send job and the API log's prune job with the worker."""
    model_modules: Sequence[str] = ("tenantry.perscom.models",)

    def __init__(self, *, key_rate: str | None = None, ip_rate: str | None = None) -> None:
        self.key_rate = key_rate
        self.ip_rate = ip_rate

    def install(self, app: FastAPI, platform: Platform) -> PerscomRuntime:
        # Imported here so that importing the package for its models stays light.
        from tenantry.perscom.face import install

        return install(app, platform, key_rate=self.key_rate, ip_rate=self.ip_rate)

    def commands(self) -> Commands:
        from tenantry.perscom.cli import apikey_app
        from tenantry.perscom.commands import perscom_app

        return Commands(groups={"apikey": apikey_app, "perscom": perscom_app})

    def demo_seeders(self) -> Sequence[DemoSeeder]:
        from tenantry.perscom.demo import seed_demo

        return [seed_demo]

    def settings_models(self) -> Sequence[type[BaseSettings]]:
        from tenantry.perscom.limits import PerscomSettings

        return [PerscomSettings]

    @staticmethod
    def runtime(app: FastAPI) -> PerscomRuntime:
        """The installed face's registry and keys (for tests and tools)."""
        from tenantry.perscom.face import runtime_of

        return runtime_of(app)


face = PerscomFace()
