"""``GET /settings`` (``view:settings``): the organisation's settings as laravel-settings rows.

PERSCOM keeps one row per setting, ``{id, group, name, locked, payload, created_at,
updated_at}``. The rows are derived: the organization group from the tenant (its name, the
first user's e-mail, UTC), the other groups at PERSCOM's defaults, each overridden by what an
admin changed in the console (:mod:`tenantry.perscom.stored_settings`). Secrets (the SSO key)
are never listed.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, cast, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tenantry.core.auth import require
from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.resources.sql import mapping
from tenantry.core.tenancy import Tenant
from tenantry.perscom.engine.actions import list_path
from tenantry.perscom.engine.context import FORBIDDEN, CallOpener
from tenantry.perscom.engine.query import Page, page_request
from tenantry.perscom.engine.runtime import format_datetime
from tenantry.perscom.engine.serialize import paginated, respond
from tenantry.perscom.stored_settings import PerscomSetting

DEFAULTS: tuple[tuple[str, str, Any], ...] = (
    ("registration", "enabled", True),
    ("registration", "admin_approval_required", False),
    ("registration", "default_roles", []),
    ("dashboard", "title", None),
    ("dashboard", "subtitle", None),
    ("dashboard", "domain", None),
    ("permission", "default_roles", ["User"]),
    ("permission", "default_permissions", []),
    ("fields", "users", []),
    ("notifications", "assignment_records", []),
    ("notifications", "award_records", []),
    ("onboarding", "completed", False),
    ("integration", "single_sign_on_enabled", False),
    ("user", "default_status", None),
)
"""Every group but organization, at PERSCOM's defaults (``App\\Settings\\*``)."""


def settings_routes(open_call: CallOpener) -> list[BaseRoute]:
    async def index(request: Request) -> Response:
        async with open_call(request, writing=False) as call:
            require(call.principal, "view:settings", FORBIDDEN)
            page = page_request(request)
            tenant = mapping(
                (
                    await call.db.rows(
                        select(Tenant.name, Tenant.created_at, Tenant.updated_at).where(
                            Tenant.id == call.tenant_id
                        )
                    )
                )[0]
            )
            email = await call.db.scalar(
                select(User.email).where(of_tenant(User, call.tenant_id)).order_by(User.id).limit(1)
            )
            # The payload as JSON text: a bare JSON string would be ambiguous after a driver's
            # own decoding, so both engines hand over the text and it is decoded once here.
            changed_rows = await call.db.rows(
                select(
                    PerscomSetting.group,
                    PerscomSetting.name,
                    cast(PerscomSetting.payload, Text).label("payload"),
                ).where(of_tenant(PerscomSetting, call.tenant_id))
            )
        stored = {
            (r["group"], r["name"]): json.loads(r["payload"])
            for r in map(mapping, changed_rows)
            if r["payload"] is not None
        }
        stamp = format_datetime(tenant["created_at"])
        changed = format_datetime(tenant["updated_at"])
        values = (
            ("organization", "name", tenant["name"]),
            ("organization", "email", email),
            ("organization", "timezone", "UTC"),
            *DEFAULTS,
        )
        rows = [
            {
                "id": number,
                "group": group,
                "name": name,
                "locked": False,
                "payload": payload,
                "created_at": stamp,
                "updated_at": changed,
            }
            for number, (group, name, default) in enumerate(values, start=1)
            for payload in [stored.get((group, name), default)]
        ]
        start = (page.number - 1) * page.size
        shown = rows[start : start + page.size]
        return respond(paginated(shown, Page(shown, len(rows), page), list_path(request)))

    return [Route("/settings", index, methods=["GET"], include_in_schema=False)]
