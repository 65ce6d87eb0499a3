"""Wire fields: one declaration gives the selected columns, the presenter and the schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import RowMapping
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData

from tenantry import percolate
from tenantry.app import create_app
from tenantry.percolate.api import schemas, spec
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import (
    TIMESTAMP,
    WireField,
    column,
    column_list,
    columns_of,
    compile_presenter,
    computed,
    constant,
    formatted,
    row_of,
    schema_of,
    scope,
    scope_columns_of,
    timestamp,
    typed_by,
    typed_id,
    typed_ids,
)
from tenantry.percolate.channel import declaration as channel
from tenantry.percolate.channel import endpoints as channel_endpoints
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.comment.models import Comment
from tenantry.percolate.platform import endpoints as platform
from tenantry.percolate.platform.models import Platform
from tenantry.settings import Settings
from tenantry.web.face import WebFace

NO_CONTEXT = cast(V5Context, None)
"""The fields under test read only the row."""
MOMENT = datetime(2016, 2, 25, 15, 2, 52, tzinfo=UTC)


def rows(*values: dict[str, Any]) -> list[RowMapping]:
    """Row mappings as a query returns them."""
    keys = list(values[0])
    data = iter([tuple(value[key] for key in keys) for value in values])
    return list(IteratorResult(SimpleResultMetaData(keys), data).mappings())


def present(fields: tuple[WireField, ...], **row: Any) -> dict[str, Any]:
    return compile_presenter(fields)(rows(row)[0], NO_CONTEXT)


def test_a_column_reads_as_is_with_a_schema_from_its_type() -> None:
    name, active, scope_key = column(Channel.name), column(Channel.active), column(Channel.scope_id)
    assert present((name, active), name="Main", active=False) == {"name": "Main", "active": False}
    assert name.schema == {"type": "string"}
    assert active.schema == {"type": "boolean"}
    assert scope_key.schema == {"type": ["integer", "null"]}
    assert column(Channel.xid, {"type": "string", "maxLength": 200}).schema["maxLength"] == 200
    assert column(Channel.name, name="title").name == "title"


def test_typed_ids_keep_null_on_nullable_columns_only() -> None:
    fields = (
        typed_id("comment", Comment.id),
        typed_id("comment", Comment.parent_comment_id),
        typed_ids("user", Comment.mentions),
    )
    assert present(fields, id=3, parent_comment_id=None, mentions=None) == {
        "id": "comment:3",
        "parent_comment_id": None,
        "mentions": [],
    }
    assert present(fields, id=3, parent_comment_id=1, mentions=[4, 5]) == {
        "id": "comment:3",
        "parent_comment_id": "comment:1",
        "mentions": ["user:4", "user:5"],
    }
    assert fields[0].schema == {"type": "string", "pattern": r"^comment:\d+$"}
    assert fields[1].schema == {"type": ["string", "null"], "pattern": r"^comment:\d+$"}
    assert fields[2].schema == {
        "type": "array",
        "items": {"type": "string", "pattern": r"^user:\d+$"},
    }


def test_a_typed_id_may_take_its_type_word_from_a_column() -> None:
    field = typed_by("object_id", Comment.object_kind, Comment.object_key, {"type": "string"})
    assert present((field,), object_kind="post", object_key=12) == {"object_id": "post:12"}
    assert field.needs == (Comment.object_kind, Comment.object_key)


def test_templates_fallbacks_and_conversions_stay_inline() -> None:
    fields = (
        formatted("ref", "comment:{}_{}", Comment.id, Comment.user_id, schema={"type": "string"}),
        column(Channel.xid, {"type": "string"}, fallback=Channel.name),
        column(Channel.active, {"type": "string"}, name="state", convert=str),
        column(Comment.context_ext, {"type": "array"}, name="pins", item="pins"),
    )
    shown = present(fields, id=1, user_id=2, xid="", name="Main", active=True, context_ext={})
    assert shown == {"ref": "comment:1_2", "xid": "Main", "state": "True", "pins": []}
    assert fields[1].needs == (Channel.xid, Channel.name)
    assert "_convert_state(row['active'])" in (compile_presenter(fields).__doc__ or "")
    with pytest.raises(ValueError, match="template"):
        formatted("ref", 'a"{}', Comment.id, schema={})
    with pytest.raises(ValueError, match="template"):
        formatted("ref", "{}:{}", Comment.id, schema={})


def test_timestamps_use_the_wire_format_and_say_when_they_may_be_null() -> None:
    created = timestamp(Comment.created_at)
    assert present((created,), created_at=MOMENT) == {"created_at": "2016-02-25T15:02:52+00:00"}
    assert created.schema == TIMESTAMP
    assert timestamp(Channel.created_at, name="since").name == "since"


def test_constants_and_empty_values_are_fresh_per_object() -> None:
    fields = (
        constant("media_buyer_ids", [], {"type": "array"}),
        constant("token_id", None, {"type": "null"}),
        column(Comment.context_ext, {"type": "object"}, empty_as="object"),
        column_list(Channel.term_ids, {"type": "array"}),
    )
    present_row = compile_presenter(fields)
    first, second = rows(
        {"context_ext": None, "term_ids": None}, {"context_ext": None, "term_ids": (1,)}
    )
    one, two = present_row(first, NO_CONTEXT), present_row(second, NO_CONTEXT)
    assert one == {"media_buyer_ids": [], "token_id": None, "context_ext": {}, "term_ids": []}
    assert two["term_ids"] == [1]
    assert one["media_buyer_ids"] is not two["media_buyer_ids"]
    assert one["context_ext"] is not two["context_ext"]
    with pytest.raises(ValueError):
        constant("ids", [1], {"type": "array"})


def test_computed_fields_get_the_row_and_the_context() -> None:
    field = computed(
        "label", lambda row, ctx: f"{row['name']}!", {"type": "string"}, needs=(Channel.name,)
    )
    assert present((field,), name="Main") == {"label": "Main!"}
    assert field.needs == (Channel.name,)


def test_the_presenter_keeps_the_declared_order_and_refuses_duplicates() -> None:
    fields = (column(Channel.xid), typed_id("channel", Channel.id), column(Channel.name))
    assert list(present(fields, xid="x", id=1, name="n")) == ["xid", "id", "name"]
    assert list(schema_of(fields)["properties"]) == ["xid", "id", "name"]
    assert schema_of(fields)["required"] == ["xid", "id", "name"]
    with pytest.raises(ValueError, match="duplicate"):
        compile_presenter((column(Channel.name), column(Channel.name)))


def test_a_loaded_object_reads_like_a_row() -> None:
    loaded = Channel(id=4, name="Main", xid="x")
    fields = (typed_id("channel", Channel.id), column(Channel.name))
    row = row_of(loaded, columns_of(fields))
    assert row == {"id": 4, "name": "Main"}
    assert compile_presenter(fields)(row, None) == {"id": "channel:4", "name": "Main"}


def test_columns_without_a_json_type_need_their_schema() -> None:
    with pytest.raises(ValueError, match="schema"):
        column(Channel.term_ids)


def test_the_columns_are_those_the_fields_read_each_once() -> None:
    fields = (
        typed_id("platform", Platform.id),
        column(Platform.name),
        scope(Platform.scope_id, system=Platform.system),
        column(Platform.name, name="label"),
    )
    chosen = columns_of(fields, first=(Platform.id,))
    assert [c.key for c in chosen] == ["id", "name", "scope_id", "system"]
    assert scope_columns_of(fields) == ("scope_id",)


def test_a_resource_derives_its_columns_presenter_and_schema_from_its_fields() -> None:
    resource = channel.RESOURCE
    names = [field.name for field in resource.fields]
    assert list(resource.schema["properties"]) == names
    assert {c.key for c in resource.columns} >= {"id", "type", "term_ids", "platform_id"}
    assert resource.scope_columns == ("scope_id",)
    components = resource.openapi_components()
    assert set(components) == {"Channel", "ChannelList", "ChannelSingle"}
    assert components["Channel"] is resource.schema


def test_the_spec_gathers_components_from_the_routes_it_is_given() -> None:
    """Nothing is registered on import: an app with two routers gets their components only."""
    app = FastAPI()
    app.include_router(channel_endpoints.router)
    app.include_router(platform.router)
    document = spec.build_spec(app)
    assert set(document["components"]["schemas"]) == {
        "Channel",
        "ChannelList",
        "ChannelSingle",
        "ChannelCreate",
        "ChannelUpdate",
        "Platform",
        "PlatformList",
        "PlatformSingle",
        "PlatformCreate",
        "PlatformUpdate",
        "Errors",
    }
    assert "$defs" not in str(document["paths"])
    assert not hasattr(schemas, "COMPONENTS")


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def test_every_reference_of_the_whole_face_resolves(settings: Settings) -> None:
    app = create_app(settings, faces=[WebFace(), percolate.face])
    document = spec.build_spec(app)
    known = {f"#/components/schemas/{name}" for name in document["components"]["schemas"]}
    assert _refs(document) <= known
    body = document["components"]["schemas"]["ChannelUpdate"]["properties"]["name"]
    assert body["default"] is None  # the body models' nulls survive the gathering
