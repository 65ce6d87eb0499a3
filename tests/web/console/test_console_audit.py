"""The console's audit log page: this tenant's entries only, the filters the CLI and APIs
share (a bad one shown on the page), paging that keeps the filters, and a console action
attributed to the admin's web session."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from tests.percolate.support.oauth import People, client_for
from tests.signin import csrf_of

from tenantry.core.identity.models import User
from tenantry.core.tenancy import tenant_session

from .test_console_pages import admin_of, post

pytestmark = pytest.mark.anyio

ROW = re.compile(r"<tr>\s*<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>")


def rows_of(text: str) -> int:
    return len(ROW.findall(text))


async def test_revoking_a_key_is_logged_against_the_web_session(
    http: httpx.AsyncClient, people: People
) -> None:
    admin = await admin_of(people, http)
    created = await post(
        http, "/console/api-keys", "/console/api-keys", name="Roster sync", scopes="*", expiry="30"
    )
    key_id = re.search(r'href="/console/api-keys/(\d+)/revoke"', created.text)
    assert key_id
    confirm = await http.get(f"/console/api-keys/{key_id.group(1)}/revoke")
    revoked = await http.post(
        f"/console/api-keys/{key_id.group(1)}/revoke", data={"csrf_token": csrf_of(confirm.text)}
    )
    assert revoked.status_code == 303

    log = await http.get(f"/console/audit?resource=perscom_api_keys:{key_id.group(1)}")

    assert log.status_code == 200, log.text
    assert rows_of(log.text) == 2  # created, then revoked
    newest = log.text.split("<tbody>")[1].split("</tr>")[0]
    assert "<td>update</td>" in newest
    assert f'Grace Admin <span class="muted">(user {admin.user_id})</span>' in newest
    assert "<code>web_session</code>" in newest
    assert '<code>revoked_at</code>: <span class="before">—</span>' in newest
    assert "Roster sync" in log.text  # the create entry's name field


async def test_only_this_tenants_entries_are_shown(
    http: httpx.AsyncClient, people: People, console_app: FastAPI
) -> None:
    await admin_of(people, http)
    other = await people.tenant()
    await people.user(other, name="Zed Outsider")

    mine = await http.get("/console/audit?resource=users")
    async with client_for(console_app) as outsider_http:
        await admin_of(people, outsider_http)
        theirs = await outsider_http.get("/console/audit?resource=users")

    assert mine.status_code == 200 and rows_of(mine.text) >= 1
    assert "Grace Admin" in mine.text and "Zed Outsider" not in mine.text
    assert "Zed Outsider" not in theirs.text


async def test_filters_by_actor_resource_and_date(http: httpx.AsyncClient, people: People) -> None:
    admin = await admin_of(people, http)
    await post(
        http, "/console/api-keys", "/console/api-keys", name="Roster sync", scopes="*", expiry="30"
    )
    today = datetime.now(UTC).date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)

    everything = await http.get("/console/audit")
    by_session = await http.get(f"/console/audit?actor={admin.user_id}")
    by_credential = await http.get("/console/audit?actor=web_session")
    users_only = await http.get("/console/audit?resource=users")
    through_today = await http.get(f"/console/audit?since={today}&until={today}")
    until_yesterday = await http.get(f"/console/audit?until={yesterday}")
    from_tomorrow = await http.get(f"/console/audit?since={tomorrow}")

    assert rows_of(everything.text) >= 2
    assert rows_of(by_session.text) >= 1
    assert by_session.text.count(f"(user {admin.user_id})") == rows_of(by_session.text)
    assert rows_of(by_credential.text) >= 1
    credentials = by_credential.text.split("<tbody>")[1].count("<code>web_session</code>")
    assert credentials == rows_of(by_credential.text)
    kinds = re.findall(r'<td class="resource"><code>(\w+)</code>', users_only.text)
    assert kinds == ["users"] * rows_of(users_only.text) and kinds
    assert rows_of(through_today.text) == rows_of(everything.text)
    assert rows_of(until_yesterday.text) == 0 and "No entries match these filters" in (
        until_yesterday.text
    )
    assert rows_of(from_tomorrow.text) == 0
    assert 'value="web_session"' in by_credential.text  # the form keeps what was typed


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "bad audit filter since=&#39;yesterday&#39;: not an ISO 8601 date"),
        ("until=2026-02-30", "bad audit filter until=&#39;2026-02-30&#39;"),
        ("since=2026-02-01&until=2026-01-01", "must be later than since"),
        ("actor=%3Cscript%3Ealert(1)%3C/script%3E", "expected a user id or a credential"),
        ("resource=:12", "expected a resource type"),
    ],
)
async def test_a_bad_filter_is_explained_on_the_page(
    http: httpx.AsyncClient, people: People, query: str, message: str
) -> None:
    await admin_of(people, http)

    shown = await http.get(f"/console/audit?{query}")

    assert shown.status_code == 400
    assert shown.headers["content-type"].startswith("text/html")
    assert message in shown.text
    assert "<script>alert" not in shown.text


async def test_pages_of_20_keep_the_filters(http: httpx.AsyncClient, people: People) -> None:
    admin = await admin_of(people, http)
    before = rows_of((await http.get(f"/console/audit?resource=users:{admin.user_id}")).text)
    for number in range(22):
        async with tenant_session(people.sessions, admin.tenant_id) as session:
            user = await session.get(User, (admin.tenant_id, admin.user_id))
            assert user is not None
            user.name = f"Grace <b>{number}</b> " + "x" * 100

    first = await http.get(f"/console/audit?resource=users:{admin.user_id}")
    second = await http.get(f"/console/audit?resource=users%3A{admin.user_id}&page=2")

    assert rows_of(first.text) == 20 and "Page 1 of 2" in first.text
    assert f'href="?resource=users%3A{admin.user_id}&amp;page=2"' in first.text
    assert 1 <= before < 20 and rows_of(second.text) == before + 22 - 20
    table = first.text.split("<tbody>")[1]
    assert "&lt;b&gt;21&lt;/b&gt;" in table and "<b>21</b>" not in first.text
    assert "x" * 100 not in table and "x…</span>" in table  # long values are excerpted
