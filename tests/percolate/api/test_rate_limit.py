"""The per-credential rate limit of ``/api/v5``: the seed's 429 body and ``Retry-After``."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager
from tests.percolate.support.accounts import Account

from tenantry.app import create_app
from tenantry.percolate import PercolateFace
from tenantry.settings import Settings
from tenantry.web.face import WebFace

pytestmark = pytest.mark.anyio


async def test_each_credential_has_its_own_quota(settings: Settings, account: Account) -> None:
    first = await account.user(("admin", None))
    second = await account.user(("admin", None))
    application = create_app(settings, faces=[WebFace(), PercolateFace(token_rate="3/minute")])
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for _ in range(3):
                assert (await http.get("/api/v5/me", headers=first.headers)).status_code == 200
            over = await http.get("/api/v5/user/", headers=first.headers)
            assert over.status_code == 429
            assert int(over.headers["Retry-After"]) >= 1
            assert over.json() == {
                "errors": [
                    {
                        "code": "rate_limit:exceeded",
                        "message": over.json()["errors"][0]["message"],
                        "key": None,
                    }
                ]
            }
            other = await http.get("/api/v5/me", headers=second.headers)
            assert other.status_code == 200
