"""The platform resource (reference §3.8): wire fields, search and the native platforms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from tenantry.percolate.api.common import usable_in_scopes, visible_in_reach
from tenantry.percolate.api.context import V5Context
from tenantry.percolate.api.fields import column, nullable, scope, timestamp, typed_id
from tenantry.percolate.api.ids import IdKind
from tenantry.percolate.api.params import choice_param, text_param
from tenantry.percolate.api.resource import ListFilter, OrderField, Resource, date_range
from tenantry.percolate.platform.models import Platform

KIND = IdKind("platform")
COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
AVATAR_PATTERN = r"^(?:asset:\d[\d_-]*|video:[a-zA-Z\d]+|license:\d+:image:\d+)$"
NATIVE_PLATFORMS: tuple[tuple[str, str, str], ...] = (
    ("native:facebook", "Facebook", "#3b5998"),
    ("native:twitter", "Twitter", "#55acee"),
    ("native:instagram", "Instagram", "#3f729b"),
    ("native:linkedin", "LinkedIn", "#0077b5"),
    ("native:pinterest", "Pinterest", "#cb2027"),
    ("native:tumblr", "Tumblr", "#32506d"),
    ("native:youtube", "YouTube", "#bb0000"),
    ("native:vimeo", "Vimeo", "#1ab7ea"),
    ("native:weibo", "Weibo", "#e6162d"),
    ("native:snapchat", "Snapchat", "#fffc00"),
    ("native:radio", "Radio", "#6a737d"),
    ("native:dotcom", "Dotcom", "#24292e"),
)


async def _search(stmt: Select[Any], values: dict[str, Any], _ctx: V5Context) -> Select[Any]:
    if values.get("search"):
        needle = values["search"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Platform.name.ilike(f"%{needle}%", escape="\\"))
    if values.get("type") == "native":
        stmt = stmt.where(Platform.type.like("native:%"))
    elif values.get("type") == "custom":
        stmt = stmt.where(Platform.type == "custom")
    return stmt


RESOURCE = Resource(
    kind=KIND,
    model=Platform,
    title="Platform",
    fields=(
        typed_id("platform", Platform.id),
        column(Platform.name),
        column(Platform.type, {"type": "string", "pattern": r"^(native:[a-z_]+|custom)$"}),
        column(Platform.color, nullable({"type": "string"})),
        column(Platform.avatar_id, nullable({"type": "string"})),
        scope(Platform.scope_id, system=Platform.system),
        timestamp(Platform.created_at),
        timestamp(Platform.updated_at),
    ),
    visible=visible_in_reach("platform:read", Platform.scope_id, Platform.system),
    order_fields={"name": OrderField(Platform.name), "created_at": OrderField(Platform.created_at)},
    filters=(
        usable_in_scopes(Platform.scope_id, Platform.system),
        ListFilter(
            (
                text_param("search", "Search platform by name."),
                choice_param("type", "Platform type to filter by.", ("native", "custom")),
            ),
            _search,
        ),
        date_range("created_at", Platform.created_at),
    ),
)
