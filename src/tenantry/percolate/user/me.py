"""A user in Percolate's shape (reference §3.16) and ``GET /api/v5/me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tenantry.core.errors import Unauthenticated
from tenantry.core.identity.models import User
from tenantry.core.platform import PlatformDep
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.api.auth import PrincipalDep
from tenantry.percolate.api.fields import row_of
from tenantry.percolate.api.schemas import error_responses
from tenantry.percolate.user.declaration import RESOURCE as USERS

router = APIRouter(prefix="/api/v5", tags=["user"])

__all__ = ["present_user", "router"]


def present_user(user: User) -> dict[str, Any]:
    """The user as ``/api/v5/user/`` shows it: that resource's wire fields, none of which
    reads the request context."""
    return USERS.present(row_of(user, USERS.columns), None)


@router.get(
    "/me",
    operation_id="getMe",
    summary="The user the credentials act for",
    responses={
        status: response for status, response in error_responses().items() if status in (401, 429)
    },
)
@router.get("/me/", include_in_schema=False)
async def me(principal: PrincipalDep, platform: PlatformDep) -> JSONResponse:
    async with tenant_session(platform.sessions, principal.tenant_id) as session:
        user = await session.get(User, (principal.tenant_id, principal.user_id))
    if user is None:
        raise Unauthenticated("The credentials no longer belong to a user.")
    return JSONResponse({"data": present_user(user)})
