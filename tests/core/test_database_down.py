"""With the database gone, readiness fails and requests get a 503 in the face's own format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tenantry.app import create_app
from tenantry.core.errors import TenantryError
from tenantry.core.face import Commands, DemoSeeder
from tenantry.core.platform import Platform, PlatformDep
from tenantry.core.unit import database_went_away
from tenantry.settings import load_settings

pytestmark = pytest.mark.anyio


class ProbeFace:
    """A minimal face: one route that needs the database, and its own error format."""

    name = "probe"
    job_modules = ()
    model_modules = ()

    def commands(self) -> Commands:
        return Commands()

    def demo_seeders(self) -> list[DemoSeeder]:
        return []

    def install(self, app: FastAPI, platform: Platform) -> None:
        router = APIRouter(prefix="/probe")

        @router.get("/count")
        async def count(platform: PlatformDep) -> dict[str, int]:
            async with platform.sessions() as session:
                return {"count": int(await session.scalar(text("SELECT 1")) or 0)}

        def render(request: Request, error: TenantryError) -> Response:
            return JSONResponse(
                {"probe_error": error.kind}, status_code=error.status, headers=error.headers
            )

        app.include_router(router)
        platform.error_renderers.register("/probe", render)


@pytest.fixture
async def client_without_database(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://nobody:secret@127.0.0.1:1/nowhere",
        embedded_worker=False,
        secret_key="k" * 40,
    )
    app = create_app(settings, faces=[ProbeFace()])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await app.state.platform.close()


async def test_readyz_is_503_when_the_database_is_unreachable(
    client_without_database: httpx.AsyncClient,
) -> None:
    response = await client_without_database.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "secret" not in response.text


async def test_a_face_request_gets_503_in_the_face_format(
    client_without_database: httpx.AsyncClient,
) -> None:
    response = await client_without_database.get("/probe/count")
    assert response.status_code == 503
    assert response.json() == {"probe_error": "unavailable"}
    assert response.headers["retry-after"] == "5"
    assert response.headers["x-request-id"]


class RestartingFace(ProbeFace):
    """A route whose database is shutting down under it (SQLSTATE 57P01, as a primary being
    restarted answers a transaction in flight)."""

    name = "restarting"

    def install(self, app: FastAPI, platform: Platform) -> None:
        router = APIRouter(prefix="/probe")

        @router.post("/write")
        async def write() -> None:
            orig = asyncpg.exceptions.AdminShutdownError("terminating connection")
            raise DBAPIError("INSERT INTO things VALUES (1)", {}, orig)

        def render(request: Request, error: TenantryError) -> Response:
            return JSONResponse(
                {"probe_error": error.kind}, status_code=error.status, headers=error.headers
            )

        app.include_router(router)
        platform.error_renderers.register("/probe", render)


async def test_a_database_restarting_mid_request_is_a_503_not_a_500(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, embedded_worker=False, secret_key="k" * 40)
    app = create_app(settings, faces=[RestartingFace()])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.post("/probe/write")
    await app.state.platform.close()
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json() == {"probe_error": "unavailable"}


def test_what_counts_as_the_database_going_away() -> None:
    assert database_went_away(asyncpg.exceptions.CannotConnectNowError("starting up"))
    wrapped = DBAPIError("SELECT 1", {}, asyncpg.exceptions.ConnectionDoesNotExistError("gone"))
    assert database_went_away(wrapped)
    assert not database_went_away(DBAPIError("SELECT 1", {}, ValueError("bad value")))
    assert not database_went_away(asyncpg.exceptions.UniqueViolationError("duplicate"))
