"""Widgets through the ASGI app: HTML per widget, light and dark, scripts escaped, the
form widget storing a submission, and refused keys (revoked, foreign, missing scope)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.perscom.conftest import KeyFactory, Org
from tests.perscom.factories import create, payload_for

from tenantry.core.tenancy import tenant_session
from tenantry.perscom.apikeys import revoke_key

pytestmark = pytest.mark.anyio

SCRIPT = "<script>alert('owned')</script>"


async def make(api: httpx.AsyncClient, kind: str, **fields: object) -> dict[str, Any]:
    body = {**(await payload_for(api, kind)), **fields}
    response = await api.post(f"/v1/{kind}", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()["data"]
    return made


def widget(client: httpx.AsyncClient, org: Org, path: str, **params: str) -> Any:
    return client.get(f"/v2/widgets/{path}", params={"apikey": org.token, **params}, headers={})


@pytest.mark.parametrize(
    "path",
    [
        "roster",
        "calendar",
        "forms",
        "awards",
        "positions",
        "qualifications",
        "ranks",
        "specialties",
    ],
)
async def test_every_widget_renders_html(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org, path: str
) -> None:
    if path not in ("roster", "calendar"):
        made = await create(api, path)
        shown = await widget(client, org, f"{path}/{made['id']}")
        assert shown.status_code == 200, shown.text
        assert made["name"] in shown.text
    client.headers.pop("Authorization", None)
    client.headers.pop("X-Perscom-Id", None)
    light = await widget(client, org, path)
    assert light.status_code == 200, light.text
    assert light.headers["content-type"].startswith("text/html")
    assert "script-src" not in light.headers["content-security-policy"]
    assert '<body class="light">' in light.text
    dark = await widget(client, org, path, dark="true")
    assert '<body class="dark">' in dark.text


async def test_stored_html_is_escaped(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org
) -> None:
    await make(api, "ranks", name=f"Rank {SCRIPT}", description=SCRIPT)
    await create(
        api,
        "events",
        content=SCRIPT,
        starts="2099-01-01T10:00:00Z",
        ends="2099-01-01T11:00:00Z",
    )
    for path in ("ranks", "calendar"):
        page = await widget(client, org, path)
        assert page.status_code == 200
        assert "<script>" not in page.text
    assert "&lt;script&gt;" in (await widget(client, org, "ranks")).text


async def test_roster_widget_shows_people(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org
) -> None:
    group = await make(api, "groups", name="Command")
    unit = await make(api, "units", name="Headquarters")
    await api.post(f"/v1/groups/{group['id']}/units/attach", json={"resources": [unit["id"]]})
    rank = await make(api, "ranks", name="Major", abbreviation="MAJ")
    await make(api, "users", name="Morgan Major", unit_id=unit["id"], rank_id=rank["id"])
    page = await widget(client, org, f"roster/{group['id']}")
    assert page.status_code == 200, page.text
    assert "Morgan Major" in page.text and "MAJ" in page.text and "Headquarters" in page.text
    assert (await widget(client, org, "roster/999999999")).status_code == 404


async def test_form_widget_creates_a_submission(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org
) -> None:
    form = await make(api, "forms", name="Leave request", success_message="Request filed")
    field = await make(api, "fields", name="Reason", key="reason", type="text", required=True)
    linked = await api.post(
        f"/v1/forms/{form['id']}/fields/attach", json={"resources": [field["id"]]}
    )
    assert linked.status_code == 200, linked.text
    shown = await widget(client, org, f"forms/{form['id']}")
    assert 'name="reason"' in shown.text
    url = f"/v2/widgets/forms/{form['id']}?apikey={org.token}"
    missing = await client.post(url, data={"reason": ""})
    assert missing.status_code == 422
    assert "reason" in missing.text.lower()
    posted = await client.post(url, data={"reason": "Family visit"})
    assert posted.status_code == 200, posted.text
    assert "Request filed" in posted.text
    listed = await api.get(f"/v1/forms/{form['id']}/submissions")
    [submission] = listed.json()["data"]
    assert submission["reason"] == "Family visit"
    assert submission["user_id"] == org.user_id


async def test_bad_keys_are_refused(
    client: httpx.AsyncClient,
    org: Org,
    other_org: Org,
    make_key: KeyFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert (await client.get("/v2/widgets/roster")).status_code == 401
    assert (await client.get("/v2/widgets/roster?apikey=not-a-jwt")).status_code == 401
    key_id, token = await make_key(org.tenant_id, ["view:award"], user_id=org.user_id)
    assert (await client.get(f"/v2/widgets/awards?apikey={token}")).status_code == 200
    assert (await client.get(f"/v2/widgets/roster?apikey={token}")).status_code == 403
    assert (await client.get(f"/v2/widgets/nonsense?apikey={token}")).status_code == 404
    async with tenant_session(sessions, org.tenant_id) as session:
        await revoke_key(session, key_id)
    revoked = await client.get(f"/v2/widgets/awards?apikey={token}")
    assert revoked.status_code == 401
    assert "<html" not in revoked.text
    client.headers.update(org.headers)
    await make(client, "awards", name="Secret Medal of Org A")
    client.headers.pop("Authorization")
    mine = await client.get(f"/v2/widgets/awards?apikey={org.token}")
    assert "Secret Medal of Org A" in mine.text
    foreign = await client.get(
        f"/v2/widgets/awards?apikey={other_org.token}", headers={"X-Perscom-Id": str(org.tenant_id)}
    )
    assert foreign.status_code == 200  # the key's own tenant, never the header's
    assert "Secret Medal of Org A" not in foreign.text


async def test_calendar_widget_shows_repeating_occurrences(
    api: httpx.AsyncClient, client: httpx.AsyncClient, org: Org
) -> None:
    await make(
        api,
        "events",
        name="Weekly muster",
        starts="2020-01-07T18:00:00Z",
        ends="2020-01-07T19:00:00Z",
        repeats=True,
        rrule="FREQ=WEEKLY",
    )
    await make(
        api, "events", name="Long gone", starts="2020-01-01T10:00:00Z", ends="2020-01-01T11:00:00Z"
    )
    page = await widget(client, org, "calendar")
    assert page.status_code == 200, page.text
    assert page.text.count("Weekly muster") >= 10  # every week of the window, up to ten
    assert "Long gone" not in page.text
