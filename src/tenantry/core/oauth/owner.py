"""The resource owner as Authlib passes it around, for either face's OAuth server."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["UserRef"]


@dataclass(frozen=True)
class UserRef:
    """A user of the session's tenant (Authlib asks it only for ``get_user_id``)."""

    tenant_id: int
    user_id: int

    def get_user_id(self) -> int:
        return self.user_id
