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
from starlette.routing import Match, Route
from starlette.types import Scope

from tenantry.core import migrate
from tenantry.core.errors import NotFound, Unauthenticated
from tenantry.core.observability import Metrics
from tenantry.core.platform import get_platform

router = APIRouter(include_in_schema=False)


_OK = b'{"status":"ok"}'
_READY = b'{"status":"ready"}'


async def healthz(_request: Request) -> Response:
    """The process is up (says nothing about its dependencies)."""
    return Response(_OK, media_type="application/json")


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
    return Response(_READY, media_type="application/json")


class _Probe(Route):
    """A plain route (no parameters: FastAPI's dependency solving and response handling
    would be all of a probe's cost) that names itself in the scope for the metrics."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child["route"] = self
        return match, child


PROBES = [
    _Probe("/healthz", healthz, methods=["GET"], include_in_schema=False),
    _Probe("/readyz", readyz, methods=["GET"], include_in_schema=False),
]
"""Added to the application's own route list (an included router would wrap them)."""


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
