"""A user in Percolate's shape (reference §3.16) and ``GET /api/v5/me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tenantry.core.errors import Unauthenticated
from tenantry.core.identity.models import User
from tenantry.core.platform import PlatformDep
from tenantry.core.tenancy import tenant_session
from tenantry.percolate import ids
from tenantry.percolate.api.auth import PrincipalDep
from tenantry.percolate.api.wire import timestamp

router = APIRouter(prefix="/api/v5", tags=["user"])

__all__ = ["present_user", "router"]


def present_user(user: User) -> dict[str, Any]:
    return {
        "id": ids.encode(ids.USER, user.id),
        "email": user.email,
        "name": user.name,
        "username": user.email,
        "timezone": user.timezone,
        "avatar_id": None,
        "active": user.active,
        "last_active": timestamp(user.last_login_at),
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
    }


@router.get("/me", operation_id="getMe", summary="The user the credentials act for")
@router.get("/me/", include_in_schema=False)
async def me(principal: PrincipalDep, platform: PlatformDep) -> JSONResponse:
    async with tenant_session(platform.sessions, principal.tenant_id) as session:
        user = await session.get(User, (principal.tenant_id, principal.user_id))
    if user is None:
        raise Unauthenticated("The credentials no longer belong to a user.")
    return JSONResponse({"data": present_user(user)})
