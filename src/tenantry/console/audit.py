"""The audit log: the organisation's entries newest first, filtered by actor, resource and
date, each with its field changes (before → after, excerpted).

Filters are parsed by :mod:`tenantry.core.audit.query`, the code the CLI and both APIs use,
so a bad one is refused with the same message, shown on the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.responses import Response

from tenantry.console.access import admin_of
from tenantry.console.layout import PAGE_SIZE, page_number, paging, render
from tenantry.core.audit import query
from tenantry.core.audit.models import AuditEntry
from tenantry.core.errors import ValidationFailed
from tenantry.core.identity.models import User
from tenantry.core.tenancy import tenant_session
from tenantry.web.templating import PageDep

PATH = "/console/audit"
FILTERS = ("actor", "resource", "since", "until")
EXCERPT = 80
"""Characters of a value shown; the whole entry stays readable through the CLI and APIs."""
MAX_FIELDS = 12

router = APIRouter(include_in_schema=False)

__all__ = ["PATH", "router"]


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str
    after: str


def excerpt(value: Any) -> str:
    """A value as short text: strings as they are, anything else as JSON, cut to fit."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def field_changes(entry: AuditEntry) -> list[FieldChange]:
    shown = []
    for name, pair in list(entry.changes.items())[:MAX_FIELDS]:
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        shown.append(FieldChange(name, excerpt(before), excerpt(after)))
    return shown


@router.get(PATH)
async def audit_log(page: PageDep) -> Response:
    admin = await admin_of(page)
    if isinstance(admin, Response):
        return admin
    params = page.request.query_params
    typed = {key: params.get(key, "")[:200] for key in FILTERS}
    try:
        filters = query.parse_filters(
            typed["since"] or None,
            typed["actor"] or None,
            typed["resource"] or None,
            typed["until"] or None,
        )
    except ValidationFailed as exc:
        return render(
            page,
            "console/audit.html",
            section=PATH,
            status=400,
            error=exc.message,
            form=typed,
            rows=[],
            paging=paging(1, 0),
            query={},
        )
    async with tenant_session(page.platform.sessions, admin.tenant_id) as session:
        total = await query.count(session, admin.tenant_id, filters)
        shown = paging(page_number(page), total)
        entries = await query.page(
            session, admin.tenant_id, filters, offset=shown.offset, limit=PAGE_SIZE
        )
        actor_ids = {e.actor_user_id for e in entries if e.actor_user_id is not None}
        names = dict(
            (await session.execute(select(User.id, User.name).where(User.id.in_(actor_ids)))).all()
        )
    rows = [
        {
            "entry": entry,
            "actor_name": excerpt(names[entry.actor_user_id])
            if entry.actor_user_id in names
            else None,
            "changes": field_changes(entry),
            "more_fields": max(0, len(entry.changes) - MAX_FIELDS),
        }
        for entry in entries
    ]
    return render(
        page,
        "console/audit.html",
        section=PATH,
        form=typed,
        rows=rows,
        paging=shown,
        query={key: value for key, value in typed.items() if value},
    )
