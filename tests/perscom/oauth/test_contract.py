"""schemathesis over the OAuth and OpenID Connect operations of the PERSCOM spec: generated
requests (with a real client's credentials half the time) never get a 5xx, and every
response matches the spec."""

from __future__ import annotations

import os
from typing import Any

import pytest
from tests.contract import check_contract
from tests.perscom.oauth_support import Orgs, tokens_for

from tenantry.perscom import PerscomFace
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("TENANTRY_SCHEMATHESIS_EXAMPLES", "25"))


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_schemathesis_finds_no_failures_in_the_oauth_operations(
    client: Any, orgs: Orgs, settings: Settings
) -> None:
    from tenantry.app import create_app

    tenant = await orgs.tenant()
    person = await orgs.person(tenant)
    app_client = await orgs.client(
        tenant, grant_types=("authorization_code", "refresh_token", "client_credentials")
    )
    token = await tokens_for(client, app_client, person, scope="openid profile email")
    app = create_app(
        settings, faces=[PerscomFace(key_rate="1000000/minute", ip_rate="1000000/minute")]
    )
    turn = [0]

    def prepare(operation: Any, case: Any) -> None:
        """Every other body carries the real client's credentials, so grants get checked."""
        turn[0] += 1
        if isinstance(case.body, dict) and turn[0] % 2:
            case.body = {
                **case.body,
                "client_id": app_client.client_id,
                "client_secret": app_client.secret,
            }

    statuses = await check_contract(
        app,
        "/v1/spec.json",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        examples=EXAMPLES,
        include=lambda operation: operation.path.startswith(("/oauth", "/.well-known")),
        prepare=prepare,
    )
    assert statuses[200] > 0 and statuses[400] > 0
