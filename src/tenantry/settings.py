"""Process configuration from ``TENANTRY_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (safe to print or log)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


class Settings(BaseSettings):
    """Everything a process needs to know; read once at start-up."""

    model_config = SettingsConfigDict(env_prefix="TENANTRY_", extra="ignore")

    data_dir: Path = Field(default=Path(".tenantry"), description="Where embedded state lives.")
    database_url: str = Field(default="", description="SQLAlchemy async URL; default SQLite file.")
    database_role: str = Field(
        default="tenantry_app",
        description="PostgreSQL role the app SETs after connecting so row-level security binds it.",
    )
    database_pool_size: int = Field(default=10, ge=1, le=500)
    redis_url: str = ""
    storage_url: str = ""
    smtp_url: str = ""
    mail_from: str = "Tenantry <no-reply@tenantry.localhost>"
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    embedded_worker: bool = Field(
        default=True, description="Run the job worker inside `serve` (the embedded default)."
    )
    worker_concurrency: int = Field(default=4, ge=1, le=256)
    job_lease_seconds: int = Field(default=60, ge=1, le=86400)
    job_poll_interval: float = Field(default=1.0, gt=0, le=60)
    job_backoff_base: float = Field(default=1.0, gt=0)
    job_backoff_cap: float = Field(default=300.0, gt=0)
    job_shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    job_retention_days: float = Field(default=7, ge=0, description="0 keeps finished jobs.")
    job_modules: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra modules imported by workers so they can register job handlers.",
    )
    allow_private_webhooks: bool = False
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="How long one webhook attempt may take, connection to last byte.",
    )
    demo_on_first_start: bool = True
    max_body_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1024,
        description="The largest request body any route reads (file uploads to /files aside).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Peers (addresses or networks, comma-separated) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; none by default.",
    )

    @field_validator("job_modules", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return upper

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {mask_url(value)!r})"
            )
        return value

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'tenantry.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured secret, else one generated on first start and kept (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
