"""Rows to PERSCOM's wire shape, and the envelopes around them, serialized with orjson.

Rows come straight from Core selects; each is turned into a dict by the plan compiled at
start-up (no ORM objects, no Pydantic), with Laravel's appended fields after the columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from starlette.responses import Response

from tenantry.perscom.engine.declaration import RenderContext
from tenantry.perscom.engine.query import Page
from tenantry.perscom.engine.runtime import Compiled

JSON = "application/json"


def entity(
    resource: Compiled,
    row: Any,
    context: RenderContext,
    later: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One row as Laravel's ``toArray()``: every column, then ``label`` and the accessors
    (which also see the row's ``later`` values, read apart; see ``engine.deferred``)."""
    # Zipping a row into its keys builds the dict in C; only formatted columns are revisited
    # (replacing a value keeps its key's place).
    data = dict(zip(resource.output_keys, row, strict=False))
    for key, fmt in resource.formatted:
        value = data[key]
        if value is not None:
            data[key] = fmt(value)
    data["label"] = f"{resource.decl.label}: {data['id']}"
    if resource.computed:
        raw = dict(zip(resource.row_keys, row, strict=False))
        if later is not None:
            raw.update(later)
        for computed in resource.computed:
            value = computed.compute(raw, context)
            if computed.spread:
                for key, item in value.items():
                    data.setdefault(key, item)
            else:
                data[computed.name] = value
    return data


def respond(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(payload), status_code=status, headers=headers, media_type=JSON)


def paginated(data: Sequence[Mapping[str, Any]], page: Page, path: str) -> dict[str, Any]:
    """Laravel's paginated resource collection: ``data``, ``links`` and ``meta``.

    The links carry only ``page`` (Orion does not append ``limit`` or ``include``).
    """
    size = page.request.size
    current = page.request.number
    last = max(1, math.ceil(page.total / size))

    def url(number: int) -> str:
        return f"{path}?page={number}"  # what urlencode gives for a page number

    first_index = (current - 1) * size + 1 if data else None
    return {
        "data": data,
        "links": {
            "first": url(1),
            "last": url(last),
            "prev": url(current - 1) if current > 1 else None,
            "next": url(current + 1) if current < last else None,
        },
        "meta": {
            "current_page": current,
            "from": first_index,
            "last_page": last,
            "links": page_links(current, last, url),
            "path": path,
            "per_page": size,
            "to": first_index + len(data) - 1 if first_index is not None else None,
            "total": page.total,
        },
    }


def page_links(current: int, last: int, url: Any) -> list[dict[str, Any]]:
    """Laravel's ``UrlWindow`` (three pages each side) as ``meta.links``."""
    links: list[dict[str, Any]] = [
        {
            "url": url(current - 1) if current > 1 else None,
            "label": "&laquo; Previous",
            "active": False,
        }
    ]
    for element in _window(current, last):
        if element is None:
            links.append({"url": None, "label": "...", "active": False})
        else:
            links.append({"url": url(element), "label": str(element), "active": element == current})
    links.append(
        {
            "url": url(current + 1) if current < last else None,
            "label": "Next &raquo;",
            "active": False,
        }
    )
    return links


def _window(current: int, last: int, each_side: int = 3) -> list[int | None]:
    """Page numbers with ``None`` for the ``...`` gaps, exactly as Laravel's slider."""
    if last < each_side * 2 + 8:
        return list(range(1, last + 1))
    window = each_side + 4
    if current <= window:
        return [*range(1, window + each_side + 1), None, last - 1, last]
    if current > last - window:
        return [1, 2, None, *range(last - (window + each_side - 1), last + 1)]
    return [1, 2, None, *range(current - each_side, current + each_side + 1), None, last - 1, last]
