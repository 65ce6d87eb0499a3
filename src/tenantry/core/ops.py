"""Operations endpoints: liveness, readiness and Prometheus metrics.

Metrics name routes, job counts and error rates: useful to an attacker mapping the service,
so ``/metrics`` answers only with ``TENANTRY_METRICS_TOKEN`` as a bearer token, and not at
all (404) while no token is configured.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from tenantry.core import migrate
from tenantry.core.errors import NotFound, Unauthenticated
from tenantry.core.observability import Metrics
from tenantry.core.platform import get_platform

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (says nothing about its dependencies)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    """Ready to serve: not draining, the database answers and its schema is at the head."""
    platform = get_platform(request)
    if platform.draining:
        return JSONResponse(
            {"status": "unavailable", "reason": "draining before shutdown"}, status_code=503
        )
    try:
        at_head = await migrate.serves_head(platform.engine, platform.settings)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse(
            {"status": "unavailable", "reason": f"database unreachable: {type(exc).__name__}"},
            status_code=503,
        )
    if not at_head:
        return JSONResponse(
            {"status": "unavailable", "reason": "migrations are not at head"}, status_code=503
        )
    return JSONResponse({"status": "ready"})


def _check_metrics_token(request: Request, expected: str) -> None:
    if not expected:
        raise NotFound("Not Found")
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), expected.encode()
    ):
        raise Unauthenticated(
            "The metrics need their bearer token.", headers={"WWW-Authenticate": "Bearer"}
        )


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    platform = get_platform(request)
    _check_metrics_token(request, platform.settings.metrics_token)
    collectors: Metrics = request.app.state.metrics
    try:
        from tenantry.core.jobs import job_counts

        async with platform.sessions() as session:
            for state, count in (await job_counts(session)).items():
                collectors.jobs.labels(state).set(count)
    except Exception:  # metrics must still answer when the database does not
        pass
    return Response(generate_latest(collectors.registry), media_type=CONTENT_TYPE_LATEST)
