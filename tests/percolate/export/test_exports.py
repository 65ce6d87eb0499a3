"""Exports (reference §3.15): every type's header, values of a known fixture, the preview
and its limits, the job mailing a signed link to a real SMTP sink, refusals, isolation."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from email import message_from_bytes
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.core.test_mail import Sink, sink_factory  # noqa: F401  (fixture)
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.desks import Desk, make_post, make_schema
from tests.percolate.support.library import empty_jobs, stored_assets, worker
from tests.test_cli import created, tenantry

from tenantry.core.jobs import JobHandlers
from tenantry.core.mail_jobs import MAIL_JOB, send_mail
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.export.catalog import CATALOG, TYPES
from tenantry.percolate.export.cells import neutralise
from tenantry.percolate.export.jobs import EXPORT_JOB, run_export
from tenantry.percolate.export.links import download_url
from tenantry.percolate.post.models import PostRef
from tenantry.percolate.term.models import Term
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio
PATH = "/api/v5/export/"
Sessions = async_sessionmaker[AsyncSession]


def labels(type_: str, keys: list[str] | None = None) -> list[str]:
    table = {field.key: field.label for field in CATALOG[type_]}
    return [table[key] for key in (keys or list(table))]


def rows_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def error_key(response: httpx.Response) -> str:
    errors = response.json()["errors"]
    key: str = errors[0]["key"]
    return key


async def run_jobs(settings: Settings, sessions: Sessions, until: Any) -> None:
    """An in-process worker with the export and mail handlers, until ``until()`` holds."""
    handlers = JobHandlers()
    handlers.register(EXPORT_JOB)(run_export)
    handlers.register(MAIL_JOB)(send_mail)
    async with worker(settings, sessions, handlers):
        for _ in range(2400):  # generous: the machine may be busy
            if await until():
                return
            await asyncio.sleep(0.05)
    pytest.fail("the export jobs did not finish")


async def read_export(api: httpx.AsyncClient, caller: Caller, wire: str) -> dict[str, Any]:
    response = await api.get(f"{PATH}{wire}", headers=caller.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_every_type_exports_its_header_and_known_values(
    api: httpx.AsyncClient,
    desk: Desk,
    settings: Settings,
    sessions: Sessions,
    owner_engine: AsyncEngine,
) -> None:
    await empty_jobs(owner_engine)
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"])
    [asset] = await stored_assets(desk.account, desk.license, 1)
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        await session.execute(
            update(Asset)
            .where(Asset.id == int(asset.split(":")[1]))
            .values(title='=HYPERLINK("http://evil")', tags=["red", "blue"])
        )
        post_id = int(post["id"].split(":")[1])
        for name in ("beta", "=alpha"):
            term = Term(name=name, name_key=name, scope_id=None)
            session.add(term)
            await session.flush()
            session.add(PostRef(post_id=post_id, kind="term", ref=f"term:{term.id}"))
        session.add(PostRef(post_id=post_id, kind="asset", ref=asset))
    roleless = await desk.account.user()
    started: dict[str, str] = {}
    for type_ in TYPES:
        response = await api.post(PATH, json={"type": type_}, headers=desk.admin.headers)
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        assert data["status"] == "queued" and data["type"] == type_
        assert data["fields"] == [field.key for field in CATALOG[type_]]
        started[type_] = data["id"]

    async def all_done() -> bool:
        shown = [await read_export(api, desk.admin, wire) for wire in started.values()]
        return all(item["status"] == "complete" for item in shown)

    await run_jobs(settings, sessions, all_done)
    files: dict[str, list[list[str]]] = {}
    for type_, wire in started.items():
        shown = await read_export(api, desk.admin, wire)
        got = await api.get(shown["download_url"])
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith("text/csv")
        files[type_] = rows_of(got.content)
        assert files[type_][0] == labels(type_), type_
        assert shown["rows_done"] == shown["rows_total"] == len(files[type_]) - 1
    posts = [dict(zip(labels("post"), row, strict=True)) for row in files["post"][1:]]
    assert len(posts) == 1
    assert posts[0]["Unique Id"] == post["id"]
    assert posts[0]["Status"] == post["status"]
    assert posts[0]["License ID"] == desk.license
    assert posts[0]["Channel"] == "custom channel"
    assert posts[0]["Platform"] == "custom platform"
    assert posts[0]["Created By"] == desk.admin.email
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", posts[0]["Created At"])
    assert posts[0]["Facebook Likes"] == ""  # no such data: an empty cell
    assert posts[0]["Tags"] == "'=alpha; beta"  # term names, by name, formula-guarded
    assets = [dict(zip(labels("asset"), row, strict=True)) for row in files["asset"][1:]]
    assert assets[0]["Unique Id"] == asset
    assert assets[0]["Title"] == '\'=HYPERLINK("http://evil")'  # formula neutralised
    assert assets[0]["Tags"] == "red; blue"
    assert assets[0]["Media Type"] == "image" and assets[0]["Media Subtype"] == "png"
    assert assets[0]["Post Ids"] == post["id"]
    users = {row[1]: dict(zip(labels("user"), row, strict=True)) for row in files["user"][1:]}
    assert users[desk.admin.email]["Role"] == "admin"
    assert users[roleless.email]["Role"] == ""
    for empty in ("activity", "campaign", "flag", "keyword", "share", "monitoring_item"):
        assert len(files[empty]) == 1  # Tenantry keeps no such data: the header alone


async def test_preview_rows_limits_and_field_order(api: httpx.AsyncClient, desk: Desk) -> None:
    schema = await make_schema(api, desk.admin)
    made = [await make_post(api, desk, schema["id"]) for _ in range(12)]
    got = await api.get(
        PATH, params={"type": "post", "fields": "status,uid"}, headers=desk.admin.headers
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["meta"]["total"] == 12 and body["meta"]["query"]["limit"] == 10
    assert len(body["data"]) == 10
    assert list(body["data"][0]) == ["status", "uid"]
    assert body["data"][0]["uid"] == made[0]["id"]
    limited = await api.get(
        PATH, params={"type": "post", "limit": "100"}, headers=desk.admin.headers
    )
    assert limited.status_code == 200 and len(limited.json()["data"]) == 12
    for params, key in (
        ({"type": "post", "limit": "101"}, "$.limit"),
        ({"type": "post", "limit": "0"}, "$.limit"),
        ({"type": "nope"}, "$.type"),
        ({}, "$.type"),
        ({"type": "post", "fields": "uid,bogus"}, "$.fields"),
        ({"type": "post", "status:from": "2020-01-01"}, "$.status:from"),
        ({"type": "post", "created_at:from": "yesterday"}, "$.created_at:from"),
        (
            {"type": "post", "created_at:from": "2030-01-01", "created_at:to": "2020-01-01"},
            "$.created_at:to",
        ),
        ({"type": "post", "ids": "post:1"}, "$.ids"),
    ):
        refused = await api.get(PATH, params=params, headers=desk.admin.headers)
        assert refused.status_code == 400, (params, refused.text)
        assert error_key(refused) == key, (params, refused.text)
    ranged = await api.get(
        PATH,
        params={"type": "post", "created_at:from": "2000-01-01", "created_at:to": "2001-01-01"},
        headers=desk.admin.headers,
    )
    assert ranged.status_code == 200 and ranged.json()["data"] == []
    for bad in ({"type": "post", "fields": ["nope"]}, {"type": "zzz"}, {"fields": ["uid"]}):
        refused = await api.post(PATH, json=bad, headers=desk.admin.headers)
        assert refused.status_code == 400, refused.text


async def test_capabilities_and_scope_filter(
    api: httpx.AsyncClient, desk: Desk, make_account: Any
) -> None:
    schema = await make_schema(api, desk.admin)
    await make_post(api, desk, schema["id"])
    other_license = await desk.account.scope("license")
    nobody = await desk.account.user()
    refused = await api.get(PATH, params={"type": "post"}, headers=nobody.headers)
    assert refused.status_code == 403, refused.text
    assert (await api.post(PATH, json={"type": "user"}, headers=nobody.headers)).status_code == 403
    scoped = await api.get(
        PATH, params={"type": "post", "scope_ids": other_license}, headers=desk.admin.headers
    )
    assert scoped.status_code == 200 and scoped.json()["data"] == []
    mine = await api.get(
        PATH, params={"type": "post", "scope_ids": desk.license}, headers=desk.admin.headers
    )
    assert len(mine.json()["data"]) == 1
    stranger: Account = await make_account()
    their_admin = await stranger.user(("admin", None))
    theirs = await api.get(PATH, params={"type": "post"}, headers=their_admin.headers)
    assert theirs.status_code == 200 and theirs.json()["data"] == []


async def test_the_job_mails_a_link_that_downloads_the_file(
    api: httpx.AsyncClient,
    desk: Desk,
    make_account: Any,
    settings: Settings,
    sessions: Sessions,
    owner_engine: AsyncEngine,
    sink_factory: Any,  # noqa: F811
) -> None:
    await empty_jobs(owner_engine)
    sink, port = sink_factory()
    mailing = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    schema = await make_schema(api, desk.admin)
    made = [await make_post(api, desk, schema["id"]) for _ in range(3)]
    fields = ["status", "uid", "created_at"]
    started = await api.post(
        PATH, json={"type": "post", "fields": fields}, headers=desk.admin.headers
    )
    assert started.status_code == 201, started.text
    wire = started.json()["data"]["id"]

    async def mailed() -> bool:
        return bool(sink.envelopes)

    await run_jobs(mailing, sessions, mailed)
    assert len(sink.envelopes) == 1
    envelope = sink.envelopes[0]
    assert envelope.rcpt_tos == [desk.admin.email]
    message = message_from_bytes(envelope.original_content or b"")
    text = message.get_payload(decode=True)
    assert isinstance(text, bytes)
    link = re.search(r"https?://\S+", text.decode()).group(0)  # type: ignore[union-attr]
    got = await api.get(link)
    assert got.status_code == 200, got.text
    rows = rows_of(got.content)
    assert rows[0] == ["Status", "Unique Id", "Created At"]
    assert [row[1] for row in rows[1:]] == [post["id"] for post in made]
    shown = await read_export(api, desk.admin, wire)
    assert shown["status"] == "complete" and shown["rows_done"] == 3 and shown["size"] > 0

    key = int(wire.split(":")[1])
    tenant = desk.account.tenant_id
    secret = settings.effective_secret_key
    expired = download_url(settings.base_url, secret, tenant, key, now=time.time() - 8 * 86400)
    late = await api.get(expired)
    assert late.status_code == 403 and "errors" in late.json()
    stranger: Account = await make_account()
    moved = link.replace(f"account%3A{tenant}", f"account%3A{stranger.tenant_id}")
    assert moved != link
    foreign = await api.get(moved)
    assert foreign.status_code == 403 and "errors" in foreign.json()
    their_admin = await stranger.user(("admin", None))
    peek = await api.get(f"{PATH}{wire}", headers=their_admin.headers)
    assert peek.status_code == 403, peek.text
    unsigned = await api.get(link.split("&expires")[0])
    assert unsigned.status_code == 403


def test_formula_cells_are_neutralised() -> None:
    for cell in ("=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert neutralise(cell) == "'" + cell
    assert neutralise("plain") == "plain" and neutralise(-1) == -1 and neutralise(None) is None


async def test_operators_export_from_the_command_line(
    api: httpx.AsyncClient,
    desk: Desk,
    settings: Settings,
    sessions: Sessions,
    owner_engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    await empty_jobs(owner_engine)
    schema = await make_schema(api, desk.admin)
    made = [await make_post(api, desk, schema["id"]) for _ in range(2)]
    tenant = str(desk.account.tenant_id)
    result = await anyio.to_thread.run_sync(
        lambda: tenantry(
            settings, "export", "create", "--tenant", tenant, "--user", desk.admin.email,
            "--type", "post", "--fields", "uid,status", "--scope-ids", desk.license, "--no-wait",
        )
    )  # fmt: skip
    shown = created(result)
    wire = str(shown["id"])
    assert shown["status"] == "queued" and shown["fields"] == ["uid", "status"]

    async def done() -> bool:
        return (await read_export(api, desk.admin, wire))["status"] == "complete"

    await run_jobs(settings, sessions, done)
    watched = await anyio.to_thread.run_sync(
        lambda: tenantry(settings, "export", "status", wire, "--tenant", tenant, "--watch")
    )
    assert created(watched)["rows_done"] == 2
    target = tmp_path / "posts.csv"
    fetched = await anyio.to_thread.run_sync(
        lambda: tenantry(
            settings, "export", "download", wire, "--tenant", tenant, "--output", str(target)
        )
    )
    assert created(fetched)["size"] == target.stat().st_size
    rows = rows_of(target.read_bytes())
    assert rows == [["Unique Id", "Status"], *([post["id"], "draft"] for post in made)]
    refused = await anyio.to_thread.run_sync(
        lambda: tenantry(
            settings, "export", "create", "--tenant", tenant, "--user", desk.admin.email,
            "--type", "post", "--fields", "nope",
        )
    )  # fmt: skip
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
