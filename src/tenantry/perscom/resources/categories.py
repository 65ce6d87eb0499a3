"""Categories: named buckets that awards, documents, forms, qualifications and ranks are
filed under."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, tenant_fk
from tenantry.perscom.engine.declaration import BelongsToMany, Resource
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models


class Category(TenantOwned, Base):
    __tablename__ = "perscom_categories"

    name: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)


class Categorizable(TenantScoped, Base):
    """A row of some resource filed under a category (Laravel's morph pivot)."""

    __tablename__ = "perscom_categorizables"
    __table_args__ = (
        tenant_fk(["category_id"], "perscom_categories", ondelete="CASCADE"),
        Index("ix_perscom_categorizables_model", "tenant_id", "model_type", "model_id"),
    )

    category_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model_type: Mapped[str] = mapped_column(String(255), primary_key=True)
    model_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


PIVOT = Base.metadata.tables["perscom_categorizables"]


def _filed(name: str, target: str, model: str) -> BelongsToMany:
    return BelongsToMany(
        name,
        target,
        PIVOT,
        parent_key="category_id",
        related_key="model_id",
        pivot_fields=("model_type", "order"),
        pivot_where=(("model_type", models(model)),),
    )


categories = Resource(
    name="categories",
    model=Category,
    label="Category",
    permission="category",
    morph_type=models("Category"),
    writable=("name", "resource", "description", *STAMPS),
    rules={"name": REQUIRED, "resource": REQUIRED},
    relations=(
        _filed("awards", "awards", "Award"),
        _filed("documents", "documents", "Document"),
        _filed("forms", "forms", "Form"),
        _filed("qualifications", "qualifications", "Qualification"),
        _filed("ranks", "ranks", "Rank"),
    ),
    includes=("awards", "documents", "forms", "qualifications", "ranks"),
    searchable=("name", "resource", "description"),
    nested=("awards", "documents", "forms", "qualifications", "ranks"),
)

DECLARATIONS = (categories,)
