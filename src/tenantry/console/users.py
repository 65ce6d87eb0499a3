"""Users and roles: the tenant's people, paged; invite by email; change a user's roles;
disable or enable; reset a user's two-factor (after a confirmation).

Invitations mail a sign-up link through the job queue (:mod:`tenantry.core.identity.invitations`).
An admin cannot disable themselves or drop their own admin role, so an organisation always
keeps a way into the console.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import page_number, paged_rows, render
from tenantry.core.errors import NotFound, TenantryError
from tenantry.core.identity import administration, invitations, two_factor
from tenantry.core.identity.models import Role, User, UserRole
from tenantry.core.identity.permissions import ADMIN_PRESET, MEMBER_PRESET
from tenantry.core.tenancy import tenant_session
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page, PageDep

PATH = "/console/users"

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]

__all__ = ["PATH", "router"]


async def _list_view(
    page: Page,
    user: SignedInUser,
    number: int = 1,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    async with tenant_session(page.platform.sessions, user.tenant_id) as session:
        people, shown = await paged_rows(session, User, number, order=User.id)
        grants = (
            await session.execute(
                select(UserRole.user_id, Role.name)
                .join(Role, (Role.id == UserRole.role_id) & (Role.tenant_id == UserRole.tenant_id))
                .where(UserRole.user_id.in_([p.id for p in people]), UserRole.scope_id.is_(None))
                .order_by(Role.name)
            )
        ).all()
        roles = list(await session.scalars(select(Role).order_by(Role.name)))
    held: dict[int, list[str]] = {}
    for user_id, role_name in grants:
        held.setdefault(user_id, []).append(role_name)
    return render(
        page,
        "console/users.html",
        section=PATH,
        status=status,
        error=error,
        notice=notice,
        people=[{"user": p, "roles": held.get(p.id, [])} for p in people],
        roles=roles,
        paging=shown,
        form=form or {"email": "", "name": "", "role": MEMBER_PRESET},
    )


@router.get(PATH)
async def users(page: PageDep, done: str = "") -> Response:
    user = await admin_of(page)
    if isinstance(user, Response):
        return user
    notice = "The invitation is on its way." if done == "invited" else None
    return await _list_view(page, user, page_number(page), notice=notice)


@router.post(PATH + "/invite")
async def invite(page: PageDep) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    kept = {
        "email": str(form.get("email") or "")[:320],
        "name": str(form.get("name") or "")[:200],
        "role": str(form.get("role") or "")[:100],
    }
    try:
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            await invitations.invite(
                session,
                page.platform.settings,
                email=kept["email"],
                name=kept["name"] or kept["email"].split("@")[0],
                roles=[kept["role"]],
                organisation=admin.tenant_name,
                invited_by=admin.name,
            )
    except TenantryError as exc:
        return await _list_view(page, admin, status=400, error=exc.message, form=kept)
    return page.redirect(PATH + "?done=invited")


async def _person_view(
    page: Page, admin: SignedInUser, user_id: int, *, notice: str | None = None
) -> Response:
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        person = await administration.get_user(session, user_id)
        held = await administration.tenant_wide_role_ids(session, user_id)
        second_factor = await two_factor.is_enabled(session, user_id)
        roles = list(await session.scalars(select(Role).order_by(Role.name)))
    return render(
        page,
        "console/user.html",
        section=PATH,
        notice=notice,
        person=person,
        roles=roles,
        held=held,
        two_factor_on=second_factor,
        is_self=user_id == admin.user_id,
    )


@router.get(PATH + "/{user_id}")
async def person(page: PageDep, user_id: RowId, done: str = "") -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    notices = {
        "roles": "The roles are saved.",
        "disabled": "The user is disabled and signed out.",
        "enabled": "The user is enabled again.",
        "two-factor": "Two-factor is reset. The user can sign in with the password alone and "
        "set it up again.",
    }
    return await _person_view(page, admin, user_id, notice=notices.get(done))


@router.post(PATH + "/{user_id}/roles")
async def change_roles(page: PageDep, user_id: RowId) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    wanted = {int(v) for v in form.getlist("roles") if isinstance(v, str) and v.isdigit()}
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        if user_id == admin.user_id:  # never lock oneself out of the console
            wanted |= set(await session.scalars(select(Role.id).where(Role.preset == ADMIN_PRESET)))
        await administration.set_roles(session, user_id, wanted)
    return page.redirect(f"{PATH}/{user_id}?done=roles")


_CONFIRM = {
    "disable": (
        "Disable {name}?",
        "They are signed out at once and cannot sign in until enabled again.",
        "Disable user",
    ),
    "reset-two-factor": (
        "Reset two-factor of {name}?",
        "Their authenticator app and recovery codes stop working; they sign in with the "
        "password alone until they set two-factor up again.",
        "Reset two-factor",
    ),
}


@router.get(PATH + "/{user_id}/{action}")
async def confirm(page: PageDep, user_id: RowId, action: str) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    if action not in _CONFIRM:
        raise NotFound("No such page.")
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        person = await administration.get_user(session, user_id)
    heading, message, button = _CONFIRM[action]
    return render(
        page,
        "console/confirm.html",
        section=PATH,
        heading=heading.format(name=person.name),
        message=message,
        action=f"{PATH}/{user_id}/{action}",
        button=button,
        back=f"{PATH}/{user_id}",
    )


async def _set_active(page: Page, user_id: int, active: bool) -> Response:
    await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    if user_id == admin.user_id and not active:
        return await _person_view(page, admin, user_id, notice="You cannot disable yourself.")
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        await administration.set_active(session, user_id, active)
    return page.redirect(f"{PATH}/{user_id}?done={'enabled' if active else 'disabled'}")


@router.post(PATH + "/{user_id}/disable")
async def disable(page: PageDep, user_id: RowId) -> Response:
    return await _set_active(page, user_id, False)


@router.post(PATH + "/{user_id}/enable")
async def enable(page: PageDep, user_id: RowId) -> Response:
    return await _set_active(page, user_id, True)


@router.post(PATH + "/{user_id}/reset-two-factor")
async def reset_two_factor(page: PageDep, user_id: RowId) -> Response:
    await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        await administration.reset_two_factor(session, user_id)
    return page.redirect(f"{PATH}/{user_id}?done=two-factor")
