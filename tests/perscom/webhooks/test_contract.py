"""schemathesis over Tenantry's PERSCOM extensions (``/v1/webhooks``, ``/v1/activity``):
generated requests never get a 5xx and every answer matches the spec."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.contract import check_contract

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.perscom import PerscomFace
from tenantry.perscom.apikeys import ApiKeyIssuer, SigningKeys
from tenantry.perscom.webhooks.models import PerscomWebhook
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("TENANTRY_SCHEMATHESIS_EXAMPLES", "3"))
EXTENSION_PATHS = ("/v1/webhooks", "/v1/activity")


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_schemathesis_finds_no_failures_in_the_extensions(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    from tenantry.app import create_app

    async with sessions() as session, session.begin():
        tenant = await identity.create_tenant(session, f"Contract {uuid.uuid4().hex[:6]}")
        tenant_id = tenant.id
    issuer = ApiKeyIssuer(SigningKeys.load(settings), settings)
    async with tenant_session(sessions, tenant_id) as session:
        issued = await issuer.issue(session, tenant_id, name="schemathesis", scopes=["*"])
        hook = PerscomWebhook(
            url="http://93.184.216.34/hook", method="post", secret="x" * 20, events=["user.created"]
        )
        session.add(hook)
        await session.flush()
        hook_id = hook.id
    app = create_app(
        settings, faces=[PerscomFace(key_rate="1000000/minute", ip_rate="1000000/minute")]
    )

    def prepare(operation: Any, case: Any) -> None:
        case.headers = {**(case.headers or {}), "X-Perscom-Id": str(tenant_id)}
        path_id = (case.path_parameters or {}).get("id")
        if isinstance(path_id, int) and path_id % 2 == 0:
            case.path_parameters["id"] = hook_id

    statuses = await check_contract(
        app,
        "/v1/spec.json",
        headers={"Authorization": f"Bearer {issued.token}"},
        examples=EXAMPLES,
        include=lambda operation: operation.path.startswith(EXTENSION_PATHS),
        prepare=prepare,
    )
    assert statuses[200] > 0
    assert not any(status >= 500 for status in statuses)
