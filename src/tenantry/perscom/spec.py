"""The face's OpenAPI 3.1 document, generated from the declarations and the served operations.

Entity schemas come from the compiled columns (types, nullability), request bodies from
the same Pydantic models that validate input, and the paths from the very operation list
the routers are built from, so the document describes exactly what is served. Operation
ids are derived from resource and relation names (``listUsers``, ``attachGroupUnits``),
so they are stable across builds and releases.
"""

from __future__ import annotations

from typing import Any

from tenantry.perscom.engine.declaration import BelongsToMany
from tenantry.perscom.engine.query import LIMIT, PAGE, SearchBody
from tenantry.perscom.engine.routes import Operation
from tenantry.perscom.engine.runtime import INT64_MAX, Compiled, Registry
from tenantry.perscom.errors import FIXED_MESSAGES
from tenantry.perscom.extensions_spec import EXTENSION_TAG, extension_paths, extension_schemas
from tenantry.perscom.oauth.spec import CLIENT_BASIC, oauth_paths

REF = "#/components/schemas/"
JSON = "application/json"
MULTIPART = "multipart/form-data"

_KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "str": {"type": "string"},
    "text": {"type": "string"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "float": {"type": "number"},
    "json": {},
}

_ERROR_RESPONSES = {
    "400": "The request is malformed (e.g. a body that is not JSON).",
    "401": FIXED_MESSAGES[401],
    "403": FIXED_MESSAGES[403],
    "404": FIXED_MESSAGES[404],
    "405": "The method is not allowed on this path.",
    "413": "The request body is too large.",
    "422": "The given data was invalid; `errors` says which field and why.",
    "429": FIXED_MESSAGES[429],
    "503": FIXED_MESSAGES[503],
}
_COMMON_ERRORS = ("401", "403", "404", "422", "429", "503")
_BODY_ERRORS = ("400", "413")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _schema_name(resource: Compiled) -> str:
    return resource.decl.label.replace(" ", "")


def build_spec(
    registry: Registry, found: list[Operation], *, version: str, app_version: str, server: str
) -> dict[str, Any]:
    schemas: dict[str, Any] = _shared_schemas()
    for resource in registry:
        schemas.update(_resource_schemas(resource))
    paths: dict[str, dict[str, Any]] = {}
    for operation in found:
        path = f"/{version}{operation.spec_path}"
        paths.setdefault(path, {})[operation.method.lower()] = _operation(operation, version)
    paths[f"/{version}/me"] = {"get": _me(version)}
    paths.update(oauth_paths())
    paths.update(extension_paths(version))
    schemas.update(extension_schemas())
    paths[f"/{version}/newsfeed"] = {"get": _newsfeed()}
    paths[f"/{version}/roster"] = {"get": _roster(single=False)}
    paths[f"/{version}/roster/{{id}}"] = {"get": _roster(single=True)}
    schemas.update(_feed_schemas())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PERSCOM.io API",
            "version": app_version,
            "description": (
                "The PERSCOM.io REST API as served by Tenantry. Every request needs an API key "
                "(`Authorization: Bearer <jwt>`, or `?apikey=`) and the organisation's PERSCOM "
                "ID in `X-Perscom-Id` unless the key carries a `tenant` claim."
            ),
        },
        "servers": [{"url": server.rstrip("/")}],
        "security": [{"ApiKey": []}],
        "tags": [
            *(
                {"name": r.name, "description": f"{r.decl.label} resources."}
                for r in registry
                if r.decl.routed
            ),
            EXTENSION_TAG,
            {"name": "oauth", "description": "OAuth 2.0 and OpenID Connect (dashboard host)."},
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "ClientBasic": CLIENT_BASIC,
            },
            "parameters": _parameters(),
            "schemas": schemas,
            "responses": {
                code: {
                    "description": text,
                    "content": {JSON: {"schema": _ref("Error")}},
                }
                for code, text in _ERROR_RESPONSES.items()
            },
        },
    }


def _parameters() -> dict[str, Any]:
    return {
        "PerscomId": {
            "name": "X-Perscom-Id",
            "in": "header",
            "required": False,
            "description": "The organisation's PERSCOM ID (optional with a tenant claim).",
            "schema": {"type": "string"},
        },
        "Include": {
            "name": "include",
            "in": "query",
            "required": False,
            "description": "Comma-separated relations to include (`a,b.c`).",
            "schema": {"type": "string"},
        },
        "Page": PAGE.openapi(),
        "Limit": LIMIT.openapi(),
        "Id": _path_id("id"),
        "RelatedId": _path_id("rid"),
    }


