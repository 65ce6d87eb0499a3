"""The demo people's service history: how each came to hold the rank and post they hold.

Every person enlisted (a service record), was assigned where they serve now (a primary
assignment record) and promoted up to their rank (rank records); many earned awards and
qualifications, some trained or saw combat. Their profiles' change dates are those of the
latest records, as if the records had been written through the API.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.perscom.resources.documents import Document
from tenantry.perscom.resources.organization import Rank
from tenantry.perscom.resources.record_models import (
    AssignmentRecord,
    AwardRecord,
    CombatRecord,
    QualificationRecord,
    RankRecord,
    ServiceRecord,
    TrainingCompetency,
    TrainingRecord,
)

START = datetime(2023, 1, 9, 9, 0, tzinfo=UTC)
CERTIFICATE = (
    "<h1>Certificate of Promotion</h1><p>{user_name} is promoted to the grade of "
    "{rank_record_rank}, effective {record_date}.</p><p>{record_text}</p>"
)
"""A document with content tags: rank records render it as ``document_parsed``."""
OPERATIONS = ("Operation Iron Ridge", "Operation Dawn Patrol", "Exercise Northern Shield")


@dataclass(frozen=True)
class Catalogue:
    """The demo's rows records point at (ids only)."""

    ranks: list[Rank]
    awards: list[int]
    qualifications: list[int]
    competencies: list[int]


async def seed_records(
    session: AsyncSession,
    rng: random.Random,
    people: list[tuple[int, dict[str, Any]]],
    author_id: int,
    catalogue: Catalogue,
) -> None:
    """Add each person's records and date their profile (``people`` profiles are amended)."""
    rank_ids = [r.id for r in catalogue.ranks]
    certificate = Document(
        name="Promotion Certificate",
        content=CERTIFICATE,
        author_id=author_id,
        **stamp(START),
    )
    session.add(certificate)
    await session.flush()
    trainings: list[TrainingRecord] = []
    for number, (user_id, profile) in enumerate(people):
        enlisted = START + timedelta(days=rng.randrange(0, 200), hours=number)
        common = {"user_id": user_id, "author_id": author_id}
        session.add(ServiceRecord(**common, text="Enlisted.", **stamp(enlisted)))
        reached = rank_ids.index(profile["rank_id"])
        rank_date = enlisted
        for step in range(reached + 1):
            rank_date = enlisted + timedelta(days=45 * step)
            text = "Enlisted at this grade." if step == 0 else "Promoted for sustained performance."
            document_id = certificate.id if step else None
            session.add(
                RankRecord(
                    **common,
                    rank_id=rank_ids[step],
                    type=0,
                    text=text,
                    document_id=document_id,
                    **stamp(rank_date),
                )
            )
        assigned = enlisted + timedelta(days=14)
        session.add(
            AssignmentRecord(
                **common,
                type="primary",
                position_id=profile["position_id"],
                specialty_id=profile["specialty_id"],
                unit_id=profile["unit_id"],
                status_id=profile["status_id"],
                text="Assigned on completion of initial training.",
                **stamp(assigned),
            )
        )
        profile["last_rank_change_date"] = rank_date
        profile["last_assignment_change_date"] = assigned
        for award_id in rng.sample(catalogue.awards, rng.randrange(0, 3)):
            when = enlisted + timedelta(days=rng.randrange(30, 600))
            session.add(AwardRecord(**common, award_id=award_id, text="For merit.", **stamp(when)))
        for qualification_id in rng.sample(catalogue.qualifications, rng.randrange(0, 3)):
            when = enlisted + timedelta(days=rng.randrange(20, 400))
            session.add(
                QualificationRecord(**common, qualification_id=qualification_id, **stamp(when))
            )
        if number % 4 == 0:
            when = enlisted + timedelta(days=rng.randrange(100, 500))
            text = f"Took part in {rng.choice(OPERATIONS)}."
            session.add(CombatRecord(**common, text=text, **stamp(when)))
        if number % 3 == 0:
            instructor = people[(number + 1) % len(people)][0]
            when = enlisted + timedelta(days=rng.randrange(10, 300))
            training = TrainingRecord(
                **common, instructor_id=instructor, text="Field training.", **stamp(when)
            )
            session.add(training)
            trainings.append(training)
    await session.flush()
    session.add_all(
        TrainingCompetency(training_record_id=t.id, competency_id=c)
        for t in trainings
        for c in rng.sample(catalogue.competencies, 2)
    )
    await session.flush()


def stamp(when: datetime) -> dict[str, datetime]:
    """Timestamps of a record written at ``when``."""
    return {"created_at": when, "updated_at": when}
