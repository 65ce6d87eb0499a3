"""The route index hands the router every route that could match, and only those.

Every served path of both faces (parameters filled in) must find its own route among the
narrowed routes, and the answers the router gives for unknown paths, wrong methods and
trailing slashes must be those of the whole route list.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette._utils import is_async_callable

from tenantry.core.routing import SegmentIndex, literal_prefix

pytestmark = pytest.mark.anyio


def test_literal_prefix_stops_at_the_first_parameter() -> None:
    assert literal_prefix("/api/v5/post/{post_id}") == ("api", "v5", "post")
    assert literal_prefix("/v1/users/{id:int}/award-records") == ("v1", "users")
    assert literal_prefix("/files/{key:path}") == ("files",)
    assert literal_prefix("/{anything}") == ()
    assert literal_prefix("relative") is None


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_route_is_among_the_candidates_of_its_own_paths(app: FastAPI) -> None:
    index = app.router.middleware_stack
    assert isinstance(index, SegmentIndex)
    checked = 0
    for top in app.router.routes:
        for context in iter_route_contexts([top]):
            if not context.path:
                continue
            for path in (_concrete(context.path), _concrete(context.path) + "/x"):
                narrowed = index.narrowed(index.key_of(path))
                assert top in narrowed.routes, (path, top)
                checked += 1
    assert checked > 300  # both faces' routes were walked


async def test_unknown_leading_segments_share_one_entry(app: FastAPI) -> None:
    index = app.router.middleware_stack
    assert isinstance(index, SegmentIndex)
    assert index.key_of("/no-such-thing/a/b") == index.key_of("/another/c/d")


async def test_answers_match_the_whole_route_list(client: httpx.AsyncClient) -> None:
    """404, 405 and the slash redirect come out as the router itself gives them."""
    assert (await client.get("/no-such-page")).status_code == 404
    assert (await client.delete("/healthz")).status_code == 405
    assert (await client.get("/healthz")).status_code == 200
    spec = await client.get("/api/v5/spec.json")
    assert spec.status_code == 200
    unknown = await client.get("/api/v5/no-such-resource/")
    assert unknown.status_code == 404
    assert "errors" in unknown.json()  # still the face's own error shape


def _dependency_calls(dependant: Dependant) -> list[object]:
    calls: list[object] = []
    for sub in dependant.dependencies:
        if sub.call is not None:
            calls.append(sub.call)
        calls.extend(_dependency_calls(sub))
    return calls


async def test_no_route_hops_to_a_worker_thread(app: FastAPI) -> None:
    """FastAPI runs a plain ``def`` endpoint or dependency on a worker thread: a thread hop
    on every request. Every endpoint and dependency of both faces is ``async``."""
    walked = 0
    for context in iter_route_contexts(app.router.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        walked += 1
        for call in (route.endpoint, *_dependency_calls(route.dependant)):
            assert is_async_callable(call), (route.path, call)
    assert walked > 300
