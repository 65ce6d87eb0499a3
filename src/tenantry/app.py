"""The ASGI application: the platform core, the faces mounted on it, docs and operations."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tenantry import __version__
from tenantry.core import errors
from tenantry.core.boundary import BoundaryMiddleware
from tenantry.core.face import Face
from tenantry.core.observability import Metrics, RequestContextMiddleware
from tenantry.core.ops import PROBES
from tenantry.core.ops import router as ops_router
from tenantry.core.platform import Platform
from tenantry.core.routing import index_routes
from tenantry.core.storage.local import FILES_PATH
from tenantry.core.storage.routes import router as files_router
from tenantry.core.unit import database_went_away
from tenantry.faces import FACES, job_modules
from tenantry.settings import Settings, load_settings
from tenantry.web.docs import docs_router

log = structlog.get_logger("tenantry")


def create_app(settings: Settings | None = None, faces: Sequence[Face] | None = None) -> FastAPI:
    """The app with ``faces`` (all of ``tenantry.faces.FACES`` by default).

    Each face's runtime, as its ``install`` returned it, is kept in ``app.state.faces`` by name.
    """
    settings = settings or load_settings()
    platform = Platform.build(settings)
    listed = FACES if faces is None else faces

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with platform_lifespan(platform, job_modules(listed)):
            yield

    app = FastAPI(
        title="Tenantry",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # No OpenTelemetry here (metrics are Prometheus, `core.observability`): without this,
        # FastAPI asks OpenTelemetry's global providers on every request whether it should trace.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.platform = platform
    app.state.metrics = Metrics()
    _install_error_handlers(app, platform)
    app.router.routes.extend(PROBES)
    app.include_router(ops_router)
    app.include_router(files_router)
    app.include_router(docs_router(lambda: platform.specs))
    app.state.faces = {face.name: face.install(app, platform) for face in listed}
    index_routes(app.router)
    app.add_middleware(
        BoundaryMiddleware,
        limit=settings.max_body_bytes,
        render_error=platform.error_renderers.render_at_edge,
        exempt=_streams_to_storage,
    )
    app.add_middleware(
        RequestContextMiddleware,
        metrics=app.state.metrics,
        render_error=platform.error_renderers.render_at_edge,
    )
    if settings.trusted_proxies:
        # Only the configured proxies may say who the client is (rate-limit keys, audit):
        # believing X-Forwarded-For from anyone would let a client pick its own key.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


def _streams_to_storage(scope: Scope) -> bool:
    """The signed uploads (a form POST, a multipart part PUT) stream to storage under their
    own size limits."""
    if scope["method"] == "POST":
        return bool(scope["path"] == FILES_PATH)
    return bool(scope["method"] == "PUT" and str(scope["path"]).startswith(FILES_PATH + "/"))


@asynccontextmanager
async def platform_lifespan(
    platform: Platform, worker_modules: Sequence[str] = ()
) -> AsyncIterator[None]:
    """Start the embedded worker when configured; on shutdown let it hand back its leases."""
    worker_task = None
    stop = None
    if platform.settings.embedded_worker:
        import asyncio

        from tenantry.core.jobs import run_worker

        stop = asyncio.Event()
        worker_task = asyncio.create_task(
            run_worker(
                platform.settings,
                stop,
                install_signal_handlers=False,
                modules=worker_modules,
            )
        )
    try:
        yield
    finally:
        if worker_task is not None and stop is not None:
            stop.set()
            await worker_task
        await platform.close()


def _install_error_handlers(app: FastAPI, platform: Platform) -> None:
    render = platform.error_renderers.render

    async def on_tenantry_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.TenantryError)
        return render(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        field_errors = [
            errors.FieldError(
                key=".".join(str(part) for part in error.get("loc", ())[1:]) or None,
                message=str(error.get("msg", "invalid")),
                value=None,
                code=str(error.get("type", "invalid")),
            )
            for error in exc.errors()
        ]
        return render(request, errors.ValidationFailed("The given data was invalid.", field_errors))

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        mapped: dict[int, type[errors.TenantryError]] = {
            400: errors.BadRequest,
            401: errors.Unauthenticated,
            403: errors.Forbidden,
            404: errors.NotFound,
            405: errors.MethodNotAllowed,
            409: errors.Conflict,
            413: errors.PayloadTooLarge,
            429: errors.RateLimited,
        }
        kind = mapped.get(exc.status_code, errors.BadRequest)
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        return render(request, kind(message, headers=dict(exc.headers or {})))

    async def on_database_down(request: Request, exc: Exception) -> Response:
        if isinstance(exc, IntegrityError):
            # A uniqueness race lost after the service's own check passed (two creates
            # with one email at once): the client's conflict, not a server error.
            return render(
                request, errors.Conflict("The object conflicts with one written at the same time.")
            )
        if (
            isinstance(exc, DBAPIError)
            and not exc.connection_invalidated
            and not isinstance(exc, OperationalError | InterfaceError)
            and not database_went_away(exc)
        ):
            log.exception("database error", path=request.url.path)
            return render(request, errors.InternalError("An internal error occurred."))
        log.warning("database unavailable", error=type(exc).__name__)
        return render(
            request,
            errors.ServiceUnavailable(
                "The service is temporarily unavailable.", headers={"Retry-After": "5"}
            ),
        )

    app.add_exception_handler(errors.TenantryError, on_tenantry_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(DBAPIError, on_database_down)
    app.add_exception_handler(ConnectionError, on_database_down)
