"""The demo's forms: an enlistment application and a leave request, with submissions.

Submissions move through review statuses of their own (pending, approved, denied), each
step a status record with a note, as reviewers would leave them through the API.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.perscom.resources.common import models
from tenantry.perscom.resources.form_models import Field, Form, ModelField, Submission
from tenantry.perscom.resources.organization import Status
from tenantry.perscom.resources.record_models import StatusRecord

START = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
REVIEW = [("Pending Review", "#ca8a04"), ("Approved", "#16a34a"), ("Denied", "#dc2626")]
APPLICATION_FIELDS = [
    ("Full name", "full_name", "text", True, None),
    ("Email", "contact_email", "email", True, None),
    ("Date of birth", "date_of_birth", "date", True, None),
    ("Preferred branch", "preferred_branch", "select", True, {"army": "Army", "navy": "Navy"}),
    ("Prior service", "prior_service", "boolean", False, None),
    ("Why do you want to join?", "motivation", "textarea", False, None),
]
LEAVE_FIELDS = [
    ("Leave starts", "leave_start", "date", True, None),
    ("Leave ends", "leave_end", "date", True, None),
    ("Reason", "reason", "textarea", False, None),
]
APPLICANTS = [
    ("Jordan Reyes", "army", "I want to serve with my brother's unit."),
    ("Morgan Ellis", "navy", "Looking for structure and teamwork."),
    ("Casey Nguyen", "army", "Always wanted to be a medic."),
    ("Riley Brooks", "army", None),
    ("Avery Stone", "navy", "Referred by a friend in Alpha Company."),
]


async def seed_forms(session: AsyncSession, rng: random.Random, people: list[int]) -> None:
    """Two forms with their fields, and submissions in several review statuses."""
    pending, approved, denied = (
        Status(name=n, color=c, order=10 + i) for i, (n, c) in enumerate(REVIEW)
    )
    session.add_all([pending, approved, denied])
    await session.flush()
    application = Form(
        name="Enlistment Application",
        slug="enlistment-application",
        is_public=True,
        success_message="Thank you! A recruiter will contact you within a week.",
        submission_status_id=pending.id,
        description="Apply to join the unit.",
        instructions="Answer every required question truthfully.",
    )
    leave = Form(
        name="Leave Request",
        slug="leave-request",
        is_public=False,
        success_message="Your request was sent to your chain of command.",
        submission_status_id=pending.id,
        description="Ask for leave from duty.",
    )
    session.add_all([application, leave])
    await session.flush()
    for form, specs in ((application, APPLICATION_FIELDS), (leave, LEAVE_FIELDS)):
        fields = [
            Field(name=name, key=key, type=kind, required=required, options=options)
            for name, key, kind, required, options in specs
        ]
        session.add_all(fields)
        await session.flush()
        session.add_all(
            ModelField(field_id=f.id, model_type=models("Form"), model_id=form.id, order=i)
            for i, f in enumerate(fields)
        )
    outcomes = [(approved, "Welcome aboard."), (denied, "Does not meet the age requirement.")]
    for number, (name, branch, motivation) in enumerate(APPLICANTS):
        data: dict[str, Any] = {
            "full_name": name,
            "contact_email": f"{name.lower().replace(' ', '.')}@applicant.example.com",
            "date_of_birth": f"{1996 + number}-0{number + 1}-1{number}",
            "preferred_branch": branch,
            "prior_service": number % 2 == 0,
        }
        if motivation:
            data["motivation"] = motivation
        when = START + timedelta(days=3 * number, hours=rng.randrange(8))
        steps = [(pending, None)] + ([outcomes[number % 2]] if number < 3 else [])
        await _submit(session, application.id, None, data, when, steps)
    for number, user_id in enumerate(people[:4]):
        first = START + timedelta(days=20 + 7 * number)
        data = {
            "leave_start": (first + timedelta(days=14)).date().isoformat(),
            "leave_end": (first + timedelta(days=21)).date().isoformat(),
            "reason": ("Family visit", "Wedding", "Medical appointment", "Rest")[number],
        }
        steps = [(pending, None)]
        if number != 3:
            steps.append((approved, "Enjoy your leave.") if number % 2 == 0 else outcomes[1])
        await _submit(session, leave.id, user_id, data, first, steps)


async def _submit(
    session: AsyncSession,
    form_id: int,
    user_id: int | None,
    data: dict[str, Any],
    when: datetime,
    steps: Sequence[tuple[Status, str | None]],
) -> None:
    submission = Submission(
        form_id=form_id, user_id=user_id, data=data, files={}, created_at=when, updated_at=when
    )
    session.add(submission)
    await session.flush()
    for index, (status, text) in enumerate(steps):
        stamp = when + timedelta(days=2 * index)
        session.add(
            StatusRecord(
                status_id=status.id,
                model_type=models("Submission"),
                model_id=submission.id,
                text=text,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    await session.flush()
