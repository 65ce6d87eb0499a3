"""schemathesis over the Percolate spec through the ASGI app: generated requests for every
operation never get a 5xx, and every response matches the spec (status, content type, body).

The run itself is tests/contract.py's, on a fresh app. Half of the generated path ids are
swapped for real objects so the run reaches rows, not only 400s and 403s. ``/api/v5/me``
has tests of its own.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from tests.contract import check_contract
from tests.percolate.support.accounts import Account

from tenantry import percolate
from tenantry.app import create_app
from tenantry.settings import Settings
from tenantry.web.face import WebFace

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("TENANTRY_SCHEMATHESIS_EXAMPLES", "4"))


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_schemathesis_finds_no_failures(settings: Settings, make_account: Any) -> None:
    account: Account = await make_account()
    admin = await account.user(("admin", None))
    app = create_app(settings, faces=[WebFace(), percolate.face])
    known: dict[str, str] = {"user": admin.wire}
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            h = admin.headers

            async def made(path: str, body: dict[str, Any]) -> str:
                response = await http.post(path, json=body, headers=h)
                assert response.status_code == 201, response.text
                return str(response.json()["data"]["id"])

            known["scope"] = await made("/api/v5/scope/", {"type": "license", "name": "L"})
            known["platform"] = await made(
                "/api/v5/platform/", {"name": "P", "scope_id": known["scope"]}
            )
            known["term"] = await made("/api/v5/term/", {"name": "t", "scope_id": known["scope"]})
            known["channel"] = await made(
                "/api/v5/channel/",
                {
                    "name": "C",
                    "platform_id": known["platform"],
                    "scope_id": known["scope"],
                    "type": "custom",
                },
            )
            known["role"] = await made(
                "/api/v5/role/", {"name": "R", "capabilities": ["post:read"]}
            )
            other = await made("/api/v5/user/", {"email": "contract@example.org", "name": "O"})
            known["user_role"] = await made(
                "/api/v5/user_role/",
                {"user_id": other, "role_id": known["role"], "scope_id": known["scope"]},
            )

    def prepare(operation: Any, case: Any) -> None:
        """Half of the generated path ids swapped for real objects."""
        for name, value in list((case.path_parameters or {}).items()):
            kind = name.removesuffix("_id")
            if kind in known and isinstance(value, str) and len(value) % 2 == 0:
                case.path_parameters[name] = known[kind]

    statuses = await check_contract(
        app,
        "/api/v5/spec.json",
        headers=admin.headers,
        examples=EXAMPLES,
        include=lambda operation: (
            operation.path.startswith("/api/v5/") and operation.path != "/api/v5/me"
        ),
        prepare=prepare,
    )
    assert statuses[200] + statuses[201] > 10, statuses
