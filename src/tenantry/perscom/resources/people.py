"""People: the PERSCOM user is the platform's user, plus a 1:1 profile of PERSCOM columns.

``users`` (core) keeps who someone is for every face (name, e-mail, sign-in); the profile
keeps what only PERSCOM knows (rank, unit, photos, approval...). The engine joins the two
and splits writes between them; a user made elsewhere (CLI, another face) simply has no
profile row yet and reads with the profile's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import JSON, BigInteger, Boolean, ColumnElement, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantScoped, tenant_fk, utcnow
from tenantry.core.errors import FieldError, Forbidden, ValidationFailed
from tenantry.core.identity.guard import holds_platform_roles
from tenantry.core.identity.models import User
from tenantry.core.identity.service import normalize_email
from tenantry.core.resources.scoped import of_tenant, same_tenant
from tenantry.perscom.engine.context import FORBIDDEN, Call
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    Computed,
    FileField,
    HasMany,
    HasManyThrough,
    RenderContext,
    Resource,
    ResourceRules,
    Rule,
)
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.engine.runtime import Compiled
from tenantry.perscom.resources.answers import (
    ANSWERS,
    questions_of,
    read_answers,
    store_files,
    stored_paths,
)
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models, v1_status_colours
from tenantry.perscom.resources.discussion import discussed
from tenantry.perscom.resources.form_models import MODEL_FIELDS
from tenantry.perscom.resources.organization import Rank
from tenantry.perscom.resources.record_models import (
    AWARD_RECORDS,
    QUALIFICATION_RECORDS,
    STATUS_RECORDS,
    USER_CREDENTIALS,
)
from tenantry.perscom.resources.tasks import USER_TASKS

ONLINE_SECONDS = 300
"""Seen within the last five minutes counts as online."""


class UserProfile(TenantScoped, Base):
    """PERSCOM's columns of a user, keyed like the user: ``(tenant_id, user_id)``."""

    __tablename__ = "perscom_user_profiles"
    __table_args__ = (
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        tenant_fk(["position_id"], "perscom_positions"),
        tenant_fk(["rank_id"], "perscom_ranks"),
        tenant_fk(["specialty_id"], "perscom_specialties"),
        tenant_fk(["status_id"], "perscom_statuses"),
        tenant_fk(["unit_id"], "perscom_units"),
        tenant_fk(["unit_slot_id"], "perscom_unit_slots"),
        Index("ix_perscom_user_profiles_rank", "tenant_id", "rank_id"),
        Index("ix_perscom_user_profiles_position", "tenant_id", "position_id"),
        Index("ix_perscom_user_profiles_specialty", "tenant_id", "specialty_id"),
        Index("ix_perscom_user_profiles_status", "tenant_id", "status_id"),
        Index("ix_perscom_user_profiles_unit", "tenant_id", "unit_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    phone_number: Mapped[str | None] = mapped_column(String(255), default=None)
    position_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    rank_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    specialty_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    status_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    unit_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    unit_slot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    notes_updated_at: Mapped[datetime | None] = mapped_column(default=None)
    profile_photo: Mapped[str | None] = mapped_column(String(255), default=None)
    cover_photo: Mapped[str | None] = mapped_column(String(255), default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    facebook_user_id: Mapped[str | None] = mapped_column(String(255), default=None)
    github_user_id: Mapped[str | None] = mapped_column(String(255), default=None)
    google_user_id: Mapped[str | None] = mapped_column(String(255), default=None)
    discord_user_id: Mapped[str | None] = mapped_column(String(255), default=None)
    last_assignment_change_date: Mapped[datetime | None] = mapped_column(default=None)
    last_rank_change_date: Mapped[datetime | None] = mapped_column(default=None)
    data: Mapped[Any] = mapped_column(JSON, default=None, nullable=True)
    """Values of the user's custom fields; uploads' stored keys are in ``files``."""
    files: Mapped[Any] = mapped_column(JSON, default=None, nullable=True)


USER_TYPE = models("User")
ASSIGNMENT_FIELDS = ("position_id", "specialty_id", "unit_id", "unit_slot_id")
_RANKS = Rank.__table__


class UserRules(ResourceRules):
    """E-mails are valid and unique per tenant; rank and assignment changes are dated;
    the values of the fields attached to a user are checked against those fields.

    A user holding platform roles (an administrator, a Percolate role) is protected: a
    PERSCOM key may edit their roster columns but neither change their sign-in email nor
    delete them (``tenantry.core.identity.guard``).
    """

    async def custom_input(
        self,
        call: Call,
        payload: Mapping[str, Any],
        values: dict[str, Any],
        *,
        row_id: int | None,
        prefix: str,
    ) -> list[FieldError]:
        if row_id is None:
            return []  # a new user has no fields attached yet
        questions = await questions_of(call, USER_TYPE, row_id)
        if not any(q.key in payload for q in questions):
            return []
        current = (
            await call.conn.execute(
                select(UserProfile.data, UserProfile.files).where(
                    same_tenant(UserProfile, call), UserProfile.user_id == row_id
                )
            )
        ).first()
        data = dict((current[0] if current else None) or {})
        files = dict((current[1] if current else None) or {})
        errors = await read_answers(
            call, questions, payload, (data, files), creating=False, prefix=prefix
        )
        if not errors:
            values["data"] = data
            values["files"] = files
        return errors

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        await self._email(call, values, None)
        now = utcnow()
        if values.get("rank_id") is not None:
            values["last_rank_change_date"] = now
        if any(values.get(f) is not None for f in ASSIGNMENT_FIELDS):
            values["last_assignment_change_date"] = now
        if values.get("notes") is not None:
            values.setdefault("notes_updated_at", now)

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        await self._email(call, values, row_id)
        if "email" in values:
            email_now = await call.conn.scalar(
                select(User.email).where(of_tenant(User, call.tenant_id), User.id == row_id)
            )
            if values["email"] != email_now and await holds_platform_roles(
                call.conn, call.tenant_id, row_id
            ):
                raise Forbidden(FORBIDDEN)
        if "files" in values:
            before = await call.conn.scalar(
                select(UserProfile.files).where(
                    same_tenant(UserProfile, call), UserProfile.user_id == row_id
                )
            )
            values["files"] = await store_files(call, values["files"], "users/fields")
            kept = set(stored_paths(values["files"]))
            call.files_to_delete.extend(p for p in stored_paths(before) if p not in kept)
        tracked = [f for f in ("rank_id", "notes", *ASSIGNMENT_FIELDS) if f in values]
        if not tracked:
            return
        users = call.registry.get("users")
        current = (
            await call.conn.execute(
                select(*(users.columns[f] for f in tracked))
                .select_from(users.from_clause)
                .where(users.tenant_col == call.tenant_id, users.id_col == row_id)
            )
        ).one()
        before = dict(zip(tracked, current, strict=True))
        now = utcnow()
        if "rank_id" in values and values["rank_id"] != before["rank_id"]:
            values["last_rank_change_date"] = now
        if any(f in values and values[f] != before[f] for f in ASSIGNMENT_FIELDS):
            values["last_assignment_change_date"] = now
        if "notes" in values and values["notes"] != before["notes"]:
            values.setdefault("notes_updated_at", now)

    async def before_delete(self, call: Call, row_id: int) -> None:
        if await holds_platform_roles(call.conn, call.tenant_id, row_id):
            raise Forbidden(FORBIDDEN)
        files = await call.conn.scalar(
            select(UserProfile.files).where(
                same_tenant(UserProfile, call), UserProfile.user_id == row_id
            )
        )
        call.files_to_delete.extend(stored_paths(files))

    async def _email(self, call: Call, values: dict[str, Any], row_id: int | None) -> None:
        if "email" not in values:
            return
        try:
            email = normalize_email(str(values["email"]))
        except ValidationFailed:
            raise failure(
                [FieldError("email", "The email field must be a valid email address.")]
            ) from None
        taken = (
            select(func.count())
            .select_from(User)
            .where(of_tenant(User, call.tenant_id), User.email == email)
        )
        if row_id is not None:
            taken = taken.where(User.id != row_id)
        if await call.conn.scalar(taken):
            raise failure([FieldError("email", "The email has already been taken.")])
        values["email"] = email


def _rank_abbreviation(users: Compiled) -> Mapping[str, ColumnElement[Any]]:
    abbreviation = (
        select(_RANKS.c.abbreviation)
        .where(same_tenant(_RANKS, users.table), _RANKS.c.id == users.columns["rank_id"])
        .scalar_subquery()
    )
    return {"_rank_abbreviation": abbreviation}


def _display_name(row: Mapping[str, Any], _context: RenderContext) -> str:
    abbreviation = row["_rank_abbreviation"]
    return f"{abbreviation} {row['name']}" if abbreviation else str(row["name"])


def _online(row: Mapping[str, Any], context: RenderContext) -> bool:
    seen: datetime | None = row["last_seen_at"]
    return seen is not None and context.now_epoch - seen.timestamp() < ONLINE_SECONDS


_AVATAR_COLOURS = "&color=FFFFFF&background=111827"


def _profile_photo_url(row: Mapping[str, Any], context: RenderContext) -> str:
    """The stored photo, else PERSCOM's generated-initials fallback."""
    if row["profile_photo"]:
        return context.public_url(row["profile_photo"])
    return f"https://ui-avatars.com/api/?name={quote_plus(row['name'])}{_AVATAR_COLOURS}"


def _cover_photo_url(row: Mapping[str, Any], context: RenderContext) -> str | None:
    return context.public_url(row["cover_photo"]) if row["cover_photo"] else None


STRING = {"type": "string"}

RECORD_RELATIONS = (
    HasMany("assignment_records", "assignment-records", "user_id"),
    HasMany("primary_assignment_records", "assignment-records", "user_id", (("type", "primary"),)),
    HasMany(
        "secondary_assignment_records", "assignment-records", "user_id", (("type", "secondary"),)
    ),
    HasMany("award_records", "award-records", "user_id"),
    HasMany("combat_records", "combat-records", "user_id"),
    HasMany("qualification_records", "qualification-records", "user_id"),
    HasMany("rank_records", "rank-records", "user_id"),
    HasMany("service_records", "service-records", "user_id"),
    HasMany("training_records", "training-records", "user_id"),
)
"""A user's records; the typed assignment lists are includes only, not endpoints."""
RECORD_INCLUDES = tuple(
    f"{r.name}{suffix}"
    for r in RECORD_RELATIONS
    if r.name != "training_records"
    for suffix in ("", ".*")
)

users = Resource(
    name="users",
    model=User,
    label="User",
    permission="user",
    event="user",
    morph_type=models("User"),
    extension=UserProfile,
    extension_key="user_id",
    extension_defaults={"approved": False},
    fields=(
        "id",
        "name",
        "email",
        "email_verified_at",
        "phone_number",
        "position_id",
        "rank_id",
        "specialty_id",
        "status_id",
        "unit_id",
        "unit_slot_id",
        "approved",
        "notes",
        "notes_updated_at",
        "profile_photo",
        "cover_photo",
        "last_seen_at",
        "facebook_user_id",
        "github_user_id",
        "google_user_id",
        "discord_user_id",
        "created_at",
        "updated_at",
        "last_assignment_change_date",
        "last_rank_change_date",
    ),
    hidden=("password_hash", "active", "timezone", "last_login_at"),
    writable=(
        "name",
        "email",
        "email_verified_at",
        "phone_number",
        "position_id",
        "rank_id",
        "specialty_id",
        "status_id",
        "unit_id",
        "approved",
        "notes",
        "notes_updated_at",
        "profile_photo",
        "cover_photo",
        "last_seen_at",
        "facebook_user_id",
        "github_user_id",
        "google_user_id",
        "discord_user_id",
        *STAMPS,
    ),
    rules={"name": REQUIRED, "email": Rule(required=True, max_length=255)},
    files={
        "profile_photo": FileField("users/profile-photos"),
        "cover_photo": FileField("users/cover-photos"),
    },
    computed=(
        Computed("display_name", _display_name, STRING, sql=_rank_abbreviation),
        Computed("online", _online, {"type": "boolean"}),
        Computed("profile_photo_url", _profile_photo_url, STRING),
        Computed("cover_photo_url", _cover_photo_url, {"type": ["string", "null"]}),
        ANSWERS,
    ),
    relations=(
        BelongsTo("position", "positions", "position_id"),
        BelongsTo("rank", "ranks", "rank_id"),
        BelongsTo("specialty", "specialties", "specialty_id"),
        BelongsTo("status", "statuses", "status_id"),
        BelongsTo("unit", "units", "unit_id"),
        *RECORD_RELATIONS,
        BelongsToMany("awards", "awards", AWARD_RECORDS, "user_id", "award_id"),
        BelongsToMany(
            "qualifications", "qualifications", QUALIFICATION_RECORDS, "user_id", "qualification_id"
        ),
        BelongsToMany(
            "status_records",
            "statuses",
            STATUS_RECORDS,
            parent_key="model_id",
            related_key="status_id",
            pivot_fields=("id", "text"),
            pivot_where=(("model_type", models("User")),),
        ),
        BelongsToMany(
            "fields",
            "fields",
            MODEL_FIELDS,
            parent_key="model_id",
            related_key="field_id",
            pivot_fields=("order",),
            pivot_where=(("model_type", USER_TYPE),),
        ),
        HasManyThrough("credentials", "credentials", USER_CREDENTIALS, "user_id", "id"),
        USER_TASKS,
        *discussed(models("User"), commented=False),
    ),
    includes=(
        "attachments",
        "position",
        "rank",
        "rank.*",
        "specialty",
        "status",
        "unit",
        "unit.*",
        *RECORD_INCLUDES,
        "awards",
        "qualifications",
        "credentials",
        "fields",
        "tasks",
    ),
    searchable=(
        "name",
        "email",
        "phone_number",
        "position.name",
        "rank.name",
        "specialty.name",
        "status.name",
        "unit.name",
    ),
    nested=(
        "position",
        "rank",
        "specialty",
        "status",
        "unit",
        *(r.name for r in RECORD_RELATIONS if not r.where),
        "status_records",
        "fields",
        "tasks",
        "attachments",
    ),
    service=UserRules(),
    v1_single=v1_status_colours,
)

DECLARATIONS = (users,)

__all__ = ["DECLARATIONS", "UserProfile", "users"]
