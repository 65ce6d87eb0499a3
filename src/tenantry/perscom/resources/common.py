"""Pieces several declarations share: Laravel's traits, expressed once as engine data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, true

from tenantry.perscom.engine.declaration import Direction, MorphOne, NamedScope, Rule
from tenantry.perscom.engine.runtime import Compiled

REQUIRED = Rule(required=True)
HEX_COLOR = Rule(required=True, pattern=r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")
CATALOGUE_SORT: tuple[tuple[str, Direction], ...] = (("order", "asc"),)
"""Awards, groups, positions, qualifications, ranks, slots... list by ``order`` (global scope)."""

STAMPS = ("created_at", "updated_at")
"""Every table's timestamps may be set through the API (``date`` is in Orion's common rules)."""

IMAGE = MorphOne("image", "images")
"""``awards|groups|qualifications|ranks|units/{id}/image``: the one image of a row."""


def models(name: str) -> str:
    """The Laravel class name PERSCOM stores in polymorphic columns (``App\\Models\\Rank``)."""
    return f"App\\Models\\{name}"


def visible_only(resource: Compiled) -> ColumnElement[bool]:
    return resource.columns["hidden"] == false()


def _hidden_scope(resource: Compiled, _params: Sequence[Any]) -> ColumnElement[bool]:
    return resource.columns["hidden"] == true()


def _visible_scope(resource: Compiled, _params: Sequence[Any]) -> ColumnElement[bool]:
    return visible_only(resource)


VISIBILITY_SCOPES = (
    NamedScope("hidden", _hidden_scope, lifts_default=True),
    NamedScope("visible", _visible_scope, lifts_default=True),
)
"""Laravel's ``CanBeHidden``: lists skip hidden rows (``visible_only``) unless a scope asks."""


def v1_status_colours(entity: dict[str, Any]) -> None:
    """v1 single users and assignment records re-render their included status with the
    pre-v2 colour columns, both equal to ``color``."""
    status = entity.get("status")
    if isinstance(status, dict):
        status["text_color"] = status.get("color")
        status["bg_color"] = status.get("color")
