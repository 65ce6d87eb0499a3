"""Demo rows for the calendar and communications: a calendar of repeating and one-off
events with registrations, announcements (one disabled), a message and a task assigned
to people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.perscom.resources.calendars import Calendar, Event, EventRegistration, schedule_for
from tenantry.perscom.resources.communications import Announcement, Message
from tenantry.perscom.resources.tasks import Task, TaskAssignment

REPEATING = (
    ("Weekly drill", "FREQ=WEEKLY;BYDAY=TU", timedelta(hours=2)),
    ("Monthly staff meeting", "FREQ=MONTHLY;BYMONTHDAY=1", timedelta(hours=1)),
    ("Annual awards ceremony", "FREQ=YEARLY;COUNT=5", timedelta(hours=3)),
)


async def seed_calendar(session: AsyncSession, people: list[int], author_id: int) -> None:
    """``people``: the demo users' ids (some register, some get the task)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    operations = Calendar(name="Operations", color="#2563eb", description="Drills and meetings")
    training = Calendar(name="Training", color="#16a34a", description="Courses and ranges")
    session.add_all([operations, training])
    await session.flush()
    for name, rule, length in REPEATING:
        starts = now - timedelta(days=14)
        event = Event(
            name=name,
            calendar_id=operations.id,
            author_id=author_id,
            starts=starts,
            ends=starts + length,
            all_day=False,
            repeats=True,
            rrule=rule,
            location="Headquarters",
            notifications_interval=["PT1H"],
            notifications_channels=["database"],
        )
        session.add(event)
        await session.flush()
        session.add(schedule_for(event.id, event.starts, event.ends, rule))
    course = Event(
        name="Marksmanship course",
        calendar_id=training.id,
        author_id=author_id,
        starts=now + timedelta(days=10),
        ends=now + timedelta(days=12),
        all_day=True,
        content="<p>Bring eye and ear protection.</p>",
        registration_deadline=now + timedelta(days=7),
    )
    session.add(course)
    await session.flush()
    session.add_all(EventRegistration(event_id=course.id, user_id=u) for u in people[:6])
    session.add_all(
        [
            Announcement(
                title="Welcome to the unit",
                content="<p>Read the handbook before your first drill.</p>",
                **{"global": True},
            ),
            Announcement(
                title="Range closed",
                content="<p>The range is closed for maintenance this week.</p>",
                color="#dc2626",
                expires_at=now + timedelta(days=7),
            ),
            Announcement(title="Draft notice", content="<p>Not yet.</p>", enabled=False),
        ]
    )
    session.add(
        Message(
            message="Drill starts at 1900 on Tuesday.",
            channels=["database"],
            recipients=people[:3],
            sent_at=now,
        )
    )
    task = Task(title="Read the handbook", instructions="<p>Chapters 1 to 3.</p>")
    session.add(task)
    await session.flush()
    session.add_all(
        TaskAssignment(
            task_id=task.id,
            user_id=u,
            assigned_by_id=author_id,
            assigned_at=now - timedelta(days=3),
            due_at=now + timedelta(days=4) if i % 3 else now - timedelta(days=1),
            completed_at=now - timedelta(days=1) if i % 4 == 1 else None,
        )
        for i, u in enumerate(people[:8])
    )
    await session.flush()
