"""Direct routes: request-only endpoints called without FastAPI's dependency solving, with
the same answers, errors and OpenAPI operations; every other endpoint solved as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.responses import Response

from tenantry.core.direct_routes import DirectRoute, direct_handler

pytestmark = pytest.mark.anyio


async def who(request: Request) -> str:
    name = request.headers.get("x-name")
    if name is None:
        raise HTTPException(401, "Who are you?")
    return name


async def depth(request: Request) -> int:
    return len(request.url.path.strip("/").split("/"))


async def held() -> AsyncIterator[str]:
    yield "held"


Who = Annotated[str, Depends(who)]
Depth = Annotated[int, Depends(depth)]


def _router(route_class: type[APIRoute]) -> APIRouter:
    router = APIRouter(prefix="/api", route_class=route_class)

    @router.get("/hello/{word}", responses={401: {"description": "No name"}})
    async def hello(request: Request, name: Who, levels: Depth) -> Response:
        word = request.path_params["word"]
        return JSONResponse({"name": name, "word": word, "levels": levels})

    @router.get("/count")
    async def count(n: int) -> Response:  # a query field: FastAPI validates it
        return JSONResponse({"n": n})

    @router.get("/held")
    async def with_yield(value: Annotated[str, Depends(held)]) -> Response:
        return JSONResponse({"value": value})

    @router.get("/plain")
    async def plain(request: Request) -> dict[str, Any]:  # FastAPI serialises the return
        return {"path": request.url.path}

    return router


def _app(route_class: type[APIRoute]) -> FastAPI:
    app = FastAPI()
    app.include_router(_router(route_class))
    return app


def _routes(app: FastAPI) -> dict[str, APIRoute]:
    found: dict[str, APIRoute] = {}
    for context in iter_route_contexts(app.router.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found[route.path] = route
    return found


def test_only_request_only_endpoints_returning_a_response_are_called_directly() -> None:
    routes = _routes(_app(DirectRoute))
    direct = {path for path, route in routes.items() if direct_handler(route.dependant)}
    assert direct == {"/api/hello/{word}"}
    assert all(isinstance(route, DirectRoute) for route in routes.values())


async def test_answers_and_errors_are_fastapis() -> None:
    direct, solved = _app(DirectRoute), _app(APIRoute)
    requests = [
        ("/api/hello/there", {"x-name": "Ada"}),
        ("/api/hello/there", {}),  # the dependency refuses: its HTTPException, as FastAPI's
        ("/api/count?n=3", {}),
        ("/api/count?n=three", {}),  # FastAPI's own 422 (solved there)
        ("/api/held", {}),
        ("/api/plain", {}),
    ]
    async with _client(direct) as a, _client(solved) as b:
        for path, headers in requests:
            got, expected = await a.get(path, headers=headers), await b.get(path, headers=headers)
            assert (got.status_code, got.json()) == (expected.status_code, expected.json()), path
    async with _client(direct) as client:
        answer = await client.get("/api/hello/there", headers={"x-name": "Ada"})
    assert answer.json() == {"name": "Ada", "word": "there", "levels": 3}


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def test_the_openapi_operations_are_unchanged() -> None:
    assert _app(DirectRoute).openapi() == _app(APIRoute).openapi()
