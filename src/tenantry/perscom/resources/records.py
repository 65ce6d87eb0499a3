"""Service records: assignments, awards, combat, qualifications, ranks, service, training.

Records are how an organisation changes its people: a primary assignment record moves
the user (position, specialty, unit, slot, status), a rank record sets their rank, and the
user's change dates follow, in the transaction that writes the record. Every record
names its author (the caller's user) and lists newest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from tenantry.core.base import Base, utcnow
from tenantry.core.errors import FieldError
from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import same_tenant
from tenantry.perscom.engine.context import Call
from tenantry.perscom.engine.declaration import (
    BelongsTo,
    BelongsToMany,
    Computed,
    Direction,
    Relation,
    Resource,
    Rule,
    Shaper,
)
from tenantry.perscom.engine.problems import failure
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models, v1_status_colours
from tenantry.perscom.resources.discussion import DISCUSSION_INCLUDES, discussed
from tenantry.perscom.resources.documents import (
    Authored,
    Lookup,
    document_parsed,
    named,
    own,
)
from tenantry.perscom.resources.newsfeed import post_activity
from tenantry.perscom.resources.organization import (
    Position,
    Rank,
    Slot,
    Specialty,
    Status,
    Unit,
    UnitSlot,
)
from tenantry.perscom.resources.people import UserProfile
from tenantry.perscom.resources.recognition import Award, Qualification
from tenantry.perscom.resources.record_models import (
    TRAINING_COMPETENCIES,
    TRAINING_CREDENTIALS,
    AssignmentRecord,
    AwardRecord,
    CombatRecord,
    QualificationRecord,
    RankRecord,
    ServiceRecord,
    TrainingRecord,
)

NEWEST_FIRST: tuple[tuple[str, Direction], ...] = (("created_at", "desc"), ("id", "desc"))
ASSIGNMENT_TYPES = ("primary", "secondary")
RANK_RECORD_TYPES = (0, 1, 2, 3)
"""``0`` promotion, ``1`` demotion, ``2`` lateral, ``3`` transfer."""

_PLACEMENT = ("position_id", "specialty_id", "unit_id", "unit_slot_id")


class RecordRules(Authored):
    """Every record is authored by the caller; some nullable keys are still required; a
    new record posts to the newsfeed, naming what it gives (``item``: an award's name)."""

    required_keys: tuple[str, ...] = ()
    """Nullable keys a new record must still name (a training record's instructor)."""
    posts: bool = True
    item: tuple[Any, str] | None = None
    """``(Model, key)``: the named row whose ``name`` is the feed item's ``item``."""

    def __init__(self, label: str) -> None:
        self.label = label

    async def after_create(self, call: Call, row_id: int, values: Mapping[str, Any]) -> None:
        if not self.posts:
            return
        named_item: str | None = None
        if self.item is not None and values.get(self.item[1]) is not None:
            model, key = self.item
            named_item = await call.conn.scalar(
                select(model.name).where(same_tenant(model, call), model.id == values[key])
            )
        await post_activity(
            call, label=self.label, record_id=row_id, values=values, item=named_item
        )

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        missing = [k for k in self.required_keys if values.get(k) is None]
        if missing:
            raise failure(
                [FieldError(k, f"The {k.replace('_', ' ')} field is required.") for k in missing]
            )
        await super().before_create(call, values)


class TrainingRules(RecordRules):
    required_keys = ("instructor_id",)
    posts = False


class AwardRules(RecordRules):
    item = (Award, "award_id")


class QualificationRules(RecordRules):
    item = (Qualification, "qualification_id")


class AssignmentRules(RecordRules):
    """A primary assignment record places its user; the slot must be one of the tenant's."""

    item = (Position, "position_id")

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        await super().before_create(call, values)
        await _check_unit_slot(call, values)

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        await _check_unit_slot(call, values)

    async def after_create(self, call: Call, row_id: int, values: Mapping[str, Any]) -> None:
        await super().after_create(call, row_id, values)
        if values.get("type", "primary") != "primary":
            return
        changes = {k: values[k] for k in (*_PLACEMENT, "status_id") if values.get(k) is not None}
        if values.get("unit_slot_id") is not None:
            for key, value in (await _slot_placement(call, values["unit_slot_id"])).items():
                changes.setdefault(key, value)
        changes["last_assignment_change_date"] = values["created_at"]
        await _update_profile(call, values["user_id"], changes)


class RankRecordRules(RecordRules):
    """A rank record, whatever its type, gives its user the record's rank."""

    item = (Rank, "rank_id")

    async def after_create(self, call: Call, row_id: int, values: Mapping[str, Any]) -> None:
        await super().after_create(call, row_id, values)
        changes = {"rank_id": values["rank_id"], "last_rank_change_date": values["created_at"]}
        await _update_profile(call, values["user_id"], changes)


async def _check_unit_slot(call: Call, values: Mapping[str, Any]) -> None:
    slot_id = values.get("unit_slot_id")
    if slot_id is None:
        return
    found = await call.conn.scalar(
        select(UnitSlot.id).where(same_tenant(UnitSlot, call), UnitSlot.id == slot_id)
    )
    if found is None:
        raise failure([FieldError("unit_slot_id", "The selected unit slot id is invalid.")])


async def _slot_placement(call: Call, unit_slot_id: int) -> dict[str, Any]:
    """What a unit slot implies: its unit, and its slot's position and specialty."""
    row = (
        await call.conn.execute(
            select(UnitSlot.unit_id, Slot.position_id, Slot.specialty_id)
            .join(Slot, (same_tenant(Slot, UnitSlot)) & (Slot.id == UnitSlot.slot_id))
            .where(same_tenant(UnitSlot, call), UnitSlot.id == unit_slot_id)
        )
    ).first()
    if row is None:
        return {}
    placement = {"unit_id": row[0], "position_id": row[1], "specialty_id": row[2]}
    return {k: v for k, v in placement.items() if v is not None}


async def _update_profile(call: Call, user_id: int, changes: Mapping[str, Any]) -> None:
    """Write PERSCOM columns of a user (creating the profile row a user may lack)."""
    profile = await call.session.get(UserProfile, (call.tenant_id, user_id))
    if profile is None:
        call.session.add(UserProfile(user_id=user_id, **changes))
    else:
        for key, value in changes.items():
            setattr(profile, key, value)
    user = await call.session.get(User, (call.tenant_id, user_id))
    if user is not None:
        user.updated_at = utcnow()
    await call.session.flush()


USER_LINKS: tuple[Relation, ...] = (
    BelongsTo("user", "users", "user_id"),
    BelongsTo("author", "users", "author_id"),
    BelongsTo("document", "documents", "document_id"),
)
USER_INCLUDES = ("author", "author.*", "document", "user", "user.*")
RECORD_FIELDS = ("user_id", "document_id", "text", *STAMPS)


def _record(
    name: str,
    model: type[Base],
    label: str,
    *,
    writable: tuple[str, ...] = (),
    rules: Mapping[str, Rule] | None = None,
    relations: tuple[Relation, ...] = (),
    includes: tuple[str, ...] = (),
    searchable: tuple[str, ...] = ("text",),
    nested: tuple[str, ...] = (),
    service: type[RecordRules] = RecordRules,
    v1_single: Shaper | None = None,
    tags: Mapping[str, Lookup] | None = None,
    announced: bool = True,
) -> Resource:
    """A record declaration: user, author and document relations, ``document_parsed`` with
    the kind's own tags (``tags``), newest first, ``text`` searched; its writes go out as
    webhook events unless not ``announced``."""
    prefix = label.lower().replace(" ", "_")
    parsed: Computed = document_parsed(prefix, tags)
    morph_type = models(label.replace(" ", ""))
    return Resource(
        name=name,
        model=model,
        label=label,
        permission=label.replace(" ", "").lower(),
        event=label.replace(" ", "").lower() if announced else None,
        morph_type=morph_type,
        writable=(*writable, *RECORD_FIELDS),
        rules={"user_id": REQUIRED, **(rules or {})},
        relations=(*USER_LINKS, *relations, *discussed(morph_type)),
        computed=(parsed,),
        includes=tuple(sorted({*USER_INCLUDES, *DISCUSSION_INCLUDES, *includes})),
        searchable=searchable,
        default_sort=NEWEST_FIRST,
        nested=nested,
        service=service(label),
        v1_single=v1_single,
        spec_description=f"{label}s of the organisation's people, newest first.",
    )


assignment_records = _record(
    "assignment-records",
    AssignmentRecord,
    "Assignment Record",
    writable=("type", "status_id", "unit_id", "position_id", "specialty_id", "unit_slot_id"),
    rules={"type": Rule(choices=ASSIGNMENT_TYPES)},
    relations=(
        BelongsTo("position", "positions", "position_id"),
        BelongsTo("specialty", "specialties", "specialty_id"),
        BelongsTo("status", "statuses", "status_id"),
        BelongsTo("unit", "units", "unit_id"),
    ),
    includes=("position", "specialty", "status", "unit", "unit.*"),
    service=AssignmentRules,
    v1_single=v1_status_colours,
    tags={
        "type": own("type"),
        "position": named(Position, "position_id"),
        "specialty": named(Specialty, "specialty_id"),
        "status": named(Status, "status_id"),
        "unit": named(Unit, "unit_id"),
    },
)

award_records = _record(
    "award-records",
    AwardRecord,
    "Award Record",
    writable=("award_id",),
    rules={"award_id": REQUIRED},
    relations=(BelongsTo("award", "awards", "award_id"),),
    includes=("award", "award.image"),
    tags={"award": named(Award, "award_id")},
    service=AwardRules,
)

combat_records = _record(
    "combat-records",
    CombatRecord,
    "Combat Record",
    rules={"text": REQUIRED},
)

qualification_records = _record(
    "qualification-records",
    QualificationRecord,
    "Qualification Record",
    writable=("qualification_id",),
    rules={"qualification_id": REQUIRED},
    relations=(BelongsTo("qualification", "qualifications", "qualification_id"),),
    includes=("qualification", "qualification.image"),
    tags={"qualification": named(Qualification, "qualification_id")},
    service=QualificationRules,
)

rank_records = _record(
    "rank-records",
    RankRecord,
    "Rank Record",
    writable=("rank_id", "type"),
    rules={"rank_id": REQUIRED, "type": Rule(required=True, choices=RANK_RECORD_TYPES)},
    relations=(BelongsTo("rank", "ranks", "rank_id"),),
    includes=("rank", "rank.image"),
    tags={"rank": named(Rank, "rank_id"), "type": own("type")},
    service=RankRecordRules,
)

service_records = _record(
    "service-records",
    ServiceRecord,
    "Service Record",
    rules={"text": REQUIRED},
)

training_records = _record(
    "training-records",
    TrainingRecord,
    "Training Record",
    announced=False,  # not among PERSCOM's webhook events
    writable=("instructor_id", "event_id"),
    rules={"instructor_id": REQUIRED},
    relations=(
        BelongsTo("instructor", "users", "instructor_id"),
        BelongsTo("event", "events", "event_id"),
        BelongsToMany(
            "competencies",
            "competencies",
            TRAINING_COMPETENCIES,
            "training_record_id",
            "competency_id",
        ),
        BelongsToMany(
            "credentials",
            "credentials",
            TRAINING_CREDENTIALS,
            "training_record_id",
            "credential_id",
        ),
    ),
    includes=(
        "competencies",
        "credentials",
        "credentials.*",
        "event",
        "event.*",
        "instructor",
        "instructor.*",
    ),
    nested=("competencies", "credentials"),
    tags={"instructor": named(User, "instructor_id")},
    service=TrainingRules,
)

DECLARATIONS = (
    assignment_records,
    award_records,
    combat_records,
    qualification_records,
    rank_records,
    service_records,
    training_records,
)
