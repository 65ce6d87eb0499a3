"""OpenAPI pieces the routes share: envelopes, the error body, request bodies.

Schemas of request bodies come from their Pydantic models; nested models are hoisted into
``components.schemas`` (collected in :data:`COMPONENTS`, which the spec adds).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = [
    "COMPONENTS",
    "ERRORS_SCHEMA",
    "body_schema",
    "error_responses",
    "list_ref",
    "nullable",
    "single_ref",
]

COMPONENTS: dict[str, dict[str, Any]] = {}
REF = "#/components/schemas/{model}"

ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "message", "key"],
                "properties": {
                    "code": {"type": "string", "examples": ["input:invalid_value"]},
                    "message": {"type": "string"},
                    "key": {"type": ["string", "null"], "examples": ["$.include"]},
                    "value": {},
                },
            },
        }
    },
}
COMPONENTS["Errors"] = ERRORS_SCHEMA


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Errors")}}},
    }


def error_responses(*, conflict: bool = False, auth: bool = True) -> dict[int | str, Any]:
    responses: dict[int | str, Any] = {400: _error("Invalid input.")}
    if auth:
        responses[401] = _error("Bad or expired access_token.")
        responses[403] = _error(
            "Target resource was not found: it does not exist, or the access token and scope"
            " do not allow this method on it."
        )
    if conflict:
        responses[409] = _error("Resource conflict.")
    responses[429] = _error("Rate limit exceeded.")
    return responses


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=ref)}}},
    }


def list_ref(title: str) -> dict[str, Any]:
    return _json(f"{title}List", f"A page of {title} objects.")


def single_ref(title: str) -> dict[str, Any]:
    return _json(f"{title}Single", f"One {title}.")


def register_object(title: str, schema: dict[str, Any], include_types: list[str]) -> None:
    """Add ``title``, ``{title}List`` and ``{title}Single`` to the components."""
    include: dict[str, Any] = {
        "type": "object",
        "properties": {
            name: {"type": "array", "items": {"$ref": REF.format(model=_title_of(name))}}
            for name in include_types
        },
        "additionalProperties": False,
    }
    COMPONENTS[title] = schema
    COMPONENTS[f"{title}List"] = {
        "type": "object",
        "required": ["meta", "data", "include"],
        "properties": {
            "meta": {
                "type": "object",
                "required": ["total", "query"],
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "query": {"type": "object"},
                },
            },
            "data": {"type": "array", "items": {"$ref": REF.format(model=title)}},
            "include": include,
        },
    }
    COMPONENTS[f"{title}Single"] = {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"$ref": REF.format(model=title)}, "include": include},
    }


TITLES: dict[str, str] = {}
"""Type word -> component title (``user_role`` -> ``UserRole``)."""


def _title_of(type_word: str) -> str:
    return TITLES.get(type_word, "".join(part.title() for part in type_word.split("_")))


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A ``requestBody`` for ``model`` (nested models hoisted into the components)."""
    schema = model.model_json_schema(ref_template=REF)
    for name, definition in schema.pop("$defs", {}).items():
        COMPONENTS[name] = definition
    COMPONENTS[model.__name__] = schema
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}},
    }
