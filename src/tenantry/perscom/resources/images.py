"""Images: uploaded pictures, each optionally naming the row it illustrates (a rank's insignia)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned
from tenantry.core.errors import FieldError
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    Computed,
    FileField,
    MorphTo,
    RenderContext,
    Resource,
    ResourceRules,
)
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models


class Image(TenantOwned, Base):
    __tablename__ = "perscom_images"
    __table_args__ = (Index("ix_perscom_images_model", "tenant_id", "model_type", "model_id"),)

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    path: Mapped[str | None] = mapped_column(String(255), default=None)
    model_type: Mapped[str | None] = mapped_column(String(255), default=None)
    model_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class MorphTargetRules(ResourceRules):
    """A polymorphic row (an image, a comment) may only name a row of this tenant (a morph
    has no foreign key)."""

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        await self._target(call, values)

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        await self._target(call, values)

    async def _target(self, call: Call, values: dict[str, Any]) -> None:
        kind, key = values.get("model_type"), values.get("model_id")
        if kind is None and key is None:
            return
        target = call.registry.morph_types.get(str(kind)) if kind is not None else None
        if target is None:
            raise failure([FieldError("model_type", "The selected model type is invalid.")])
        if key is None:
            raise failure([FieldError("model_id", "The model id field is required.")])
        found = await call.conn.scalar(
            select(target.id_col).where(target.tenant_col == call.tenant_id, target.id_col == key)
        )
        if found is None:
            raise failure([FieldError("model_id", "The selected model id is invalid.")])


def _image_url(row: Mapping[str, Any], context: RenderContext) -> str | None:
    return context.public_url(row["path"]) if row["path"] else None


images = Resource(
    name="images",
    model=Image,
    label="Image",
    permission="image",
    morph_type=models("Image"),
    writable=("name", "description", "image", "model_type", "model_id", *STAMPS),
    rules={"name": REQUIRED, "image": REQUIRED},
    files={"image": FileField("images", column="path", filename_column="filename")},
    computed=(Computed("image_url", _image_url, {"type": ["string", "null"]}),),
    relations=(MorphTo("model"),),
    includes=("model",),
    searchable=("name", "description", "filename"),
    service=MorphTargetRules(),
)

DECLARATIONS = (images,)
