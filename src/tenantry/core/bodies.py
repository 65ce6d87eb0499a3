"""Reading client input safely, the same way on every face: bounded, shallow, NUL-free.

Both faces parse JSON bodies and query strings; the checks that keep hostile input from
costing memory or reaching the database as a 500 live here once:

* :func:`read_body` streams the body and stops at a limit (413) instead of buffering it all;
* :func:`parse_json` refuses documents nested deeper than :data:`MAX_JSON_DEPTH` (deep
  nesting makes recursive validators and serialisers overflow the stack);
* :func:`find_nul` finds a ``U+0000`` in any string, which PostgreSQL cannot store in
  ``text`` and refuses mid-query.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.requests import Request

from tenantry.core.errors import PayloadTooLarge

__all__ = [
    "MAX_JSON_DEPTH",
    "SPOOL_BYTES",
    "JsonRefused",
    "find_nul",
    "find_nul_in_pairs",
    "json_depth_exceeds",
    "parse_json",
    "read_body",
]

SPOOL_BYTES = 256 * 1024
"""A body is kept in memory up to this size while it is read, on disk beyond."""
MAX_JSON_DEPTH = 64
"""Deeper than any real payload of either API (the deepest, PERSCOM search, is about 6)."""


class JsonRefused(ValueError):
    """The body is not JSON, or is JSON nested deeper than :data:`MAX_JSON_DEPTH`."""


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) anything longer than ``limit`` before buffering it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge("The request body is too large.")
    # Past SPOOL_BYTES the body waits on disk (as nginx's client_body_buffer_size): many
    # concurrent large bodies, most of them refused once past the limit, cost no memory.
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge("The request body is too large.")
            spool.write(chunk)
        spool.seek(0)
        return spool.read()


def parse_json(raw: bytes | str) -> Any:
    """The JSON value of ``raw``; :class:`JsonRefused` when malformed or too deep.

    orjson parses without recursion limits of Python's own and refuses past 1024 levels;
    the depth is then measured iteratively, so no input can exhaust the stack."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise JsonRefused(str(error)) from None
    if json_depth_exceeds(value, MAX_JSON_DEPTH):
        raise JsonRefused(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    return value


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests arrays/objects more than ``limit`` levels deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children: Iterable[Any] = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def find_nul(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) holding ``U+0000``, else ``None``.

    The root itself is reported as ``""``."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, str):
            if "\x00" in current:
                return where
        elif isinstance(current, dict):
            for key, child in current.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and "\x00" in key:
                    return name
                stack.append((child, name))
        elif isinstance(current, list | tuple):
            stack.extend((child, f"{where}.{index}") for index, child in enumerate(current))
    return None


def find_nul_in_pairs(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first query/form parameter whose name or value holds ``U+0000``."""
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "")
    return None
