"""The permission catalogue: every permission name any face checks, registered by the face.

Roles reference permissions by name. Preset roles expand at check time: ``admin`` holds
every registered permission, ``member`` every read-only one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ADMIN_PRESET = "admin"
MEMBER_PRESET = "member"
PRESETS = (ADMIN_PRESET, MEMBER_PRESET)


@dataclass(frozen=True)
class Permission:
    name: str
    face: str
    description: str = ""
    read_only: bool = False


class PermissionCatalogue:
    def __init__(self) -> None:
        self._permissions: dict[str, Permission] = {}

    def register(self, permissions: Iterable[Permission]) -> None:
        for permission in permissions:
            known = self._permissions.get(permission.name)
            if known is not None and known != permission:
                raise ValueError(f"permission {permission.name!r} registered twice, differently")
            self._permissions[permission.name] = permission

    def __contains__(self, name: object) -> bool:
        return name in self._permissions

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._permissions.values())

    def names(self) -> frozenset[str]:
        return frozenset(self._permissions)

    def expand_preset(self, preset: str) -> frozenset[str]:
        if preset == ADMIN_PRESET:
            return frozenset(self._permissions)
        if preset == MEMBER_PRESET:
            return frozenset(p.name for p in self._permissions.values() if p.read_only)
        raise ValueError(f"unknown preset {preset!r}")


catalogue = PermissionCatalogue()
"""The process-wide catalogue; faces register into it when they are imported."""