def _path_id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
    }


def _shared_schemas() -> dict[str, Any]:
    search = SearchBody.model_json_schema(ref_template=REF + "{model}")
    defs = search.pop("$defs", {})
    url_or_null = {"type": ["string", "null"]}
    return {
        **defs,
        "SearchRequest": search,
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["message", "type", "request_id", "trace_id"],
                    "properties": {
                        "message": {"type": "string"},
                        "type": {"type": "string"},
                        "request_id": {"type": ["string", "null"]},
                        "trace_id": {"type": "string"},
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                }
            },
        },
        "Links": {
            "type": "object",
            "required": ["first", "last", "prev", "next"],
            "properties": {
                "first": {"type": "string"},
                "last": {"type": "string"},
                "prev": url_or_null,
                "next": url_or_null,
            },
        },
        "Meta": {
            "type": "object",
            "required": [
                "current_page",
                "from",
                "last_page",
                "links",
                "path",
                "per_page",
                "to",
                "total",
            ],
            "properties": {
                "current_page": {"type": "integer"},
                "from": {"type": ["integer", "null"]},
                "last_page": {"type": "integer"},
                "links": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["url", "label", "active"],
                        "properties": {
                            "url": url_or_null,
                            "label": {"type": "string"},
                            "active": {"type": "boolean"},
                        },
                    },
                },
                "path": {"type": "string"},
                "per_page": {"type": "integer"},
                "to": {"type": ["integer", "null"]},
                "total": {"type": "integer"},
            },
        },
        "Relation": {
            "type": "object",
            "description": "attach/detach/sync/toggle/pivot results: the ids concerned.",
            "properties": {
                key: {"type": "array", "items": {"type": "integer"}}
                for key in ("attached", "detached", "updated")
            },
        },
        "RelationBody": {
            "type": "object",
            "required": ["resources"],
            "properties": {
                "resources": {
                    "oneOf": [
                        {"type": "array", "items": {"type": "integer", "minimum": 1}},
                        {
                            "type": "object",
                            "additionalProperties": {"type": "object"},
                            "description": "Keyed by id; values are pivot fields.",
                        },
                    ]
                },
                "duplicates": {"type": "boolean"},
                "detaching": {"type": "boolean"},
            },
        },
        "PivotBody": {
            "type": "object",
            "properties": {"pivot": {"type": "object"}},
        },
        "BatchDelete": {
            "type": "object",
            "required": ["resources"],
            "properties": {
                "resources": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
                }
            },
        },
        "Model": {
            "type": ["object", "null"],
            "description": "The row an image belongs to (any resource).",
        },
    }


def _entity_schema(resource: Compiled) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name in resource.output:
        schema = dict(_KIND_SCHEMAS[resource.kinds[name]])
        properties[name] = _nullable(schema) if resource.nullable[name] else schema
    properties["label"] = {"type": "string"}
    for computed in resource.computed:
        if not computed.spread:
            properties[computed.name] = dict(computed.schema)
    required = list(properties)
    for name, relation in resource.relations.items():
        if relation.target is None:
            properties[name] = _ref("Model")
        elif relation.to_one:
            properties[name] = _nullable(_ref(_schema_name(relation.target)))
        else:
            item: dict[str, Any] = _ref(_schema_name(relation.target))
            if isinstance(relation.spec, BelongsToMany):
                item = {"allOf": [item], "properties": {"pivot": {"type": "object"}}}
            properties[name] = {"type": "array", "items": item}
    if resource.decl.v1_single is not None and resource.name == "statuses":
        properties["text_color"] = {"type": ["string", "null"]}
        properties["bg_color"] = {"type": ["string", "null"]}
    return {"type": "object", "required": required, "properties": properties}


