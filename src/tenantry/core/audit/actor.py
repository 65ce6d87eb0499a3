"""Who is writing: set where each face verifies its credential, read when the entry is written.

The actor lives on the tenant session (``session.info``), so it travels with the transaction
it describes. Writers that never name one (the CLI, background jobs) fall back to the
process-wide default of :data:`fallback`.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from tenantry.core.auth import Principal

__all__ = [
    "ACTOR_KEY",
    "Actor",
    "Origin",
    "act_as",
    "actor_of",
    "actor_of_principal",
    "attribute_web_session",
    "audit_origin",
    "fallback",
]

ACTOR_KEY = "tenantry.audit.actor"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    credential: str
    request_id: str | None = None
    address: str | None = None


SYSTEM = Actor(None, "system")
fallback: ContextVar[Actor] = ContextVar("tenantry_audit_actor", default=SYSTEM)
"""The actor of sessions nobody attributed (the CLI sets ``cli``)."""


@dataclass(frozen=True)
class Origin:
    """The HTTP request being served: its id, the client's address, its method and path."""

    request_id: str | None
    address: str | None
    method: str | None = None
    path: str | None = None


_NO_ORIGIN = Origin(None, None)
audit_origin: ContextVar[Origin] = ContextVar("tenantry_audit_origin", default=_NO_ORIGIN)
"""Set by the request middleware (:mod:`tenantry.core.observability`) for each request."""


def actor_of_principal(principal: Principal) -> Actor:
    """The actor of a verified principal, from the request being served."""
    credential = principal.credential
    name = credential.kind if credential.id is None else f"{credential.kind}:{credential.id}"
    origin = audit_origin.get()
    return Actor(principal.user_id, name, origin.request_id, origin.address)


def act_as(session: AsyncSession | Session, actor: Actor) -> None:
    """Attribute every write of ``session``'s transaction to ``actor``."""
    session.info[ACTOR_KEY] = actor


def actor_of(session: Session) -> Actor:
    found = session.info.get(ACTOR_KEY)
    return found if isinstance(found, Actor) else fallback.get()


def attribute_web_session(user_id: int) -> None:
    """Attribute the rest of this request's writes to a signed-in web user (the pages open
    several sessions; each falls back to this actor)."""
    origin = audit_origin.get()
    fallback.set(Actor(user_id, "web_session", origin.request_id, origin.address))
