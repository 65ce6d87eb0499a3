"""``/api/v5/user/``: the account's users (reference §3.16), the same rows the PERSCOM face and
the web sign-in see.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tenantry.core.identity.models import User
from tenantry.core.identity.passwords import hash_password, verify_password
from tenantry.core.platform import PlatformDep
from tenantry.percolate.api.auth import CallerDep
from tenantry.percolate.api.context import forbidden, open_context
from tenantry.percolate.api.ids import ACCOUNT, invalid
from tenantry.percolate.api.params import parse_params, text_param
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
from tenantry.percolate.user import password_reset
from tenantry.percolate.user.bodies import PasswordChange, UserCreate, UserUpdate
from tenantry.percolate.user.declaration import KIND, RESOURCE
from tenantry.percolate.user.service import create_user, disable_user, update_user


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
        create_user,
        "Create a user (a duplicate email is a 409), optionally with a user role.",
    ),
    update=Update(
        UserUpdate, update_user, "Change a user; `active: false` disables, `true` reactivates."
    ),
    delete=Delete(disable_user, "Disable a user (not a hard delete); their tokens stop working."),
    list_description="Users of the account; `scope_ids` keeps those holding a role there.",
    extra_item_routes=_password_routes,
)