def _resource_schemas(resource: Compiled) -> dict[str, Any]:
    name = _schema_name(resource)
    schemas: dict[str, Any] = {name: _entity_schema(resource)}
    for suffix, model in (("Create", resource.create_model), ("Update", resource.update_model)):
        body = _without_null_defaults(model.model_json_schema(ref_template=REF + "{model}"))
        body.pop("title", None)
        schemas.update(body.pop("$defs", {}))
        for field, upload in resource.decl.files.items():
            rule = resource.decl.rules.get(field)
            body.setdefault("properties", {})[field] = {"type": "null"}
            if suffix == "Create" and rule is not None and rule.required:
                body["properties"][field] = {"type": "string", "format": "binary"}
            del upload
        schemas[name + suffix] = body
        if resource.decl.files:
            form = {
                **body,
                "properties": {
                    **body.get("properties", {}),
                    **{
                        field: {"type": "string", "format": "binary"}
                        for field in resource.decl.files
                    },
                },
            }
            schemas[name + suffix + "Form"] = form
    schemas[name + "Response"] = {
        "type": "object",
        "required": ["data"],
        "properties": {"data": _ref(name)},
    }
    schemas[name + "List"] = {
        "type": "object",
        "required": ["data", "links", "meta"],
        "properties": {
            "data": {"type": "array", "items": _ref(name)},
            "links": _ref("Links"),
            "meta": _ref("Meta"),
        },
    }
    schemas[name + "Batch"] = {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": _ref(name)}},
    }
    schemas[name + "BatchCreate"] = {
        "type": "object",
        "required": ["resources"],
        "properties": {
            "resources": {"type": "array", "minItems": 1, "items": _ref(name + "Create")}
        },
    }
    schemas[name + "BatchUpdate"] = {
        "type": "object",
        "required": ["resources"],
        "properties": {
            "resources": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": "^[1-9][0-9]{0,17}$"},
                "additionalProperties": _ref(name + "Update"),
            }
        },
    }
    return schemas


def _without_null_defaults(schema: Any) -> Any:
    """Drop ``"default": null`` (an absent key is simply not written, whatever its type)."""
    if isinstance(schema, dict):
        return {
            k: _without_null_defaults(v)
            for k, v in schema.items()
            if not (k == "default" and v is None)
        }
    if isinstance(schema, list):
        return [_without_null_defaults(v) for v in schema]
    return schema


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/{code}"} for code in codes}


def _json_body(schema: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": _ref(schema)}}}


def _write_body(target: Compiled, suffix: str) -> dict[str, Any]:
    name = _schema_name(target)
    content: dict[str, Any] = {JSON: {"schema": _ref(name + suffix)}}
    if target.decl.files:
        content[MULTIPART] = {"schema": _ref(name + suffix + "Form")}
    return {"required": suffix == "Create", "content": content}


def _ok(schema: str, status: str = "200", description: str = "OK") -> dict[str, Any]:
    return {status: {"description": description, "content": {JSON: {"schema": _ref(schema)}}}}


def _operation(operation: Operation, version: str) -> dict[str, Any]:
    target = operation.target
    name = _schema_name(target)
    parameters: list[dict[str, str]] = [{"$ref": "#/components/parameters/PerscomId"}]
    if "{id}" in operation.spec_path:
        parameters.append({"$ref": "#/components/parameters/Id"})
    if "{rid}" in operation.spec_path:
        parameters.append({"$ref": "#/components/parameters/RelatedId"})
    action = operation.action
    body: dict[str, Any] | None = None
    responses: dict[str, Any]
    if action in ("index", "search"):
        parameters += [
            {"$ref": f"#/components/parameters/{p}"} for p in ("Include", "Page", "Limit")
        ]
        responses = _ok(name + "List")
        if action == "search":
            body = _json_body("SearchRequest", required=False)
    elif action in ("attach", "detach", "sync", "toggle", "update_pivot"):
        responses = _ok("Relation")
        body = _json_body("PivotBody" if action == "update_pivot" else "RelationBody")
    else:
        parameters.append({"$ref": "#/components/parameters/Include"})
        if action == "store":
            responses = _ok(name + "Response", "201", "Created")
            body = _write_body(target, "Create")
        elif action == "update":
            responses = _ok(name + "Response")
            body = _write_body(target, "Update")
        elif action in ("show", "destroy"):
            responses = _ok(name + "Response")
        elif action == "batch_store":
            responses = _ok(name + "Batch")
            body = _json_body(name + "BatchCreate")
        elif action == "batch_update":
            responses = _ok(name + "Batch")
            body = _json_body(name + "BatchUpdate")
        else:
            responses = _ok(name + "Batch")
            body = _json_body("BatchDelete")
    codes = [*_COMMON_ERRORS, *(_BODY_ERRORS if body is not None else ())]
    responses.update(_errors(*codes))
    result: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": _summary(operation),
        "tags": [operation.resource.name],
        "parameters": parameters,
        "responses": responses,
    }
    if body is not None:
        result["requestBody"] = body
    if operation.resource.decl.addition:
        result["x-tenantry-extension"] = True
        result["summary"] += " (Tenantry extension)"
    del version
    return result


