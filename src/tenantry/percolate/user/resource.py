"""``/api/v5/user/``: the account's users (reference §3.16), the same rows the PERSCOM face and
the web sign-in see.

A caller reads (``user:read``), changes (``user:update``) or disables (``user:delete``) the
users who hold a role in a scope where it holds that capability, or every user when it holds
it account-wide; everyone reads and edits their own profile. Creating a user needs
``user:create`` in the scope of the ``user_role`` sent along (or account-wide without one).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, or_, select
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.errors import Conflict, FieldError
from tenantry.core.identity import service as identity
from tenantry.core.identity.models import User, UserRole
from tenantry.core.identity.passwords import hash_password, verify_password
from tenantry.core.platform import PlatformDep
from tenantry.core.resources.scoped import of_tenant
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.common import applying_in_scopes
from tenantry.percolate.api.context import V5Context, forbidden, open_context
from tenantry.percolate.api.fields import column, constant, nullable, timestamp, typed_id
from tenantry.percolate.api.ids import ACCOUNT, invalid
from tenantry.percolate.api.params import parse_params, text_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource, date_range
from tenantry.percolate.api.routes import (
    SECURITY,
    Create,
    Delete,
    Update,
    query_of,
    read_body,
    resource_router,
)
from tenantry.percolate.api.runtime import RuntimeDep
from tenantry.percolate.api.schemas import body_schema, error_responses
from tenantry.percolate.role import user_role
from tenantry.percolate.role.user_role import UserRoleOfNewUser
from tenantry.percolate.user import password_reset

__all__ = ["KIND", "RESOURCE", "router", "valid_timezone"]

KIND = user_role.USER


async def _holders_in_reach(ctx: V5Context, capability: str) -> Any:
    """A condition: users the caller may act on with ``capability`` (``None``: all)."""
    reach = await ctx.reach(capability)
    if reach.everywhere:
        return None
    holders = select(UserRole.user_id).where(
        of_tenant(UserRole, ctx.tenant_id), reach.condition(UserRole.scope_id)
    )
    return or_(User.id == ctx.user_id, User.id.in_(holders))


async def _visible(stmt: Select[Any], ctx: V5Context) -> Select[Any]:
    condition = await _holders_in_reach(ctx, "user:read")
    return stmt if condition is None else stmt.where(condition)


_GRANTS_IN_SCOPES = applying_in_scopes(UserRole.scope_id, hierarchical_param=False)


async def _in_scopes(stmt: Select[Any], values: dict[str, Any], ctx: V5Context) -> Select[Any]:
    """Users holding a role that applies in the given scopes."""
    if "scope_ids" not in values:
        return stmt
    grants = select(UserRole.user_id).where(of_tenant(UserRole, ctx.tenant_id))
    grants = await _GRANTS_IN_SCOPES.apply(grants, values, ctx)
    if ctx.alternatives:  # they belong to this subquery, not to the users list
        grants = grants.where(or_(*ctx.alternatives))
        ctx.alternatives = []
    return stmt.where(User.id.in_(grants))


RESOURCE = Resource(
    kind=KIND,
    model=User,
    title="User",
    fields=(
        typed_id("user", User.id),
        column(User.email, {"type": "string"}),
        column(User.name, {"type": "string"}),
        column(User.email, {"type": "string"}, name="username"),
        column(User.timezone, {"type": "string"}),
        constant("avatar_id", None, nullable({"type": "string"})),
        column(User.active, {"type": "boolean"}),
        timestamp(User.last_login_at, name="last_active"),
        timestamp(User.created_at),
        timestamp(User.updated_at),
    ),
    visible=_visible,
    order_fields={
        "name": OrderField(User.name),
        "email": OrderField(User.email),
        "created_at": OrderField(User.created_at),
    },
    filters=(
        ListFilter(_GRANTS_IN_SCOPES.params, _in_scopes),
        date_range("created_at", User.created_at),
    ),
)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(value: str, key: str = "timezone") -> str:
    """A tz database name (``America/New_York``, ``US/Eastern``, ``UTC``); abbreviations such
    as ``EST`` are refused, as the seed says."""
    if value != "UTC" and ("/" not in value or value not in _zones()):
        raise invalid(key, "A timezone name from the tz database, e.g. America/New_York.", value)
    return value


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(max_length=320, description="User's login email.")
    name: str = Field(min_length=1, max_length=200, description="The full name of the user.")
    timezone: str = Field(default="UTC", max_length=64, description="A tz database name.")
    user_role: UserRoleOfNewUser | None = Field(
        default=None, description="Automatically create a user role alongside the user."
    )


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    active: bool | None = None
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    old_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


async def _create(ctx: V5Context, body: UserCreate) -> int:
    timezone = valid_timezone(body.timezone)
    if body.user_role is None:
        await ctx.require("user:create", None, "user_role")
    else:
        from tenantry.percolate.api.ids import parse_scope

        scope_id = await ctx.scope_of(
            parse_scope(body.user_role.scope_id, "user_role.scope_id"), "user_role.scope_id"
        )
        await ctx.require("user:create", scope_id, "user_role.scope_id", body.user_role.scope_id)
    user = await identity.create_user(ctx.session, email=body.email, name=body.name)
    user.timezone = timezone
    await ctx.session.flush()
    if body.user_role is not None:
        await user_role.grant(
            ctx,
            user.id,
            body.user_role.role_id,
            body.user_role.scope_id,
            key_prefix="user_role.",
        )
    return user.id


async def _target(ctx: V5Context, key: int, capability: str) -> User:
    """The user ``key`` if the caller may act on it with ``capability``; 403 otherwise."""
    user = await ctx.session.get(User, (ctx.tenant_id, key))
    if user is None:
        raise forbidden("user_id", f"user:{key}", "user")
    if key == ctx.user_id:
        return user
    condition = await _holders_in_reach(ctx, capability)
    if condition is not None:
        allowed = await ctx.session.scalar(
            select(func.count()).where(of_tenant(User, ctx.tenant_id), User.id == key, condition)
        )
        if not allowed:
            raise forbidden("user_id", f"user:{key}", "user")
    return user


async def _update(ctx: V5Context, key: int, body: UserUpdate) -> None:
    user = await _target(ctx, key, "user:update")
    if body.active is not None and body.active != user.active:
        if key == ctx.user_id:
            raise forbidden("active", body.active, "user")
        await _target(ctx, key, "user:delete")
        user.active = body.active
    if body.email is not None:
        email = identity.normalize_email(body.email)
        if email != user.email:
            taken = await ctx.session.scalar(
                select(func.count()).where(of_tenant(User, ctx.tenant_id), User.email == email)
            )
            if taken:
                raise Conflict(
                    "A user with this email already exists.", [FieldError("email", "taken", email)]
                )
            user.email = email
    if body.name is not None:
        name = body.name.strip()
        if not name:
            raise invalid("name", "A user needs a name.", body.name)
        user.name = name
    if body.timezone is not None:
        user.timezone = valid_timezone(body.timezone)
    await ctx.session.flush()


async def _disable(ctx: V5Context, key: int) -> None:
    if key == ctx.user_id:
        raise forbidden("user_id", f"user:{key}", "user")
    user = await _target(ctx, key, "user:delete")
    user.active = False
    await ctx.session.flush()


def _password_routes(router: APIRouter) -> None:
    """``DELETE /user/password`` (reset mail) and ``PUT /user/{user_id}/password``; declared
    before the item routes so ``password`` is not read as a user id."""
    email_param = text_param(
        "email", "The email of the account whose password to reset.", max_length=320
    )
    account_param = text_param(
        "account_id",
        "The account (``account:<id>``) to look in (Tenantry addition; default: every account).",
        max_length=40,
    )

    async def reset(request: Request, platform: PlatformDep) -> Response:
        values = parse_params([email_param, account_param], query_of(request))
        if not values.get("email"):
            raise invalid("email", "The email parameter is required.")
        account: int | None = None
        if values.get("account_id"):
            head, _, tail = values["account_id"].partition(":")
            if head != ACCOUNT or not tail.isdigit() or len(tail) > 18:
                raise invalid(
                    "account_id", "Expected an account id such as account:3.", values["account_id"]
                )
            account = int(tail)
        client = request.client.host if request.client else "unknown"
        await password_reset.request_reset(
            platform, values["email"], account_id=account, client=client
        )
        return Response(status_code=204)

    for path, shown in (("/user/password", True), ("/user/password/", False)):
        router.add_api_route(
            path,
            reset,
            methods=["DELETE"],
            status_code=204,
            operation_id="sendPasswordReset" if shown else None,
            summary="Send reset password email",
            description=(
                "Email the user a password reset link. Available to unauthenticated users;"
                " heavily rate-limited; the same answer whether or not the address is known."
            ),
            include_in_schema=shown,
            responses={
                204: {"description": "Accepted (whether or not the address is known)."},
                **error_responses(auth=False),
            },
            openapi_extra={
                "parameters": [
                    {**email_param.openapi(), "required": True},
                    account_param.openapi(),
                ],
                "security": [],
            },
        )

    async def change_password(request: Request, runtime: RuntimeDep, caller: CallerDep) -> Response:
        value = request.path_params["user_id"]
        key = KIND.parse(value, "user_id")
        body = await read_body(request, PasswordChange)
        async with open_context(runtime, caller) as ctx:
            user = await ctx.session.get(User, (ctx.tenant_id, key))
            if user is None or key != ctx.user_id:
                raise forbidden("user_id", value, "user")
            valid, _ = verify_password(body.old_password, user.password_hash)
            if not valid:
                raise invalid("old_password", "The old password is not correct.")
            password_reset.check_new_password(body.new_password)
            user.password_hash = hash_password(body.new_password)
        return Response(status_code=204)

    router.add_api_route(
        "/user/{user_id}/password",
        change_password,
        methods=["PUT"],
        status_code=204,
        operation_id="changeUserPassword",
        summary="Change user password",
        description="Change your own password; `old_password` must be the current one.",
        responses={204: {"description": "Changed."}, **error_responses()},
        openapi_extra={
            "parameters": [
                {
                    "name": "user_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": KIND.path_pattern},
                }
            ],
            "requestBody": body_schema(PasswordChange),
            "security": SECURITY,
        },
    )


router = resource_router(
    RESOURCE,
    create=Create(
        UserCreate,
        _create,
        "Create a user (a duplicate email is a 409), optionally with a user role.",
    ),
    update=Update(
        UserUpdate, _update, "Change a user; `active: false` disables, `true` reactivates."
    ),
    delete=Delete(_disable, "Disable a user (not a hard delete); their tokens stop working."),
    list_description="Users of the account; `scope_ids` keeps those holding a role there.",
    extra_item_routes=_password_routes,
)
