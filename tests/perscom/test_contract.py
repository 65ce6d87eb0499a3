"""schemathesis over the whole PERSCOM spec, through the ASGI app (issue 4, "Tests"):
generated requests for every operation never get a 5xx, and every response matches the
spec (status code, content type, body schema).

schemathesis runs its ASGI client on an event loop of its own, so this test gives it a
fresh app (its database connections are then made on that loop) and drives it from a
worker thread. Examples per operation are bounded to keep the run short.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.perscom import PerscomFace
from tenantry.perscom.apikeys import ApiKeyIssuer, SigningKeys
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("TENANTRY_SCHEMATHESIS_EXAMPLES", "3"))


async def _tenant_with_key(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> tuple[int, str]:
    async with sessions() as session, session.begin():
        tenant = await identity.create_tenant(session, f"Contract {uuid.uuid4().hex[:6]}")
        tenant_id = tenant.id
    issuer = ApiKeyIssuer(SigningKeys.load(settings), settings)
    async with tenant_session(sessions, tenant_id) as session:
        issued = await issuer.issue(session, tenant_id, name="schemathesis", scopes=["*"])
    return tenant_id, issued.token


def _run(
    app: Any, tenant_id: int, token: str, known: dict[str, int], statuses: dict[int, int]
) -> list[str]:
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_asgi("/v1/spec.json", app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        check = _checker(operation, tenant_id, headers, checks, known, statuses)
        try:
            check()
        except Exception as exc:  # collect every operation's failure, report them together
            failures.append(f"{operation.label}: {exc}")
    return failures


def _checker(
    operation: Any,
    tenant_id: int,
    headers: dict[str, str],
    checks: list[Any],
    known: dict[str, int],
    statuses: dict[int, int],
) -> Any:
    """A hypothesis test for one operation; even generated ids are swapped for real rows."""
    resource = operation.path.split("/")[2]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        case.headers = {**(case.headers or {}), "X-Perscom-Id": str(tenant_id)}
        path_id = (case.path_parameters or {}).get("id")
        if isinstance(path_id, int) and path_id % 2 == 0 and resource in known:
            case.path_parameters["id"] = known[resource]
        response = case.call_and_validate(headers=headers, checks=checks)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    return check


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_schemathesis_finds_no_failures(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    from tenantry.app import create_app

    tenant_id, token = await _tenant_with_key(sessions, settings)
    app = create_app(
        settings, faces=[PerscomFace(key_rate="1000000/minute", ip_rate="1000000/minute")]
    )
    known = await _seed(sessions, tenant_id)
    statuses: dict[int, int] = {}
    failures = await anyio.to_thread.run_sync(_run, app, tenant_id, token, known, statuses)
    assert not failures, "\n\n".join(failures)
    # The run reached real rows, not only 404s and 422s.
    assert statuses.get(200, 0) > 0
    assert statuses.get(201, 0) > 0


async def _seed(sessions: async_sessionmaker[AsyncSession], tenant_id: int) -> dict[str, int]:
    """One row per simple catalogue resource, so some generated ids hit a real row."""
    from tenantry.perscom.resources import organization, recognition

    made: dict[str, int] = {}
    async with tenant_session(sessions, tenant_id) as session:
        for name, model, extra in (
            ("ranks", organization.Rank, {}),
            ("positions", organization.Position, {}),
            ("units", organization.Unit, {}),
            ("groups", organization.Group, {}),
            ("statuses", organization.Status, {"color": "#123456"}),
            ("awards", recognition.Award, {}),
            ("qualifications", recognition.Qualification, {}),
            ("issuers", recognition.Issuer, {}),
        ):
            row = model(name=f"Seeded {name}", **extra)
            session.add(row)
            await session.flush()
            made[name] = row.id
    return made
