"""The organisation's settings: its name (the tenant's, which PERSCOM's ``/settings`` shows in
the organization group and Percolate shows as the account's name) and every PERSCOM settings
group (organization, registration, dashboard, permission, fields, notifications, onboarding,
integration, user), one fieldset each. Unticked boxes are sent as off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import render
from tenantry.core.errors import ValidationFailed
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.settings import DEFAULTS
from tenantry.perscom.stored_settings import EDITABLE, save_settings, stored_settings
from tenantry.web.signin import SignedInUser
from tenantry.web.templating import Page, PageDep

PATH = "/console/organization"
FIELDS = {f"{group}.{name}": (group, name) for group, name in EDITABLE}
DEFAULT = {(group, name): value for group, name, value in DEFAULTS} | {
    ("organization", "email"): None,
    ("organization", "timezone"): "UTC",
}


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str
    """``text``, ``email``, ``flag`` (a checkbox), ``list`` (comma-separated) or ``id``."""
    help: str = ""


GROUPS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "Organisation",
        (
            Field("organization.email", "Contact email", "email",
                  "Left empty, PERSCOM shows the first user's email."),
            Field("organization.timezone", "Time zone", "text",
                  "An IANA name, such as Europe/London or America/Chicago."),
        ),
    ),
    (
        "Registration",
        (
            Field("registration.enabled", "People may register", "flag"),
            Field("registration.admin_approval_required", "New registrations need an admin's "
                  "approval", "flag"),
            Field("registration.default_roles", "Roles given on registration", "list",
                  "Role ids, separated by commas."),
        ),
    ),
    (
        "Dashboard",
        (
            Field("dashboard.title", "Dashboard title", "text"),
            Field("dashboard.subtitle", "Dashboard subtitle", "text"),
            Field("dashboard.domain", "Dashboard domain", "text", "For example hq.example.org."),
        ),
    ),
    (
        "Permissions",
        (
            Field("permission.default_roles", "Default roles", "list",
                  "Role names, separated by commas."),
            Field("permission.default_permissions", "Default permissions", "list",
                  "Permission names, separated by commas."),
        ),
    ),
    (
        "Fields",
        (Field("fields.users", "Custom fields on users", "list",
               "Field ids, separated by commas."),),
    ),
    (
        "Notifications",
        (
            Field("notifications.assignment_records", "Channels for assignment records", "list",
                  "For example mail, database."),
            Field("notifications.award_records", "Channels for award records", "list",
                  "For example mail, database."),
        ),
    ),
    (
        "Onboarding",
        (Field("onboarding.completed", "Onboarding is completed", "flag"),),
    ),
    (
        "Integration",
        (Field("integration.single_sign_on_enabled", "Single sign-on is on", "flag"),),
    ),
    (
        "Users",
        (Field("user.default_status", "Default status of new users", "id", "A status id."),),
    ),
)  # fmt: skip
"""The form, group by group: every key of ``EDITABLE`` once."""


def _shown(value: Any, kind: str) -> str:
    """A stored or default payload as the form's text (a ticked box is ``on``)."""
    if kind == "flag":
        return "on" if value else ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


router = APIRouter(include_in_schema=False)

__all__ = ["PATH", "router"]


async def _view(
    page: Page,
    admin: SignedInUser,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    if form is None:
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            stored = await stored_settings(session)
        kinds = {field.key: field.kind for _, fields in GROUPS for field in fields}
        form = {"name": admin.tenant_name}
        form |= {
            field: _shown(stored.get(key, DEFAULT.get(key)), kinds[field])
            for field, key in FIELDS.items()
        }
    return render(
        page,
        "console/organization.html",
        section=PATH,
        status=status,
        error=error,
        notice=notice,
        form=form,
        groups=GROUPS,
    )


@router.get(PATH)
async def organization(page: PageDep, done: int = 0) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    return await _view(page, admin, notice="The settings are saved." if done else None)


@router.post(PATH)
async def save(page: PageDep) -> Response:
    form = await page.form()
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    kept = {"name": str(form.get("name") or "")[:400]}
    kept |= {field: str(form.get(field) or "")[:2000] for field in FIELDS}
    try:
        async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
            await identity.rename_tenant(session, admin.tenant_id, kept["name"])
            await save_settings(session, {key: kept[field] for field, key in FIELDS.items()})
    except ValidationFailed as exc:
        return await _view(page, admin, status=400, error=exc.message, form=kept)
    return page.redirect(PATH + "?done=1")
