"""The PERSCOM.io v1 face (served under ``/v1`` and ``/v2``): API keys, resources, spec.

``install`` mounts the versioned API, registers PERSCOM's error renderer for both version
prefixes, the scopes as permissions, the spec (``/v1/spec.json``, ``/v1/spec.yaml``...)
and the middleware that checks versions and sends PERSCOM's headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from tenantry.core.platform import Platform

if TYPE_CHECKING:
    from tenantry.perscom.face import PerscomRuntime

__all__ = ["PerscomFace", "face"]


class PerscomFace:
    """The face object ``tenantry.app.installed_faces()`` lists."""

    name = "perscom"
    job_modules = ("tenantry.perscom.resources.communications",)
    """Registers the message send job with the worker."""

    def __init__(self, *, key_rate: str | None = None, ip_rate: str | None = None) -> None:
        self.key_rate = key_rate
        self.ip_rate = ip_rate

    def install(self, app: FastAPI, platform: Platform) -> None:
        # Imported here so that importing the package for its models stays light.
        from tenantry.perscom.face import install

        install(app, platform, key_rate=self.key_rate, ip_rate=self.ip_rate)

    @staticmethod
    def runtime(app: FastAPI) -> PerscomRuntime:
        """The installed face's registry and keys (for tests and tools)."""
        from tenantry.perscom.face import runtime_of

        return runtime_of(app)


face = PerscomFace()
