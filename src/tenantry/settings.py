"""Process configuration from ``TENANTRY_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator
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


def _rate_rule(value: str) -> str:
    """A ``limits`` rule such as ``1000/minute``, parsed now rather than on the first request."""
    from limits import parse

    try:
        parse(value)
    except ValueError:
        raise ValueError(
            f"expects a rate such as 1000/minute or 50/second (got {value!r})"
        ) from None
    return value


RateRule = Annotated[str, AfterValidator(_rate_rule)]
"""A rate-limit rule setting, checked when the settings load (so a typo exits 2 at start)."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_SECRET_FIELDS = frozenset({"secret_key", "metrics_token"})


def describe_error(model: type[BaseSettings], error: ValidationError) -> str:
    """One line naming the environment variable at fault and what it expects.

    Secrets are never echoed; URLs are echoed with their password masked.
    """
    first = error.errors()[0]
    field = "_".join(str(part) for part in first["loc"])
    name = (str(model.model_config.get("env_prefix") or "") + field).upper()
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] != "value_error" and field not in _SECRET_FIELDS:
        shown = first.get("input")
        if isinstance(shown, str):
            message += f" (got {mask_url(shown)!r})"
    more = len(error.errors()) - 1
    return f"{name}: {message}" + (f" (and {more} more)" if more else "")


class Settings(BaseSettings):
    """Everything a process needs to know; read once at start-up."""

    model_config = SettingsConfigDict(
        env_prefix="TENANTRY_", extra="ignore", hide_input_in_errors=True
    )

    data_dir: Path = Field(default=Path(".tenantry"), description="Where embedded state lives.")
    database_url: str = Field(default="", description="SQLAlchemy async URL; default SQLite file.")
    database_replica_url: str = Field(
        default="",
        description="A PostgreSQL streaming replica for reads that tolerate lag; empty: off.",
    )
    database_role: str = Field(
        default="tenantry_app",
        description="PostgreSQL role the app SETs after connecting so row-level security binds it.",
    )
    database_pool_size: int = Field(
        default=20,
        ge=1,
        le=500,
        description="PostgreSQL connections a process keeps open in each of its two pools (the"
        " engine's and the read pool's; opened as needed, never closed for being one too many:"
        " a pool that overflows opens and closes connections all the time under load).",
    )
    redis_url: str = ""
    storage_url: str = ""
    smtp_url: str = ""
    mail_from: str = "Tenantry <no-reply@tenantry.localhost>"
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    log_format: Literal["auto", "console", "json"] = Field(
        default="auto",
        description="console: coloured lines for people; json: JSON lines; auto: console on a"
        " terminal, JSON otherwise.",
    )
    embedded_worker: bool = Field(
        default=True, description="Run the job worker inside `serve` (the embedded default)."
    )
    worker_concurrency: int = Field(default=4, ge=1, le=256)
    job_lease_seconds: int = Field(default=60, ge=1, le=86400)
    job_poll_interval: float = Field(default=1.0, gt=0, le=60)
    job_backoff_base: float = Field(default=1.0, gt=0)
    job_backoff_cap: float = Field(default=300.0, gt=0)
    job_shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    drain_seconds: float = Field(
        default=0.0,
        ge=0,
        le=300,
        description="On SIGTERM, `serve` fails /readyz this long before it stops accepting,"
        " so a load balancer's health check takes the replica out first.",
    )
    job_retention_days: float = Field(default=7, ge=0, description="0 keeps finished jobs.")
    audit_retention_days: int = Field(
        default=0, ge=0, description="Prune audit entries older than this daily; 0 keeps all."
    )
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
    metrics_token: str = Field(
        default="",
        description="Bearer token `/metrics` requires; empty keeps `/metrics` switched off.",
    )
    demo_on_first_start: bool = Field(
        default=False,
        description="Create the demo tenant when `serve` finds an empty database (`serve --demo`).",
    )
    credential_cache_seconds: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="How long a checked API key or token is trusted without reading its row"
        " again: the longest a revocation made in another process goes unseen (0: always read).",
    )
    max_body_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1024,
        description=(
            "The largest request body any route reads (signed file uploads to /files aside)."
        ),
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

    @field_validator("data_dir")
    @classmethod
    def _directory(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"expects a directory (or a path to create one), not {str(value)!r}")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError(
                "expects at least 16 random characters (or unset, to generate one in the data dir)"
            )
        return value

    @field_validator("metrics_token")
    @classmethod
    def _long_token(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("expects at least 16 random characters (or unset: /metrics is off)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"expects IP addresses or networks (or *), comma-separated, not {entry!r}"
                ) from None
        return value

    @field_validator("database_role")
    @classmethod
    def _role_name(cls, value: str) -> str:
        if value and not _IDENTIFIER.match(value):
            raise ValueError("expects a PostgreSQL role name (letters, digits, underscores)")
        return value

    @field_validator("job_modules")
    @classmethod
    def _module_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _MODULE.match(name):
                raise ValueError(f"expects comma-separated Python module names (got {name!r})")
        return value

    @field_validator("base_url")
    @classmethod
    def _public_origin(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"expects an http:// or https:// URL with a host (got {value!r})")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        from tenantry.core.ratelimit import redis_storage_uri

        if value:
            redis_storage_uri(value)
        return value

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str) -> str:
        from tenantry.core.storage import check_storage_url

        check_storage_url(value)
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str) -> str:
        from tenantry.core.mail import SmtpTransport

        if value:
            SmtpTransport(value)
        return value

    @field_validator("mail_from")
    @classmethod
    def _sender(cls, value: str) -> str:
        from tenantry.core.mail import check_address

        check_address("the value", value)
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {mask_url(value)!r})"
            )
        return value

    @field_validator("database_replica_url")
    @classmethod
    def _replica_of_postgres(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            return value
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError(f"must start with postgresql+asyncpg:// (got {mask_url(value)!r})")
        if not str(info.data.get("database_url", "")).startswith("postgresql+asyncpg://"):
            # SQLite has no replicas: a replica beside it is a mistake, not something to ignore.
            raise ValueError("needs TENANTRY_DATABASE_URL on PostgreSQL (SQLite has no replica)")
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
