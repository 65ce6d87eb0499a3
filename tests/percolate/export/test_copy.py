"""The PostgreSQL ``COPY`` path writes byte for byte the CSV of the Python path, for every
type with a table and every column, over values made to trip a CSV or ``COPY`` writer:
quotes, commas, line breaks, backslashes, control characters, formula triggers, nulls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from tests.percolate.support.desks import Desk, make_post, make_schema
from tests.percolate.support.library import stored_assets

from tenantry.core.identity.models import User
from tenantry.core.scopes import Scope
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.export.catalog import CATALOG
from tenantry.percolate.export.copying import copy_chunks, csv_lines
from tenantry.percolate.export.rows import csv_chunks, stream_pages
from tenantry.percolate.export.sources import Plan
from tenantry.percolate.post.models import ApprovalWorkflow, Post, PostRef
from tenantry.percolate.term.models import Term

pytestmark = pytest.mark.anyio

TRICKY = [
    "plain",
    "",
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    'say "hi", ok',
    '"',
    "two\nlines",
    "crlf\r\nend\n",
    "back\\slash\\n and \\\\",
    "\\",
    "tab\there",
    "\x08\x0c\x0b\x01 controls",
    "ünïcødé ✓ 🚀",
    "'quoted",
    " =space first",
]


async def noop(count: int) -> None:
    return None


async def both(desk: Desk, plan: Plan) -> tuple[bytes, bytes]:
    sessions, tenant = desk.account.sessions, desk.account.tenant_id
    pages = stream_pages(sessions, tenant, plan, postgres=True)
    python = b"".join([chunk async for chunk in csv_chunks(plan, pages, noop)])
    assert plan.copy_select(tenant) is not None, plan.type
    copied = b"".join([chunk async for chunk in copy_chunks(sessions, tenant, plan, noop)])
    return python, copied


@pytest.mark.postgres_only
async def test_copy_writes_the_python_paths_bytes(api: httpx.AsyncClient, desk: Desk) -> None:
    schema = await make_schema(api, desk.admin)
    posts = [await make_post(api, desk, schema["id"]) for _ in TRICKY]
    assets = await stored_assets(desk.account, desk.license, len(TRICKY))
    moment = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    previous = 0
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        for index, (post, value) in enumerate(zip(posts, TRICKY, strict=True)):
            post_id = int(post["id"].split(":")[1])
            await session.execute(
                update(Post)
                .where(Post.id == post_id)
                .values(
                    url=value if index % 3 else None,
                    live_at=moment + timedelta(days=index) if index % 2 else None,
                )
            )
            session.add(
                ApprovalWorkflow(
                    post_id=post_id,
                    scope_id=int(desk.license.split(":")[1]),
                    user_id=desk.admin.user_id,
                    approval_group_id=value,
                    status="pending",
                    completed_at=moment if index % 2 else None,
                )
            )
            term = Term(
                name=value or "empty",
                name_key=f"key-{index}",
                scope_id=int(desk.license.split(":")[1]),
                scope_key=int(desk.license.split(":")[1]),
            )
            session.add(term)
            await session.flush()
            previous = previous or term.id + 1
            for kind, ref in (
                ("term", f"term:{term.id}"),
                ("term", f"term:{previous}"),  # the previous one (none at first: skipped)
                ("asset", assets[index // 2]),
            ):
                if await session.get(PostRef, (desk.account.tenant_id, post_id, kind, ref)):
                    continue
                session.add(PostRef(post_id=post_id, kind=kind, ref=ref))
            previous = term.id
        for index, (asset, value) in enumerate(zip(assets, TRICKY, strict=True)):
            await session.execute(
                update(Asset)
                .where(Asset.id == int(asset.split(":")[1]))
                .values(
                    title=value,
                    description=None if index % 4 == 0 else value,
                    filename=value,
                    created_through=value,
                    content_type=("image/" + value) if index % 2 else value,
                    tags=[value, "x", None] if index % 2 else ([] if index % 4 else None),
                )
            )
        await session.execute(
            update(Channel)
            .where(Channel.id == int(desk.custom_channel.split(":")[1]))
            .values(name='=chan "nel"\n')
        )
        await session.execute(
            update(Scope).where(Scope.id == int(desk.license.split(":")[1])).values(name="-lic\\")
        )
    for index, value in enumerate(TRICKY[::3]):
        made = await desk.account.user(("admin", None), ("admin", desk.license))
        async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
            await session.execute(
                update(User)
                .where(User.id == made.user_id)
                .values(
                    name=value,
                    active=bool(index % 2),
                    last_login_at=moment if index % 3 else None,
                )
            )

    for type_ in ("post", "approval", "asset", "user", "tag"):
        plan = Plan(type_, tuple(field.key for field in CATALOG[type_]), None, {})
        python, copied = await both(desk, plan)
        assert python.count(b"\r\n") > len(TRICKY) // 3, type_  # the rows are there
        assert copied == python, type_
    # Fields in another order, a scope and a date filter: the same rows either way.
    narrowed = Plan(
        "post",
        ("tags", "uid", "posted_at", "post_permalink", "license_name"),
        (int(desk.license.split(":")[1]),),
        {"posted_at": ("2026-03-05", "2026-03-20")},
    )
    python, copied = await both(desk, narrowed)
    assert 2 < python.count(b"\r\n") < len(TRICKY)
    assert copied == python


def test_copy_lines_become_csv_lines() -> None:
    copied = b'"a\\\\n","b\\r\\nc"\n"\\t"\n'
    assert csv_lines(copied) == b'"a\\n","b\r\nc"\r\n"\t"\r\n'
    assert csv_lines(b'"plain"\n') == b'"plain"\r\n'
