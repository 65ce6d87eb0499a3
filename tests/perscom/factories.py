"""Valid rows for any declared resource, created through the API itself.

Payloads are derived from the declarations (required fields, rules, foreign keys), so a
new resource needs no new factory; rows a payload points at are created first.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
from PIL import Image

from tenantry.perscom.engine.declaration import BelongsTo
from tenantry.perscom.engine.runtime import Compiled, Registry
from tenantry.perscom.resources import DECLARATIONS

REGISTRY = Registry(DECLARATIONS)


def png_bytes(size: tuple[int, int] = (4, 4), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


SAMPLES: dict[tuple[str, str], Any] = {("messages", "channels"): ["database"]}
"""Values a column's type and rules cannot suggest (a list of enum values)."""


def sample_value(resource: Compiled, name: str) -> Any:
    if (resource.name, name) in SAMPLES:
        return SAMPLES[(resource.name, name)]
    rule = resource.decl.rules.get(name)
    if rule is not None and rule.choices:
        return rule.choices[0]
    if rule is not None and rule.pattern and "0-9A-Fa-f" in rule.pattern:
        return "#2563eb"
    if name == "email":
        return f"person-{uuid.uuid4().hex[:10]}@example.com"
    if name == "key":
        return f"key_{uuid.uuid4().hex[:10]}"
    kind = resource.kinds[name]
    if kind == "int":
        return 1
    if kind == "bool":
        return False
    if kind == "datetime":
        return "2024-01-01T02:00:00Z" if name == "ends" else "2024-01-01T00:00:00Z"
    return f"{resource.decl.label} {uuid.uuid4().hex[:6]}"


def required_fields(resource: Compiled) -> list[str]:
    return [
        n for n, r in resource.decl.rules.items() if r.required and n not in resource.decl.files
    ]


async def payload_for(api: httpx.AsyncClient, name: str, **overrides: Any) -> dict[str, Any]:
    """A valid create body for ``name``; foreign keys it needs are created on the way."""
    resource = REGISTRY.get(name)
    payload: dict[str, Any] = {}
    keys = {
        r.spec.key: r.required_target().name
        for r in resource.relations.values()
        if isinstance(r.spec, BelongsTo)
    }
    for field in required_fields(resource):
        if field in overrides:
            continue
        if field in keys:
            payload[field] = (await create(api, keys[field]))["id"]
        else:
            payload[field] = sample_value(resource, field)
    payload.update(overrides)
    return payload


async def create(api: httpx.AsyncClient, name: str, **overrides: Any) -> dict[str, Any]:
    """Create one row of ``name`` and return its entity (images go up as multipart).

    A newsfeed item cannot be posted: a record is written and its feed item returned."""
    if name == "newsfeed":
        await create(api, "combat-records")
        feed = await api.get("/v1/newsfeed?limit=1")
        assert feed.status_code == 200, feed.text
        item: dict[str, Any] = feed.json()["data"][0]
        return item
    payload = await payload_for(api, name, **overrides)
    resource = REGISTRY.get(name)
    if any(r.required for f, r in resource.decl.rules.items() if f in resource.decl.files):
        files = {f: (f"{f}.png", png_bytes(), "image/png") for f in resource.decl.files}
        data = {k: str(v) for k, v in payload.items()}
        response = await api.post(f"/v1/{name}", data=data, files=files)
    else:
        response = await api.post(f"/v1/{name}", json=payload)
    assert response.status_code == 201, response.text
    data_out: dict[str, Any] = response.json()["data"]
    return data_out
