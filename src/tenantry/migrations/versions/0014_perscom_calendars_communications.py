"""perscom: calendars, events, event registrations, schedules, announcements,
messages and their deliveries, tasks and task assignments

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops as m
from tenantry.core.base import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "perscom_calendars",
    "perscom_events",
    "perscom_events_registrations",
    "perscom_schedules",
    "perscom_announcements",
    "perscom_messages",
    "perscom_message_deliveries",
    "perscom_tasks",
    "perscom_task_assignments",
)
"""Created in this order (referenced tables first); dropped in reverse."""


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    table = "perscom_calendars"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("color", sa.String(length=255), nullable=False),
        *m.timestamps(),
    )
    table = "perscom_events"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("calendar_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=255), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        _when("starts"),
        _when("ends"),
        sa.Column("repeats", sa.Boolean(), nullable=False),
        sa.Column("rrule", sa.String(length=255), nullable=True),
        sa.Column("registration_enabled", sa.Boolean(), nullable=False),
        _when("registration_deadline", nullable=True),
        sa.Column("notifications_enabled", sa.Boolean(), nullable=False),
        sa.Column("notifications_interval", sa.JSON(), nullable=True),
        sa.Column("notifications_channels", sa.JSON(), nullable=True),
        *m.timestamps(),
        m.tenant_ref(table, "calendar_id", "perscom_calendars"),
        m.tenant_ref(table, "author_id", "users", cascade=False),
    )
    op.create_index("ix_perscom_events_calendar", table, ["tenant_id", "calendar_id"])
    op.create_index("ix_perscom_events_starts", table, ["tenant_id", "starts"])
    table = "perscom_events_registrations"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        *m.timestamps(),
        m.tenant_ref(table, "event_id", "perscom_events"),
        m.tenant_ref(table, "user_id", "users"),
    )
    op.create_index("ix_perscom_events_registrations_event", table, ["tenant_id", "event_id"])
    op.create_index("ix_perscom_events_registrations_user", table, ["tenant_id", "user_id"])
    table = "perscom_schedules"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("model_type", sa.String(length=255), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        _when("start"),
        sa.Column("duration", sa.BigInteger(), nullable=False),
        sa.Column("rrule", sa.String(length=255), nullable=False),
        _when("until", nullable=True),
        *m.timestamps(),
    )
    op.create_index("ix_perscom_schedules_model", table, ["tenant_id", "model_type", "model_id"])
    table = "perscom_announcements"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("color", sa.String(length=255), nullable=True),
        sa.Column("global", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _when("expires_at", nullable=True),
        *m.timestamps(),
    )
    table = "perscom_messages"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=True),
        sa.Column("repeats", sa.Boolean(), nullable=False),
        _when("send_at", nullable=True),
        _when("sent_at", nullable=True),
        *m.timestamps(),
    )
    table = "perscom_message_deliveries"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        *m.timestamps(),
        m.tenant_ref(table, "message_id", "perscom_messages"),
        m.tenant_ref(table, "user_id", "users"),
    )
    op.create_index("ix_perscom_message_deliveries_message", table, ["tenant_id", "message_id"])
    table = "perscom_tasks"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("form_id", sa.BigInteger(), nullable=True),
        *m.timestamps(),
    )
    table = "perscom_task_assignments"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("assigned_by_id", sa.BigInteger(), nullable=True),
        _when("assigned_at", nullable=True),
        _when("due_at", nullable=True),
        _when("completed_at", nullable=True),
        _when("expires_at", nullable=True),
        *m.timestamps(),
        m.tenant_ref(table, "task_id", "perscom_tasks"),
        m.tenant_ref(table, "user_id", "users"),
    )
    op.create_index("ix_perscom_task_assignments_task", table, ["tenant_id", "task_id"])
    op.create_index("ix_perscom_task_assignments_user", table, ["tenant_id", "user_id"])
    for name in TENANT_TABLES:
        m.enable_tenant_rls(name)


def downgrade() -> None:
    for name in reversed(TENANT_TABLES):
        op.drop_table(name)
