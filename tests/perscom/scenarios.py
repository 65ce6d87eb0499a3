"""A valid request for any served operation, with the rows it needs created beforehand.

Used by the authorization matrix and the isolation suite, which both walk every
operation the router serves (``operations(REGISTRY)``), so new resources are covered
without new tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from tests.perscom.factories import REGISTRY, create, payload_for, png_bytes

from tenantry.perscom.engine.declaration import BelongsTo, BelongsToMany, HasMany, MorphOne
from tenantry.perscom.engine.routes import Operation, operations
from tenantry.perscom.engine.runtime import Compiled

OPERATIONS = operations(REGISTRY)
"""Every operation the face serves (the same list the routers are built from)."""

_ABILITY = {
    "index": "view",
    "search": "view",
    "show": "view",
    "store": "create",
    "batch_store": "create",
    "update": "update",
    "batch_update": "update",
    "destroy": "delete",
    "batch_destroy": "delete",
}


def required_scopes(operation: Operation) -> list[str]:
    """The scopes PERSCOM checks for an operation (reference §2.2)."""
    parent = operation.resource.decl.permission
    if operation.action in ("attach", "detach", "sync", "toggle", "update_pivot"):
        return [f"update:{parent}"]
    ability = _ABILITY[operation.action]
    scopes = [f"{ability}:{operation.target.decl.permission}"]
    if operation.relation is not None and operation.action in ("index", "search"):
        scopes.append(f"view:{parent}")
    return sorted(set(scopes))


@dataclass
class Prepared:
    method: str
    url: str
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, Any] | None = None
    expect: int = 200
    ids: dict[str, int] = field(default_factory=dict)

    async def send(self, client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        return await client.request(
            self.method,
            self.url,
            json=self.json,
            data=self.data,
            files=self.files,
            headers=headers,
        )


def _item_path(operation: Operation, parent_id: int | None, related_id: int | None) -> str:
    path = operation.spec_path
    if parent_id is not None:
        path = path.replace("{id}", str(parent_id))
    if related_id is not None:
        path = path.replace("{rid}", str(related_id))
    return "/v1" + path


def required_files(target: Compiled) -> list[str]:
    """The upload fields a create needs (an image's ``image``, an attachment's ``file``)."""
    rules = target.decl.rules
    return [f for f in target.decl.files if f in rules and rules[f].required]


async def _multipart(api: httpx.AsyncClient, name: str) -> tuple[dict[str, str], dict[str, Any]]:
    payload = await payload_for(api, name)
    data = {k: str(v) for k, v in payload.items()}
    fields = required_files(REGISTRY.get(name)) or ["image"]
    files = {f: (f"{f}.png", png_bytes(), "image/png") for f in fields}
    return data, files


async def prepare(api: httpx.AsyncClient, operation: Operation) -> Prepared:
    """Create what ``operation`` needs through ``api`` (all scopes) and build its request."""
    target = operation.target
    relation = operation.relation
    action = operation.action
    parent_id: int | None = None
    related_id: int | None = None
    if relation is None:
        if "{id}" in operation.spec_path or action in ("batch_update", "batch_destroy"):
            related_id = (await create(api, target.name))["id"]
        url_id = related_id
        url = _item_path(operation, url_id, None)
    else:
        parent_id = (await create(api, operation.resource.name))["id"]
        spec = relation.spec
        if isinstance(spec, BelongsToMany):
            related_id = (await create(api, target.name))["id"]
            if action not in ("attach", "toggle", "sync", "store", "batch_store"):
                rel_path = (
                    f"/v1/{operation.resource.name}/{parent_id}/{relation.name.replace('_', '-')}"
                )
                attached = await api.post(f"{rel_path}/attach", json={"resources": [related_id]})
                assert attached.status_code == 200, attached.text
        elif isinstance(spec, HasMany):
            owned = {spec.key: parent_id, **dict(spec.where)}
            related_id = (await create(api, target.name, **owned))["id"]
        elif isinstance(spec, BelongsTo):
            related_id = (await create(api, target.name))["id"]
            linked = await api.patch(
                f"/v1/{operation.resource.name}/{parent_id}", json={spec.key: related_id}
            )
            assert linked.status_code == 200, linked.text
        elif isinstance(spec, MorphOne) and action != "store":
            data, files = await _multipart(api, target.name)
            stored = await api.post(
                f"/v1/{operation.resource.name}/{parent_id}/{relation.name}", data=data, files=files
            )
            assert stored.status_code == 201, stored.text
            related_id = stored.json()["data"]["id"]
        url = _item_path(operation, parent_id, related_id)
    prepared = Prepared(operation.method, url)
    prepared.ids = {k: v for k, v in (("parent", parent_id), ("related", related_id)) if v}
    if action == "search":
        prepared.json = {"sort": [{"field": "id", "direction": "desc"}]}
    elif action == "store":
        prepared.expect = 201
        if required_files(target):
            prepared.data, prepared.files = await _multipart(api, target.name)
            prepared.data.pop("model_type", None)
        else:
            prepared.json = await payload_for(api, target.name)
    elif action == "update":
        prepared.json = {"created_at": "2024-02-02T00:00:00Z"}
    elif action == "batch_store":
        prepared.json = {"resources": [await payload_for(api, target.name)]}
    elif action == "batch_update":
        prepared.json = {"resources": {str(related_id): {"created_at": "2024-02-02T00:00:00Z"}}}
    elif action == "batch_destroy" or action in ("attach", "detach", "sync", "toggle"):
        prepared.json = {"resources": [related_id]}
    elif action == "update_pivot":
        assert relation is not None and isinstance(relation.spec, BelongsToMany)
        fields = relation.spec.pivot_fields
        prepared.json = {"pivot": {"text": "Noted"} if "text" in fields else {"order": 3}}
    return prepared


def operation_id(operation: Operation) -> str:
    return operation.operation_id
