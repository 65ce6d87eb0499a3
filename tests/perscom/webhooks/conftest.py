"""An app whose operator allowed private webhook destinations (the receiver is on 127.0.0.1),
and a receiver that checks PERSCOM's ``Signature`` header."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from tests.core.webhooks.test_webhooks import Receiver, empty_job_queue  # noqa: F401

from tenantry.core.webhooks import verify_body_signature
from tenantry.perscom import PerscomFace
from tenantry.settings import Settings

SECRET = "perscom-webhook-secret-0123456789"


@pytest.fixture(scope="session")
def private_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_private_webhooks": True})


@pytest.fixture(scope="session")
async def app(private_settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    from tenantry.app import create_app

    application = create_app(private_settings, faces=[PerscomFace()])
    async with LifespanManager(application):
        yield application


@pytest.fixture
def receiver(empty_job_queue: None) -> Iterator[Receiver]:  # noqa: F811
    endpoint = Receiver(secret=SECRET, verify=verify_body_signature)
    yield endpoint
    endpoint.close()
