"""Tasks, and the people they are assigned to (``users/{id}/tasks``, ``tasks/{id}/users``).

An assignment is a pivot row with its own dates. Shown assignments append Laravel's
``TaskAssignment`` accessors: ``expired`` (past ``expires_at``), ``past_due`` (past
``due_at``) and a ``status`` that combines them with ``completed_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, tenant_fk, utcnow
from tenantry.perscom.engine.declaration import BelongsToMany, Resource
from tenantry.perscom.resources.common import REQUIRED, STAMPS, models
from tenantry.perscom.resources.discussion import discussed


class Task(TenantOwned, Base):
    __tablename__ = "perscom_tasks"

    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    instructions: Mapped[str | None] = mapped_column(Text, default=None)
    form_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The form to fill in to complete the task (PERSCOM's forms; not a foreign key here)."""


class TaskAssignment(TenantOwned, Base):
    __tablename__ = "perscom_task_assignments"
    __table_args__ = (
        tenant_fk(["task_id"], "perscom_tasks", ondelete="CASCADE"),
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        Index("ix_perscom_task_assignments_task", "tenant_id", "task_id"),
        Index("ix_perscom_task_assignments_user", "tenant_id", "user_id"),
    )

    task_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    assigned_by_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)


ASSIGNMENTS = Base.metadata.tables["perscom_task_assignments"]
PIVOT_FIELDS = ("id", "assigned_by_id", "assigned_at", "due_at", "completed_at", "expires_at")


def _assignment_defaults() -> Mapping[str, Any]:
    """Assigned now; every other date unset unless the attach gives it."""
    return {
        "assigned_by_id": None,
        "assigned_at": utcnow(),
        "due_at": None,
        "completed_at": None,
        "expires_at": None,
    }


def assignment_status(pivot: dict[str, Any], now: datetime | None = None) -> None:
    """``expired``, ``past_due`` and ``status``, judged at completion if completed."""
    moment = now or utcnow()
    completed: datetime | None = pivot.get("completed_at")
    at = completed or moment
    expires, due = pivot.get("expires_at"), pivot.get("due_at")
    expired = expires is not None and at > expires
    past_due = due is not None and at > due
    pivot["expired"] = expired
    pivot["past_due"] = past_due
    if completed is not None:
        pivot["status"] = (
            "complete_expired" if expired else "complete_past_due" if past_due else "complete"
        )
    else:
        pivot["status"] = "expired" if expired else "past_due" if past_due else "assigned"


def assignments(name: str, target: str, parent_key: str, related_key: str) -> BelongsToMany:
    return BelongsToMany(
        name,
        target,
        ASSIGNMENTS,
        parent_key=parent_key,
        related_key=related_key,
        pivot_fields=PIVOT_FIELDS,
        pivot_defaults=_assignment_defaults,
        pivot_appends=assignment_status,
    )


tasks = Resource(
    name="tasks",
    model=Task,
    label="Task",
    permission="task",
    morph_type=models("Task"),
    writable=("title", "description", "instructions", "form_id", *STAMPS),
    rules={"title": REQUIRED},
    relations=(
        assignments("users", "users", "task_id", "user_id"),
        *discussed(models("Task"), commented=False),
    ),
    includes=("attachments", "users"),
    searchable=("title", "description", "instructions"),
    nested=("users",),
)

DECLARATIONS = (tasks,)
USER_TASKS = assignments("tasks", "tasks", "user_id", "task_id")
"""``users/{id}/tasks``: the same pivot seen from the user."""
