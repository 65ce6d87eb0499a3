"""Demo newsfeed: the newest award, rank and qualification records as feed items (the
demo writes records straight to the tables, so it posts their items itself), each liked
by a few people."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.identity.models import User
from tenantry.perscom.resources.newsfeed import NewsfeedLike, activity
from tenantry.perscom.resources.organization import Rank
from tenantry.perscom.resources.recognition import Award, Qualification
from tenantry.perscom.resources.record_models import AwardRecord, QualificationRecord, RankRecord

ITEMS_PER_KIND = 8


async def seed_newsfeed(session: AsyncSession, rng: random.Random, people: list[int]) -> None:
    names = {user_id: name for user_id, name in await session.execute(select(User.id, User.name))}
    kinds: list[tuple[str, Any, Any, Any]] = [
        ("Award Record", AwardRecord, Award, AwardRecord.award_id),
        ("Rank Record", RankRecord, Rank, RankRecord.rank_id),
        (
            "Qualification Record",
            QualificationRecord,
            Qualification,
            QualificationRecord.qualification_id,
        ),
    ]
    items = []
    for label, record, named, key in kinds:
        rows = await session.execute(
            select(record, named.name)
            .join(named, named.id == key)
            .order_by(record.created_at.desc())
            .limit(ITEMS_PER_KIND)
        )
        for found, item in rows:
            values = {
                "user_id": found.user_id,
                "text": found.text,
                "created_at": found.created_at,
            }
            items.append(
                activity(
                    label=label,
                    record_id=found.id,
                    values=values,
                    author_id=found.author_id,
                    recipient=names.get(found.user_id),
                    item=item,
                )
            )
    session.add_all(items)
    await session.flush()
    session.add_all(
        NewsfeedLike(newsfeed_id=item.id, user_id=user_id)
        for item in items
        for user_id in rng.sample(people, rng.randrange(0, 5))
    )
    await session.flush()
