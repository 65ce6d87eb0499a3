"""The organisation chart: ranks, positions, specialties, statuses, units, groups, slots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    exists,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, tenant_fk
from tenantry.core.resources.scoped import same_tenant
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    HasMany,
    HasManyThrough,
    NamedScope,
    Resource,
)
from tenantry.perscom.engine.runtime import Compiled
from tenantry.perscom.resources.common import (
    CATALOGUE_SORT,
    HEX_COLOR,
    IMAGE,
    REQUIRED,
    STAMPS,
    VISIBILITY_SCOPES,
    models,
    visible_only,
)
from tenantry.perscom.resources.record_models import STATUS_RECORDS


class Rank(TenantOwned, Base):
    __tablename__ = "perscom_ranks"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    abbreviation: Mapped[str | None] = mapped_column(String(255), default=None)
    paygrade: Mapped[str | None] = mapped_column(String(255), default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


class Position(TenantOwned, Base):
    __tablename__ = "perscom_positions"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


class Specialty(TenantOwned, Base):
    __tablename__ = "perscom_specialties"

    name: Mapped[str] = mapped_column(String(255))
    abbreviation: Mapped[str | None] = mapped_column(String(255), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


class Status(TenantOwned, Base):
    __tablename__ = "perscom_statuses"

    name: Mapped[str] = mapped_column(String(255))
    color: Mapped[str] = mapped_column(String(255))
    icon: Mapped[str | None] = mapped_column(String(255), default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


class Unit(TenantOwned, Base):
    __tablename__ = "perscom_units"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    empty: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    icon: Mapped[str | None] = mapped_column(String(255), default=None)


class Group(TenantOwned, Base):
    __tablename__ = "perscom_groups"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    empty: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    icon: Mapped[str | None] = mapped_column(String(255), default=None)


class GroupUnit(TenantScoped, Base):
    """Which units a group shows, in which order (the roster's skeleton)."""

    __tablename__ = "perscom_group_units"
    __table_args__ = (
        tenant_fk(["group_id"], "perscom_groups", ondelete="CASCADE"),
        tenant_fk(["unit_id"], "perscom_units", ondelete="CASCADE"),
        Index("ix_perscom_group_units_unit", "tenant_id", "unit_id"),
    )

    group_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


class Slot(TenantOwned, Base):
    __tablename__ = "perscom_slots"
    __table_args__ = (
        tenant_fk(["position_id"], "perscom_positions"),
        tenant_fk(["specialty_id"], "perscom_specialties"),
        Index("ix_perscom_slots_position", "tenant_id", "position_id"),
        Index("ix_perscom_slots_specialty", "tenant_id", "specialty_id"),
    )

    name: Mapped[str] = mapped_column(String(255))
    position_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    specialty_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    empty: Mapped[str | None] = mapped_column(Text, default=None)
    order: Mapped[int] = mapped_column(BigInteger, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class UnitSlot(TenantOwned, Base):
    """A slot placed in a unit; it has an id because users sit in one (``unit_slot_id``)."""

    __tablename__ = "perscom_unit_slots"
    __table_args__ = (
        UniqueConstraint("tenant_id", "unit_id", "slot_id"),
        tenant_fk(["unit_id"], "perscom_units", ondelete="CASCADE"),
        tenant_fk(["slot_id"], "perscom_slots", ondelete="CASCADE"),
        Index("ix_perscom_unit_slots_slot", "tenant_id", "slot_id"),
    )

    unit_id: Mapped[int] = mapped_column(BigInteger)
    slot_id: Mapped[int] = mapped_column(BigInteger)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


GROUP_UNITS = Base.metadata.tables["perscom_group_units"]
UNIT_SLOTS = Base.metadata.tables["perscom_unit_slots"]


def _has_units(group: Compiled) -> ColumnElement[bool]:
    return exists(
        select(GROUP_UNITS.c.unit_id).where(
            and_(
                same_tenant(GROUP_UNITS, group.table),
                GROUP_UNITS.c.group_id == group.id_col,
            )
        )
    )


def _for_automatic_roster(group: Compiled, _params: Sequence[Any]) -> ColumnElement[bool]:
    """Groups the automatic roster shows: visible ones that hold at least one unit."""
    return and_(group.columns["hidden"] == false(), _has_units(group))


def _for_manual_roster(group: Compiled, params: Sequence[Any]) -> ColumnElement[bool]:
    """Visible groups, or just the one group whose id is given."""
    condition = group.columns["hidden"] == false()
    if params:
        condition = and_(condition, group.id_col == _int_param(params[0]))
    return condition


def _int_param(value: Any) -> int:
    from tenantry.core.errors import FieldError, ValidationFailed

    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 2**63:
        raise ValidationFailed(
            "The scope parameter must be a group id.",
            [FieldError("scopes.0.parameters.0", "The scope parameter must be a group id.")],
        )
    return number


ranks = Resource(
    name="ranks",
    model=Rank,
    label="Rank",
    permission="rank",
    morph_type=models("Rank"),
    writable=("name", "description", "abbreviation", "paygrade", "order", *STAMPS),
    rules={"name": REQUIRED},
    relations=(IMAGE, HasMany("users", "users", "rank_id")),
    includes=("image",),
    searchable=("name", "description", "abbreviation", "paygrade"),
    default_sort=CATALOGUE_SORT,
    nested=("image",),
)

positions = Resource(
    name="positions",
    model=Position,
    label="Position",
    permission="position",
    morph_type=models("Position"),
    writable=("name", "description", "order", *STAMPS),
    rules={"name": REQUIRED},
    relations=(
        HasMany("users", "users", "position_id"),
        HasMany("assignment_records", "assignment-records", "position_id"),
    ),
    includes=("assignment_records", "assignment_records.*", "users"),
    searchable=("name", "description"),
    default_sort=CATALOGUE_SORT,
)

specialties = Resource(
    name="specialties",
    model=Specialty,
    label="Specialty",
    permission="specialty",
    morph_type=models("Specialty"),
    writable=("name", "abbreviation", "description", "order", *STAMPS),
    rules={"name": REQUIRED},
    relations=(
        HasMany("users", "users", "specialty_id"),
        HasMany("assignment_records", "assignment-records", "specialty_id"),
    ),
    includes=("assignment_records", "assignment_records.*", "users"),
    searchable=("name", "abbreviation", "description"),
    default_sort=CATALOGUE_SORT,
)


def _v1_status(entity: dict[str, Any]) -> None:
    """v1 single statuses also carry the pre-v2 colour columns, both equal to ``color``."""
    entity["text_color"] = entity.get("color")
    entity["bg_color"] = entity.get("color")


statuses = Resource(
    name="statuses",
    model=Status,
    label="Status",
    permission="status",
    morph_type=models("Status"),
    writable=("name", "color", "icon", "order", *STAMPS),
    rules={"name": REQUIRED, "color": HEX_COLOR},
    relations=(
        HasMany("users", "users", "status_id"),
        BelongsToMany(
            "submissions",
            "submissions",
            STATUS_RECORDS,
            parent_key="status_id",
            related_key="model_id",
            pivot_fields=("id", "text"),
            pivot_where=(("model_type", models("Submission")),),
        ),
    ),
    includes=("submissions", "users"),
    searchable=("name", "color"),
    default_sort=CATALOGUE_SORT,
    v1_single=_v1_status,
)

units = Resource(
    name="units",
    model=Unit,
    label="Unit",
    permission="unit",
    morph_type=models("Unit"),
    writable=("name", "description", "empty", "order", "hidden", "icon", *STAMPS),
    rules={"name": REQUIRED},
    relations=(
        IMAGE,
        BelongsToMany("groups", "groups", GROUP_UNITS, "unit_id", "group_id", ("order",)),
        BelongsToMany("slots", "slots", UNIT_SLOTS, "unit_id", "slot_id", ("id", "order")),
        HasMany("users", "users", "unit_id"),
        HasMany("assignment_records", "assignment-records", "unit_id"),
    ),
    includes=(
        "image",
        "groups",
        "groups.*",
        "users",
        "users.*",
        "slots",
        "assignment_records",
        "assignment_records.*",
    ),
    searchable=("name", "description"),
    default_sort=CATALOGUE_SORT,
    nested=("image",),
    default_filter=visible_only,
    scopes=VISIBILITY_SCOPES,
)

groups = Resource(
    name="groups",
    model=Group,
    label="Group",
    permission="group",
    morph_type=models("Group"),
    writable=("name", "description", "empty", "order", "hidden", "icon", *STAMPS),
    rules={"name": REQUIRED},
    relations=(
        IMAGE,
        BelongsToMany("units", "units", GROUP_UNITS, "group_id", "unit_id", ("order",)),
    ),
    includes=("image", "units", "units.*"),
    searchable=("name", "description"),
    default_sort=CATALOGUE_SORT,
    nested=("units", "image"),
    default_filter=visible_only,
    scopes=(
        *VISIBILITY_SCOPES,
        NamedScope("forAutomaticRoster", _for_automatic_roster, lifts_default=True),
        NamedScope("forManualRoster", _for_manual_roster, max_parameters=1, lifts_default=True),
        NamedScope("orderForRoster", _for_automatic_roster, lifts_default=True),
    ),
)

slots = Resource(
    name="slots",
    model=Slot,
    label="Slot",
    permission="slot",
    morph_type=models("Slot"),
    writable=(
        "name",
        "position_id",
        "specialty_id",
        "description",
        "empty",
        "order",
        "hidden",
        *STAMPS,
    ),
    rules={"name": REQUIRED},
    relations=(
        BelongsTo("position", "positions", "position_id"),
        BelongsTo("specialty", "specialties", "specialty_id"),
        BelongsToMany("units", "units", UNIT_SLOTS, "slot_id", "unit_id", ("id", "order")),
        HasManyThrough("users", "users", UNIT_SLOTS, "slot_id", "unit_slot_id"),
        HasManyThrough(
            "assignment_records", "assignment-records", UNIT_SLOTS, "slot_id", "unit_slot_id"
        ),
    ),
    includes=(
        "position",
        "specialty",
        "units",
        "users",
        "users.*",
        "assignment_records",
        "assignment_records.*",
    ),
    searchable=("name", "description"),
    default_sort=CATALOGUE_SORT,
    default_filter=visible_only,
    scopes=VISIBILITY_SCOPES,
)

DECLARATIONS = (ranks, positions, specialties, statuses, units, groups, slots)