def _summary(operation: Operation) -> str:
    target = operation.target.decl.label.lower()
    one = f"{'an' if target[0] in 'aeiou' else 'a'} {target}"
    phrase = {
        "index": f"List {target} rows",
        "search": f"Search {target} rows",
        "store": f"Create {one}",
        "show": f"Show {one}",
        "update": f"Update {one}",
        "destroy": f"Delete {one}",
        "batch_store": f"Create several {target} rows",
        "batch_update": f"Update several {target} rows",
        "batch_destroy": f"Delete several {target} rows",
        "attach": f"Attach {target} rows",
        "detach": f"Detach {target} rows",
        "sync": f"Sync {target} rows",
        "toggle": f"Toggle {target} rows",
        "update_pivot": f"Update the pivot of {one}",
    }[operation.action]
    if operation.relation is None:
        return phrase
    parent = operation.resource.decl.label.lower()
    return f"{phrase} of a {parent} ({operation.relation.name})"


def _me(version: str) -> dict[str, Any]:
    del version
    return {
        "operationId": "listMe",
        "summary": "The caller's own user, as a one-row list (no scope needed)",
        "tags": ["users"],
        "parameters": [
            {"$ref": "#/components/parameters/PerscomId"},
            {"$ref": "#/components/parameters/Page"},
            {"$ref": "#/components/parameters/Limit"},
        ],
        "responses": {**_ok("UserList"), **_errors("401", "422", "429", "503")},
    }


def _newsfeed() -> dict[str, Any]:
    return {
        "operationId": "listNewsfeed",
        "summary": "The activity feed, newest first (needs view:newsfeed)",
        "tags": ["newsfeed"],
        "parameters": [
            {"$ref": "#/components/parameters/PerscomId"},
            {"$ref": "#/components/parameters/Page"},
            {"$ref": "#/components/parameters/Limit"},
        ],
        "responses": {**_ok("NewsfeedItemList"), **_errors("401", "403", "422", "429", "503")},
    }


def _roster(*, single: bool) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"$ref": "#/components/parameters/PerscomId"},
        {
            "name": "type",
            "in": "query",
            "required": False,
            "description": "`automatic` (units -> users) or `manual` (units -> slots -> users).",
            "schema": {"type": "string", "enum": ["automatic", "manual"]},
        },
    ]
    if single:
        parameters.append({"$ref": "#/components/parameters/Id"})
    else:
        parameters += [
            {"$ref": "#/components/parameters/Page"},
            {"$ref": "#/components/parameters/Limit"},
        ]
    errors = (
        ("401", "403", "404", "422", "429", "503")
        if single
        else ("401", "403", "422", "429", "503")
    )
    return {
        "operationId": "getRoster" if single else "listRoster",
        "summary": "One roster group" if single else "The roster: groups with their people",
        "tags": ["groups"],
        "parameters": parameters,
        "responses": {**_ok("RosterGroup" if single else "GroupList"), **_errors(*errors)},
    }


def _feed_schemas() -> dict[str, Any]:
    text = {"type": ["string", "null"]}
    item = {
        "type": "object",
        "required": ["id", "headline", "likes", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "author": text,
            "author_profile_photo": text,
            "recipient": text,
            "recipient_profile_photo": text,
            "description": {"type": "string"},
            "event": {"type": "string"},
            "type": {"type": "string"},
            "headline": {"type": "string"},
            "text": text,
            "item": text,
            "color": text,
            "likes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                },
            },
            "created_at": {"type": "string", "format": "date-time"},
        },
    }
    return {
        "NewsfeedItem": item,
        "NewsfeedItemList": {
            "type": "object",
            "required": ["data", "links", "meta"],
            "properties": {
                "data": {"type": "array", "items": _ref("NewsfeedItem")},
                "links": {"type": "object"},
                "meta": {"type": "object"},
            },
        },
        "RosterGroup": {
            "type": "object",
            "required": ["data"],
            "properties": {"data": _ref("Group")},
        },
    }
