"""OpenAPI pieces the routes share: envelopes, the error body, request bodies.

A route's request and response schemas refer to ``components.schemas`` by name and carry
the components they name under ``$defs`` (a body model with its nested models; a resource's
object with its list and single envelopes); the spec builder moves them into the components
when it builds the document, so declaring a route registers nothing anywhere else.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = [
    "ERRORS_SCHEMA",
    "body_schema",
    "error_responses",
    "list_ref",
    "nullable",
    "object_components",
    "single_ref",
    "title_of",
]

REF = "#/components/schemas/{model}"
Components = dict[str, dict[str, Any]]

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


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _json(ref: str, description: str, components: Components | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": REF.format(model=ref)}
    if components:
        schema["$defs"] = components
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Errors", description, {"Errors": ERRORS_SCHEMA})


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


def list_ref(title: str, components: Components | None = None) -> dict[str, Any]:
    """A ``{title}List`` response; ``components`` from :func:`object_components`."""
    return _json(f"{title}List", f"A page of {title} objects.", components)


def single_ref(title: str, components: Components | None = None) -> dict[str, Any]:
    return _json(f"{title}Single", f"One {title}.", components)


def title_of(type_word: str) -> str:
    """The component title of a type word (``user_role`` -> ``UserRole``)."""
    return "".join(part.title() for part in type_word.split("_"))


def object_components(title: str, schema: dict[str, Any], include_types: list[str]) -> Components:
    """``title``, ``{title}List`` and ``{title}Single``; included objects by reference."""
    include: dict[str, Any] = {
        "type": "object",
        "properties": {
            name: {"type": "array", "items": {"$ref": REF.format(model=title_of(name))}}
            for name in include_types
        },
        "additionalProperties": False,
    }
    return {
        title: schema,
        f"{title}List": {
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
        },
        f"{title}Single": {
            "type": "object",
            "required": ["data"],
            "properties": {"data": {"$ref": REF.format(model=title)}, "include": include},
        },
    }


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A ``requestBody`` for ``model``, carrying it and its nested models as components."""
    schema = model.model_json_schema(ref_template=REF)
    components: Components = schema.pop("$defs", {})
    components[model.__name__] = schema
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": REF.format(model=model.__name__), "$defs": components}
            }
        },
    }
