"""schemathesis over the Percolate spec through the ASGI app: generated requests for every
operation never get a 5xx, and every response matches the spec (status, content type, body).

As in the PERSCOM contract test, schemathesis drives a fresh app from a worker thread (its
ASGI client runs its own event loop). Half of the generated path ids are swapped for real
objects so the run reaches rows, not only 400s and 403s.
"""

from __future__ import annotations

import os
from typing import Any

import anyio
import httpx
import pytest
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, Phase, given, settings
from tests.percolate.support.accounts import Account

from tenantry import percolate
from tenantry.app import create_app
from tenantry.settings import Settings
from tenantry.web.face import WebFace

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("TENANTRY_SCHEMATHESIS_EXAMPLES", "4"))


def _run(app: Any, token: str, known: dict[str, str], statuses: dict[int, int]) -> list[str]:
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_asgi("/api/v5/spec.json", app)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v5/") or operation.path == "/api/v5/me":
            continue  # part 1's endpoints have their own tests
        try:
            _checker(operation, token, checks, known, statuses)()
        except Exception as exc:  # collect every operation's failure, report them together
            failures.append(f"{operation.label}: {exc}")
    return failures


def _checker(
    operation: Any,
    token: str,
    checks: list[Any],
    known: dict[str, str],
    statuses: dict[int, int],
) -> Any:
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
        for name, value in list((case.path_parameters or {}).items()):
            kind = name.removesuffix("_id")
            if kind in known and isinstance(value, str) and len(value) % 2 == 0:
                case.path_parameters[name] = known[kind]
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, checks=checks
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    return check


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
    statuses: dict[int, int] = {}
    failures = await anyio.to_thread.run_sync(_run, app, admin.token, known, statuses)
    assert not failures, "\n\n".join(failures)
    assert statuses.get(200, 0) + statuses.get(201, 0) > 10, statuses
