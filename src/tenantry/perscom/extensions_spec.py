"""The OpenAPI description of Tenantry's additions to the PERSCOM API (``/webhooks``,
``/activity``): PERSCOM has no such endpoints, so each operation carries
``x-tenantry-extension: true``, the ``extensions`` tag and says so in its summary."""

from __future__ import annotations

from typing import Any

from tenantry.perscom.engine.runtime import INT64_MAX
from tenantry.perscom.webhooks.events import EVENTS

__all__ = ["EXTENSION_TAG", "extension_paths", "extension_schemas"]

EXTENSION_TAG = {
    "name": "extensions",
    "description": (
        "Tenantry's additions: not in PERSCOM.io's API (webhooks, the API and audit logs)."
    ),
}
REF = "#/components/schemas/"
JSON = "application/json"
_EXTENSION = {"x-tenantry-extension": True, "tags": ["extensions"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/{code}"} for code in codes}


def _ok(schema: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": "OK", "content": {JSON: {"schema": _ref(schema)}}}}


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


_AUDIT_FILTERS = (
    ("since", "Only entries at or after this ISO 8601 date or time."),
    ("actor", "Only entries of this user id or credential (`api_key:12`, `cli`)."),
    ("resource", "Only entries about this resource type (a table), or `type:id`."),
)


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": "string"}}


def _path_id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
    }


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: str | None = None,
    errors: tuple[str, ...] = ("401", "403", "404", "422", "429", "503"),
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": operation_id,
        "summary": f"{summary} (Tenantry extension)",
        **_EXTENSION,
        "parameters": [_param("PerscomId"), *(parameters or [])],
        "responses": {**responses, **_errors(*errors, *(("400", "413") if body else ()))},
    }
    if body is not None:
        result["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
    return result


def extension_paths(version: str) -> dict[str, dict[str, Any]]:
    base = f"/{version}"
    one = [_path_id("id")]
    return {
        f"{base}/webhooks": {
            "get": _operation(
                "listWebhooks",
                "The organisation's webhooks (manage:webhook)",
                _ok("WebhookList"),
                parameters=[_param("Page"), _param("Limit")],
            ),
            "post": _operation(
                "storeWebhook",
                "Register a webhook (manage:webhook)",
                _ok("WebhookResponse", "201"),
                body="WebhookCreate",
            ),
        },
        f"{base}/webhooks/{{id}}": {
            "get": _operation("showWebhook", "One webhook", _ok("WebhookResponse"), parameters=one),
            "put": _operation(
                "updateWebhook",
                "Change a webhook",
                _ok("WebhookResponse"),
                parameters=one,
                body="WebhookUpdate",
            ),
            "patch": _operation(
                "patchWebhook",
                "Change a webhook",
                _ok("WebhookResponse"),
                parameters=one,
                body="WebhookUpdate",
            ),
            "delete": _operation(
                "destroyWebhook", "Delete a webhook", _ok("WebhookResponse"), parameters=one
            ),
        },
        f"{base}/webhooks/{{id}}/test": {
            "post": _operation(
                "testWebhook",
                "Send `webhook.test` to a webhook now",
                _ok("DeliveryQueued", "202"),
                parameters=one,
            ),
        },
        f"{base}/webhooks/{{id}}/deliveries": {
            "get": _operation(
                "listWebhookDeliveries",
                "The webhook's delivery attempts, newest first",
                _ok("WebhookDeliveryList"),
                parameters=[
                    *one,
                    _param("Limit"),
                    {
                        "name": "before",
                        "in": "query",
                        "required": False,
                        "description": "Only attempts with a smaller id (the next page).",
                        "schema": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
                    },
                ],
            ),
        },
        f"{base}/webhooks/{{id}}/deliveries/{{delivery}}/replay": {
            "post": _operation(
                "replayWebhookDelivery",
                "Send a logged request again, as a new delivery",
                _ok("DeliveryQueued", "202"),
                parameters=[*one, _path_id("delivery")],
            ),
        },
        f"{base}/activity": {
            "get": _operation(
                "listActivity",
                "The API log: each request and response, newest first (view:log)",
                _ok("ActivityList"),
                parameters=[_param("Page"), _param("Limit")],
            ),
        },
        f"{base}/audit-log": {
            "get": _operation(
                "listAuditLog",
                "The audit log: who changed what, one entry per write, newest first (manage:api)",
                _ok("AuditEntryList"),
                parameters=[
                    _param("Page"),
                    _param("Limit"),
                    *(_query(name, text) for name, text in _AUDIT_FILTERS),
                ],
            ),
        },
    }


def extension_schemas() -> dict[str, Any]:
    events = {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(EVENTS)}}
    url = {"type": "string", "format": "uri", "maxLength": 2048}
    method = {"type": "string", "enum": ["get", "post"]}
    secret = {"type": "string", "minLength": 8, "maxLength": 200}
    description = {"type": ["string", "null"], "maxLength": 1000}
    webhook = {
        "type": "object",
        "required": ["id", "url", "method", "events", "secret", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "method": method,
            "events": {"type": "array", "items": {"type": "string"}},
            "secret": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    }
    delivery = {
        "type": "object",
        "required": ["id", "delivery_id", "event", "url", "attempt", "outcome"],
        "properties": {
            "id": {"type": "integer"},
            "delivery_id": {"type": "integer"},
            "event": {"type": "string"},
            "url": {"type": "string"},
            "attempt": {"type": "integer"},
            "outcome": {"type": "string"},
            "response_status": {"type": ["integer", "null"]},
            "error": {"type": ["string", "null"]},
            "duration_ms": {"type": ["integer", "null"]},
            "replay_of": {"type": ["integer", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    }
    exchange = {
        "type": "object",
        "properties": {
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"type": ["string", "null"]},
        },
    }
    activity = {
        "type": "object",
        "required": ["id", "log_name", "method", "path", "status", "duration_ms", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "log_name": {"type": "string", "enum": ["api", "oauth"]},
            "description": {"type": "string"},
            "method": {"type": "string"},
            "path": {"type": "string"},
            "query": {"type": ["string", "null"]},
            "status": {"type": "integer"},
            "duration_ms": {"type": "integer"},
            "credential": {
                "type": "object",
                "properties": {
                    "kind": {"type": ["string", "null"]},
                    "id": {"type": ["string", "null"]},
                },
            },
            "request": exchange,
            "response": exchange,
            "request_id": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    }

    diff = {"type": "object", "additionalProperties": {"type": "array", "minItems": 2}}
    audit_entry = {
        "type": "object",
        "required": ["id", "seq", "at", "actor", "action", "resource_type", "changes", "hash"],
        "properties": {
            "id": {"type": "integer"},
            "seq": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "actor": {
                "type": "object",
                "properties": {
                    "user_id": {"type": ["integer", "null"]},
                    "credential": {"type": "string"},
                },
            },
            "action": {"type": "string", "enum": ["create", "update", "delete", "checkpoint"]},
            "resource_type": {"type": "string"},
            "resource_id": {"type": ["string", "null"]},
            "changes": diff,
            "related": {"type": "array", "items": {"type": "object"}},
            "request_id": {"type": ["string", "null"]},
            "address": {"type": ["string", "null"]},
            "hash": {"type": "string"},
            "prev_hash": {"type": "string"},
        },
    }

    def listing(item: str) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["data", "links", "meta"],
            "properties": {
                "data": {"type": "array", "items": _ref(item)},
                "links": _ref("Links"),
                "meta": _ref("Meta"),
            },
        }

    return {
        "Webhook": webhook,
        "WebhookCreate": {
            "type": "object",
            "required": ["url", "events"],
            "properties": {
                "url": url,
                "method": method,
                "events": events,
                "secret": secret,
                "description": description,
            },
        },
        "WebhookUpdate": {
            "type": "object",
            "properties": {
                "url": url,
                "method": method,
                "events": events,
                "secret": secret,
                "description": description,
            },
        },
        "WebhookResponse": {
            "type": "object",
            "required": ["data"],
            "properties": {"data": _ref("Webhook")},
        },
        "WebhookList": listing("Webhook"),
        "WebhookDelivery": delivery,
        "WebhookDeliveryList": {
            "type": "object",
            "required": ["data"],
            "properties": {"data": {"type": "array", "items": _ref("WebhookDelivery")}},
        },
        "DeliveryQueued": {
            "type": "object",
            "required": ["data"],
            "properties": {
                "data": {
                    "type": "object",
                    "required": ["delivery_id"],
                    "properties": {"delivery_id": {"type": "integer"}},
                }
            },
        },
        "Activity": activity,
        "ActivityList": listing("Activity"),
        "AuditEntry": audit_entry,
        "AuditEntryList": listing("AuditEntry"),
    }
