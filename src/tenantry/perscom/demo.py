"""What the demo tenant gets from the PERSCOM face: a small army and a key to read it.

Ranks, positions, specialties, statuses, units in groups, awards, qualifications,
credentials and a few dozen people holding them, then an all-scopes API key for the demo
administrator. Deterministic (a seeded generator), so every demo looks the same.
"""

from __future__ import annotations

import random
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.base import Base
from tenantry.core.identity import service as identity
from tenantry.core.tenancy import tenant_session
from tenantry.perscom.cli import create_api_key
from tenantry.perscom.demo_calendar import seed_calendar
from tenantry.perscom.demo_forms import seed_forms
from tenantry.perscom.demo_newsfeed import seed_newsfeed
from tenantry.perscom.demo_records import Catalogue, seed_records
from tenantry.perscom.resources.categories import Categorizable, Category
from tenantry.perscom.resources.common import models
from tenantry.perscom.resources.organization import (
    Group,
    GroupUnit,
    Position,
    Rank,
    Specialty,
    Status,
    Unit,
)
from tenantry.perscom.resources.people import UserProfile
from tenantry.perscom.resources.recognition import (
    Award,
    Competency,
    Credential,
    Issuer,
    Qualification,
)
from tenantry.settings import Settings

__all__ = ["DEMO_KEY_NAME", "seed_demo"]

DEMO_KEY_NAME = "Demo key"
PEOPLE = 36

RANKS = [
    ("Private", "PVT", "E-1"),
    ("Private Second Class", "PV2", "E-2"),
    ("Private First Class", "PFC", "E-3"),
    ("Specialist", "SPC", "E-4"),
    ("Corporal", "CPL", "E-4"),
    ("Sergeant", "SGT", "E-5"),
    ("Staff Sergeant", "SSG", "E-6"),
    ("Sergeant First Class", "SFC", "E-7"),
    ("Master Sergeant", "MSG", "E-8"),
    ("First Sergeant", "1SG", "E-8"),
    ("Second Lieutenant", "2LT", "O-1"),
    ("First Lieutenant", "1LT", "O-2"),
    ("Captain", "CPT", "O-3"),
    ("Major", "MAJ", "O-4"),
]
POSITIONS = [
    "Rifleman",
    "Team Leader",
    "Squad Leader",
    "Platoon Sergeant",
    "Platoon Leader",
    "Medic",
]
SPECIALTIES = [
    ("Infantryman", "11B"),
    ("Combat Medic", "68W"),
    ("Signal Support Specialist", "25U"),
    ("Cavalry Scout", "19D"),
]
STATUSES = [
    ("Active Duty", "#16a34a"),
    ("Reserve", "#2563eb"),
    ("Leave", "#ca8a04"),
    ("Discharged", "#6b7280"),
]
GROUPS = {
    "Alpha Company": ["1st Platoon", "2nd Platoon", "Headquarters Section"],
    "Support Company": ["Medical Section", "Signal Section"],
}
AWARDS = [
    "Army Commendation Medal",
    "Army Achievement Medal",
    "Good Conduct Medal",
    "National Defense Service Medal",
]
QUALIFICATIONS = ["Expert Marksman", "Combat Lifesaver", "Airborne", "Air Assault"]
FIRST = [
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Sarah",
    "David",
    "Karen",
    "Daniel",
    "Nancy",
    "Paul",
    "Emily",
    "Mark",
    "Laura",
]
LAST = [
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
]


