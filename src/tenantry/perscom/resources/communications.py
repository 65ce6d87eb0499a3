"""Communications: announcements shown to the organisation.

An announcement is listed only while enabled (Laravel's ``CanBeEnabled`` global scope);
the ``disabled`` scope finds the others. A missing colour reads as PERSCOM's default blue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned
from tenantry.perscom.engine.declaration import (
    Computed,
    NamedScope,
    RenderContext,
    Resource,
    Rule,
)
from tenantry.perscom.engine.runtime import Compiled
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models

DEFAULT_COLOR = "#2563eb"


class Announcement(TenantOwned, Base):
    __tablename__ = "perscom_announcements"

    title: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(255), default=None)
    # ``global`` is a Python keyword: the attribute is set by name, so the engine (which
    # writes attributes named after their columns) can fill it like any other.
    locals()["global"] = mapped_column("global", Boolean, default=False, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


def enabled_only(resource: Compiled) -> ColumnElement[bool]:
    return resource.columns["enabled"] == true()


def _enabled(resource: Compiled, _params: Sequence[Any]) -> ColumnElement[bool]:
    return enabled_only(resource)


def _disabled(resource: Compiled, _params: Sequence[Any]) -> ColumnElement[bool]:
    return resource.columns["enabled"] == false()


def _color(row: Mapping[str, Any], _context: RenderContext) -> str:
    return str(row["color"] or DEFAULT_COLOR)


announcements = Resource(
    name="announcements",
    model=Announcement,
    label="Announcement",
    permission="announcement",
    morph_type=models("Announcement"),
    writable=("title", "content", "color", "global", "enabled", "expires_at", *STAMPS),
    rules={
        "title": REQUIRED,
        "content": REQUIRED,
        "color": Rule(pattern=r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"),
    },
    computed=(Computed("color", _color, {"type": "string"}),),
    searchable=("title", "content"),
    scopes=(
        NamedScope("enabled", _enabled, lifts_default=True),
        NamedScope("disabled", _disabled, lifts_default=True),
    ),
    default_filter=enabled_only,
    spec_description=(
        "Only enabled announcements are listed unless a search names the `disabled` (or "
        "`enabled`) scope; a missing `color` reads `#2563eb`."
    ),
)

DECLARATIONS = (announcements,)
