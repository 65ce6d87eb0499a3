"""API keys and tenant resolution (§1.3, §2.1, issue 4 items 2-3, 6)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.perscom.conftest import KeyFactory, Org, bearer

from tenantry.core.tenancy import tenant_session
from tenantry.perscom import PerscomFace
from tenantry.perscom.apikeys import PERSONAL_ACCESS_CLIENT, revoke_key
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def limited_client(org: Org, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose limits are tiny: 3/min per key, 2/min per IP."""
    from tenantry.app import create_app

    application = create_app(settings, faces=[PerscomFace(key_rate="3/minute", ip_rate="2/minute")])
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=org.headers
        ) as http:
            yield http


async def test_bearer_key_with_perscom_id_header(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.get("/v1/users", headers=org.headers)
    assert response.status_code == 200, response.text


async def test_tenant_claim_alone_is_enough(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.get("/v2/users", headers=bearer(org.token))
    assert response.status_code == 200, response.text


async def test_apikey_query_parameter_works_like_the_header(
    client: httpx.AsyncClient, org: Org
) -> None:
    response = await client.get(f"/v1/users?apikey={org.token}")
    assert response.status_code == 200, response.text


async def test_apikey_query_tenant_beats_the_header(
    client: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    headers = {"X-Perscom-Id": str(other_org.tenant_id)}
    response = await client.get(f"/v1/users?apikey={org.token}", headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic abc"},
        {"X-Perscom-Id": "1"},
    ],
    ids=["nothing", "garbage-token", "wrong-scheme", "tenant-only"],
)
async def test_without_a_valid_key_it_is_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/v1/users", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "AuthenticationException"


@pytest.mark.parametrize("tenant", ["0", "abc", "99999999999", "1" * 30, "-5"])
async def test_unknown_or_malformed_tenant_is_401(
    client: httpx.AsyncClient, org: Org, tenant: str
) -> None:
    response = await client.get("/v1/users", headers={**org.headers, "X-Perscom-Id": tenant})
    assert response.status_code == 401


async def test_header_tenant_mismatching_the_key_is_401(
    client: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    response = await client.get(
        "/v1/users", headers={**org.headers, "X-Perscom-Id": str(other_org.tenant_id)}
    )
    assert response.status_code == 401


async def test_revoked_key_is_401(
    client: httpx.AsyncClient, org: Org, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert (await client.get("/v1/users", headers=org.headers)).status_code == 200
    async with tenant_session(sessions, org.tenant_id) as session:
        await revoke_key(session, org.key_id)
    assert (await client.get("/v1/users", headers=org.headers)).status_code == 401


async def test_expired_key_is_401(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory, settings: Settings
) -> None:
    _, token = await make_key(org.tenant_id, ["*"])
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 3600
    from tenantry.perscom.apikeys import SigningKeys

    expired = jwt.encode(claims, SigningKeys.load(settings).private_key, algorithm="RS256")
    assert (
        await client.get("/v1/users", headers=bearer(expired, org.tenant_id))
    ).status_code == 401


async def test_key_row_expiry_is_enforced_even_if_the_token_says_otherwise(
    client: httpx.AsyncClient,
    org: Org,
    make_key: KeyFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from sqlalchemy import update

    from tenantry.core.base import utcnow
    from tenantry.perscom.apikeys import ApiKey

    key_id, token = await make_key(org.tenant_id, ["*"], expires_in_days=None)
    assert (await client.get("/v1/users", headers=bearer(token))).status_code == 200
    async with tenant_session(sessions, org.tenant_id) as session:
        await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=utcnow()))
    assert (await client.get("/v1/users", headers=bearer(token))).status_code == 401


async def test_signature_from_another_key_is_401(client: httpx.AsyncClient, org: Org) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    claims = jwt.decode(org.token, options={"verify_signature": False})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, stranger, algorithm="RS256")
    assert (await client.get("/v1/users", headers=bearer(forged))).status_code == 401
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert (await client.get("/v1/users", headers=bearer(unsigned))).status_code == 401


async def test_hs256_keys_signed_with_the_app_secret_work(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, token = await make_key(org.tenant_id, ["view:user"], algorithm="HS256")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert (await client.get("/v1/users", headers=bearer(token))).status_code == 200


async def test_hs256_with_another_secret_is_401(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, token = await make_key(org.tenant_id, ["view:user"], algorithm="HS256")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-secret-" + "y" * 32, algorithm="HS256")
    assert (await client.get("/v1/users", headers=bearer(forged))).status_code == 401


async def test_key_claims_follow_passport(org: Org) -> None:
    header = jwt.get_unverified_header(org.token)
    claims = jwt.decode(org.token, options={"verify_signature": False})
    assert header["alg"] == "RS256"
    assert claims["aud"] == PERSONAL_ACCESS_CLIENT
    assert {"jti", "iat", "nbf", "exp", "sub", "scopes", "tenant"} <= set(claims)
    assert "iss" not in claims
    assert claims["sub"] == str(org.user_id)
    assert claims["tenant"] == str(org.tenant_id)
    assert claims["scopes"] == ["*"]
    assert {"name", "preferred_username", "email", "email_verified", "roles"} <= set(claims)
    assert claims["roles"] == ["admin"]


async def test_key_pair_lives_in_the_data_dir_with_mode_0600(settings: Settings) -> None:
    path = settings.data_dir / "perscom_jwt_private.pem"
    assert path.exists()
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()


async def test_per_key_limit(org: Org, settings: Settings) -> None:
    async with limited_client(org, settings) as limited:
        statuses = [(await limited.get("/v1/ranks")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


async def test_per_ip_limit_without_a_key(org: Org, settings: Settings) -> None:
    async with limited_client(org, settings) as limited:
        limited.headers.pop("Authorization")
        statuses = [(await limited.get("/v1/ranks")).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


async def test_rate_limit_headers_count_down(client: httpx.AsyncClient, org: Org) -> None:
    first = await client.get("/v1/ranks", headers=org.headers)
    second = await client.get("/v1/ranks", headers=org.headers)
    assert int(first.headers["x-ratelimit-remaining"]) - 1 == int(
        second.headers["x-ratelimit-remaining"]
    )