async def seed_demo(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: int,
    admin_user_id: int,
) -> list[str]:
    """Fill the demo tenant; returns how to call it (``{base}`` stands for the origin)."""
    rng = random.Random(4)
    async with tenant_session(sessions, tenant_id) as session:
        ranks = await _add(
            session,
            [
                Rank(name=n, abbreviation=a, paygrade=p, order=i)
                for i, (n, a, p) in enumerate(RANKS)
            ],
        )
        positions = await _add(
            session, [Position(name=n, order=i) for i, n in enumerate(POSITIONS)]
        )
        specialties = await _add(
            session,
            [Specialty(name=n, abbreviation=a, order=i) for i, (n, a) in enumerate(SPECIALTIES)],
        )
        statuses = await _add(
            session, [Status(name=n, color=c, order=i) for i, (n, c) in enumerate(STATUSES)]
        )
        units: list[Unit] = []
        for order, (group_name, unit_names) in enumerate(GROUPS.items()):
            group = (await _add(session, [Group(name=group_name, order=order)]))[0]
            members = await _add(session, [Unit(name=n, order=i) for i, n in enumerate(unit_names)])
            session.add_all(
                GroupUnit(group_id=group.id, unit_id=u.id, order=i) for i, u in enumerate(members)
            )
            units += members
        awards = await _add(session, [Award(name=n, order=i) for i, n in enumerate(AWARDS)])
        qualifications = await _add(
            session, [Qualification(name=n, order=i) for i, n in enumerate(QUALIFICATIONS)]
        )
        issuer = (await _add(session, [Issuer(name="U.S. Army Training Command")]))[0]
        await _add(
            session,
            [
                Credential(name="Basic Life Support", type="certification", issuer_id=issuer.id),
                Credential(name="Commercial Driver License", type="license", issuer_id=issuer.id),
            ],
        )
        competencies = await _add(
            session, [Competency(name=n) for n in ("Land Navigation", "First Aid", "Radio")]
        )
        valor = (await _add(session, [Category(name="Service Medals", resource="awards")]))[0]
        session.add_all(
            Categorizable(category_id=valor.id, model_type=models("Award"), model_id=a.id, order=i)
            for i, a in enumerate(awards)
        )
        people: list[tuple[int, dict[str, Any]]] = []
        for number in range(PEOPLE):
            name = f"{FIRST[number % len(FIRST)]} {LAST[(number * 5) % len(LAST)]}"
            user = await identity.create_user(
                session,
                email=f"{name.lower().replace(' ', '.')}.{number}@demo.example.com",
                name=name,
            )
            people.append(
                (
                    user.id,
                    {
                        "rank_id": rng.choice(ranks[: 10 if number > 4 else len(ranks)]).id,
                        "position_id": rng.choice(positions).id,
                        "specialty_id": rng.choice(specialties).id,
                        "status_id": statuses[0 if number % 7 else rng.randrange(len(statuses))].id,
                        "unit_id": rng.choice(units).id,
                        "approved": number % 9 != 0,
                    },
                )
            )
        catalogue = Catalogue(
            ranks=ranks,
            awards=[a.id for a in awards],
            qualifications=[q.id for q in qualifications],
            competencies=[c.id for c in competencies],
        )
        await seed_records(session, rng, people, admin_user_id, catalogue)
        await seed_forms(session, rng, [user_id for user_id, _ in people])
        await seed_calendar(session, [user_id for user_id, _ in people], admin_user_id)
        await seed_newsfeed(session, rng, [user_id for user_id, _ in people])
        session.add_all(UserProfile(user_id=user_id, **profile) for user_id, profile in people)
        session.add(UserProfile(user_id=admin_user_id, rank_id=ranks[-1].id, approved=True))
        await session.flush()
    key = await create_api_key(
        settings,
        sessions,
        tenant_id=tenant_id,
        name=DEMO_KEY_NAME,
        scopes=["*"],
        user_id=admin_user_id,
    )
    history = f"{{base}}/v1/users/{people[0][0]}?include=rank_records,award_records.award"
    headers = f'-H "Authorization: Bearer {key["token"]}" -H "X-Perscom-Id: {tenant_id}"'
    return [
        f"PERSCOM API key (id {key['id']}, all scopes) for tenant {tenant_id}:",
        f"  curl {headers} {{base}}/v1/users",
        f"  curl {headers} '{history}'",
        f"  curl {headers} '{{base}}/v1/events?include=schedule,registrations'",
        f"  curl {headers} {{base}}/v1/newsfeed",
        "  spec: {base}/v1/spec.yaml",
        f"  roster widget (open in a browser): {{base}}/v2/widgets/roster?apikey={key['token']}",
    ]


RowT = TypeVar("RowT", bound=Base)


async def _add(session: AsyncSession, rows: list[RowT]) -> list[RowT]:
    session.add_all(rows)
    await session.flush()
    return rows
