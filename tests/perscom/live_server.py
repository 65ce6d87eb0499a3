"""An app factory for a live uvicorn in the seed-sample tests (settings from the environment)."""

from __future__ import annotations

from fastapi import FastAPI

from tenantry.app import create_app
from tenantry.perscom import PerscomFace
from tenantry.settings import load_settings


def create() -> FastAPI:
    return create_app(load_settings(), faces=[PerscomFace()])
