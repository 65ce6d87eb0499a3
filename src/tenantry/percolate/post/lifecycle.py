"""The post status life cycle of Percolate (reference §3.9.1) as one explicit state machine.

Three actors move a post. A *user* sets ``status`` in a POST or PUT; the *approval workflow*
moves an approved post on; the *publisher* (the background job that delivers a post to its
channel) walks it through ``queued.publishing`` to ``live`` and back out through
``queued.unpublishing``. Each actor has a table of allowed transitions below; a pair that is
in no table is refused with 409 (``Conflict``) and the post stays as it is. A pair that is
allowed only with ``post:publish`` is refused with 403 (``Forbidden``) for a user without it.

On a channel of a custom platform a ``post:publish`` holder may also act as that channel's
publisher, which is how Percolate's WordPress plugin walks ``draft → queued →
queued.publishing → queued.published → live`` with successive PUTs and no ``url``.

Everything here is a pure function of its arguments: the service loads the post, asks for a
:class:`TransitionPlan`, and applies it (status, ``live_at``, publisher and approval effects)
in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from tenantry.core.errors import Conflict, FieldError, Forbidden, ValidationFailed

__all__ = [
    "APPROVAL_TRANSITIONS",
    "PUBLISHER_TRANSITIONS",
    "STATUS_FAMILIES",
    "USER_TRANSITIONS",
    "ApprovalEffect",
    "PostStatus",
    "PublisherEffect",
    "Rule",
    "SystemActor",
    "TransitionPlan",
    "expand_status_filter",
    "is_due",
    "on_approved",
    "on_rejected",
    "parse_status",
    "plan_system_transition",
    "plan_transition",
    "url_settable",
]


class PostStatus(StrEnum):
    """Every status a post can have, in the order of the seed's list."""

    DRAFT = "draft"
    APPROVALS_QUEUED = "approvals.queued"
    APPROVALS_DRAFT = "approvals.draft"
    QUEUED = "queued"
    QUEUED_PAUSED = "queued.paused"
    QUEUED_PUBLISHING = "queued.publishing"
    QUEUED_PUBLISHED = "queued.published"
    QUEUED_ERROR = "queued.error"
    QUEUED_UNPUBLISHING = "queued.unpublishing"
    LIVE = "live"
    UNPUBLISHED = "unpublished"


class SystemActor(StrEnum):
    """Who, other than a user, may move a post."""

    APPROVAL = "approval"
    PUBLISHER = "publisher"


class PublisherEffect(StrEnum):
    """What the service must ask of the channel's publisher after storing the new status."""

    NONE = "none"
    PUBLISH = "publish"
    """Schedule a publication at ``plan.publish_at``; the job re-checks status and ``live_at``
    when it runs, so asking again after a reschedule is harmless."""
    UNPUBLISH = "unpublish"
    PAUSE = "pause"
    """The post must not go out; a publisher with an external queue withdraws it."""


class ApprovalEffect(StrEnum):
    """What happens to the post's approval workflow."""

    NONE = "none"
    START = "start"
    """The post enters approvals: create the workflow (``approval_group_id``)."""
    CLOSE = "close"
    """The post left approvals (reverted, bypassed or approved): end the workflow."""


STATUS_FAMILIES: Mapping[str, tuple[PostStatus, ...]] = MappingProxyType(
    {
        "queued": (
            PostStatus.QUEUED,
            PostStatus.QUEUED_PAUSED,
            PostStatus.QUEUED_PUBLISHING,
            PostStatus.QUEUED_PUBLISHED,
            PostStatus.QUEUED_ERROR,
            PostStatus.QUEUED_UNPUBLISHING,
        ),
        "approvals": (PostStatus.APPROVALS_QUEUED, PostStatus.APPROVALS_DRAFT),
    }
)
"""What a ``family.*`` list filter matches. ``queued.*`` includes ``queued`` itself: the
WordPress plugin lists ``statuses=draft,queued.*`` to find the posts it must publish."""

_APPROVALS = frozenset(STATUS_FAMILIES["approvals"])


@dataclass(frozen=True, slots=True)
class Rule:
    """One allowed transition and what it takes."""

    needs_publish: bool = False
    """Only a holder of ``post:publish`` may make it (bypassing approvals, going live)."""
    needs_approval_group: bool = False
    """Entering approvals needs a workflow: ``approval_group_id`` given now or earlier."""
    lands_in: PostStatus | None = None
    """The status actually stored when the requested one is an intent the publisher must
    carry out (a user asking for ``unpublished`` gets ``queued.unpublishing``)."""
    effect: PublisherEffect | None = None
    """Overrides the effect implied by the stored status."""


_PUBLISH = Rule(needs_publish=True)
_ANYONE = Rule()
_APPROVAL_GROUP = Rule(needs_approval_group=True)

S = PostStatus

USER_TRANSITIONS: Mapping[tuple[PostStatus | None, PostStatus], Rule] = MappingProxyType(
    {
        # Creation (no current status): draft by default, approvals with a workflow, and
        # straight to queued or live for post:publish holders (the seed's copy example).
        (None, S.DRAFT): _ANYONE,
        (None, S.APPROVALS_QUEUED): _APPROVAL_GROUP,
        (None, S.APPROVALS_DRAFT): _APPROVAL_GROUP,
        (None, S.QUEUED): _PUBLISH,
        (None, S.LIVE): _PUBLISH,
        # A draft goes to approvals, or is queued / set live by a post:publish holder.
        (S.DRAFT, S.APPROVALS_QUEUED): _APPROVAL_GROUP,
        (S.DRAFT, S.APPROVALS_DRAFT): _APPROVAL_GROUP,
        (S.DRAFT, S.QUEUED): _PUBLISH,
        (S.DRAFT, S.LIVE): _PUBLISH,
        # In approvals: change the outcome, revert to draft, or bypass with post:publish.
        (S.APPROVALS_QUEUED, S.APPROVALS_DRAFT): _ANYONE,
        (S.APPROVALS_DRAFT, S.APPROVALS_QUEUED): _ANYONE,
        (S.APPROVALS_QUEUED, S.DRAFT): _ANYONE,
        (S.APPROVALS_DRAFT, S.DRAFT): _ANYONE,
        (S.APPROVALS_QUEUED, S.QUEUED): _PUBLISH,
        (S.APPROVALS_DRAFT, S.QUEUED): _PUBLISH,
        (S.APPROVALS_QUEUED, S.LIVE): _PUBLISH,
        (S.APPROVALS_DRAFT, S.LIVE): _PUBLISH,
        # "Only a queued or queued.paused status can be changed by the user (usually back
        # to draft)". Pausing stops a publication; resuming is a decision to publish.
        (S.QUEUED, S.DRAFT): _ANYONE,
        (S.QUEUED, S.QUEUED_PAUSED): _ANYONE,
        (S.QUEUED, S.LIVE): _PUBLISH,
        (S.QUEUED_PAUSED, S.QUEUED): _PUBLISH,
        (S.QUEUED_PAUSED, S.DRAFT): _ANYONE,
        (S.QUEUED_PAUSED, S.LIVE): _PUBLISH,
        # Tenantry: a failed publication is not a dead end; it can be retried or withdrawn.
        (S.QUEUED_ERROR, S.QUEUED): _PUBLISH,
        (S.QUEUED_ERROR, S.DRAFT): _ANYONE,
        (S.QUEUED_ERROR, S.LIVE): _PUBLISH,
        # "live ... set automatically after queued.published or manually by post:publish".
        (S.QUEUED_PUBLISHED, S.LIVE): _PUBLISH,
        # Unpublishing is an intent: the publisher takes it through queued.unpublishing.
        (S.LIVE, S.UNPUBLISHED): Rule(
            needs_publish=True,
            lands_in=S.QUEUED_UNPUBLISHING,
            effect=PublisherEffect.UNPUBLISH,
        ),
        # Tenantry: an unpublished post can be edited again or published again.
        (S.UNPUBLISHED, S.DRAFT): _ANYONE,
        (S.UNPUBLISHED, S.QUEUED): _PUBLISH,
        (S.UNPUBLISHED, S.LIVE): _PUBLISH,
    }
)
"""Transitions a user may request (``None`` as the current status means creation). Any
transition into ``live`` also needs a ``url`` unless the channel is custom."""

PUBLISHER_TRANSITIONS: Mapping[tuple[PostStatus, PostStatus], Rule] = MappingProxyType(
    {
        (S.QUEUED, S.QUEUED_PUBLISHING): _PUBLISH,
        (S.QUEUED_PUBLISHING, S.QUEUED_PUBLISHED): _PUBLISH,
        (S.QUEUED_PUBLISHING, S.QUEUED_ERROR): _PUBLISH,
        (S.QUEUED_PUBLISHED, S.LIVE): _PUBLISH,
        (S.LIVE, S.QUEUED_UNPUBLISHING): _PUBLISH,
        (S.QUEUED_UNPUBLISHING, S.UNPUBLISHED): _PUBLISH,
        (S.QUEUED_UNPUBLISHING, S.LIVE): _PUBLISH,  # unpublishing failed: back to live
    }
)
"""The publisher's walk. A ``post:publish`` holder on a custom channel may make these too."""

APPROVAL_TRANSITIONS: Mapping[tuple[PostStatus, PostStatus], Rule] = MappingProxyType(
    {
        (S.APPROVALS_QUEUED, S.QUEUED): _ANYONE,
        (S.APPROVALS_DRAFT, S.DRAFT): _ANYONE,
        (S.APPROVALS_QUEUED, S.DRAFT): _ANYONE,  # Tenantry: rejected
    }
)
"""What the approval workflow does when the post is approved (or rejected: back to draft)."""

_URL_SETTABLE = frozenset({S.LIVE, S.QUEUED_PUBLISHED})


@dataclass(frozen=True, slots=True)
class TransitionPlan:
    """What the service must do: store ``status`` and ``live_at``, then apply the effects."""

    previous: PostStatus | None
    requested: PostStatus
    status: PostStatus
    live_at: datetime | None
    """The ``live_at`` to store (``now`` when going live without one; None means ASAP)."""
    publish_at: datetime | None
    """When the publisher may publish (a queued post only): ``live_at`` or now if sooner."""
    effect: PublisherEffect
    approval: ApprovalEffect

    @property
    def changed(self) -> bool:
        return self.status != self.previous


def parse_status(value: object, *, key: str = "status") -> PostStatus:
    """A status from API input; an unknown value is a 400 naming ``key``."""
    if isinstance(value, PostStatus):
        return value
    if isinstance(value, str):
        try:
            return PostStatus(value)
        except ValueError:
            pass
    raise ValidationFailed(
        message="Unknown post status.",
        errors=[
            FieldError(
                key=key,
                message=f"must be one of: {', '.join(PostStatus)}",
                value=value if isinstance(value, str | int | float | bool) else None,
            )
        ],
    )


def expand_status_filter(values: Iterable[str], *, key: str = "statuses") -> tuple[PostStatus, ...]:
    """The statuses a ``statuses`` list filter selects, wildcards (``queued.*``) expanded.

    Blank items are ignored; an unknown status or family is a 400 naming ``key``. The result
    is de-duplicated and in life-cycle order, so equal filters build equal queries.
    """
    selected: set[PostStatus] = set()
    for raw in values:
        item = raw.strip()
        if not item:
            continue
        if item.endswith(".*"):
            family = STATUS_FAMILIES.get(item[:-2])
            if family is None:
                raise _bad_filter(item, key)
            selected.update(family)
            continue
        try:
            selected.add(PostStatus(item))
        except ValueError:
            raise _bad_filter(item, key) from None
    return tuple(status for status in PostStatus if status in selected)


def _bad_filter(item: str, key: str) -> ValidationFailed:
    allowed = [*PostStatus, *(f"{family}.*" for family in STATUS_FAMILIES)]
    return ValidationFailed(
        message="Unknown post status in filter.",
        errors=[FieldError(key=key, message=f"must be among: {', '.join(allowed)}", value=item)],
    )


def url_settable(status: PostStatus) -> bool:
    """``url`` and ``xid`` "can only be set if status is live or queued.published"."""
    return status in _URL_SETTABLE


def is_due(status: PostStatus, live_at: datetime | None, now: datetime) -> bool:
    """The publisher may publish: queued, and ``live_at`` is past or null."""
    return status is PostStatus.QUEUED and (live_at is None or live_at <= now)


def plan_transition(
    current: PostStatus | str | None,
    requested: PostStatus | str | None,
    *,
    can_publish: bool,
    has_approval_group: bool,
    live_at: datetime | None,
    now: datetime,
    via_integration: bool = False,
    has_url: bool = False,
) -> TransitionPlan:
    """Plan a user's status change (``current`` None: the post is being created).

    ``requested`` None keeps the current status (a PUT without ``status``). ``live_at`` is
    the effective value after the request: the body's if it sent one, else the stored one.
    ``via_integration`` says the post's channel is of a custom platform, where a
    ``post:publish`` holder may make the publisher's moves and go live without ``url``;
    ``has_url`` says the post will have a ``url`` (needed to go live elsewhere).

    Raises ``Conflict`` for a transition no table allows, ``Forbidden`` when it needs
    ``post:publish``, ``ValidationFailed`` for a missing approval group, url or a naive
    ``live_at``.
    """
    _require_aware(now, "now")
    if live_at is not None and live_at.tzinfo is None:
        raise ValidationFailed(
            message="live_at must carry a timezone offset.",
            errors=[FieldError(key="live_at", message="must include a UTC offset")],
        )
    previous = None if current is None else parse_status(current)
    target = parse_status(requested) if requested is not None else (previous or PostStatus.DRAFT)
    if previous is not None and target == previous:
        return _plan(previous, target, target, live_at, now, None)

    rule = USER_TRANSITIONS.get((previous, target))
    acting_as_publisher = False
    if rule is None and previous is not None and (previous, target) in PUBLISHER_TRANSITIONS:
        if not via_integration:
            raise _conflict(
                previous, target, f"{target} is set by the channel's publisher, not by users"
            )
        rule = PUBLISHER_TRANSITIONS[(previous, target)]
        acting_as_publisher = True
    if rule is None:
        raise _conflict(previous, target)
    if rule.needs_publish and not can_publish:
        raise Forbidden(
            message=f"Changing the status to {target} needs the post:publish permission.",
            errors=[
                FieldError(
                    key="status", message="needs the post:publish permission", value=str(target)
                )
            ],
        )
    if rule.needs_approval_group and not has_approval_group:
        raise ValidationFailed(
            message=f"A post enters {target} through an approval workflow.",
            errors=[
                FieldError(
                    key="approval_group_id",
                    message=f"is required to set the status to {target}",
                    code="required",
                )
            ],
        )
    stored = rule.lands_in or target
    if stored is PostStatus.LIVE and not via_integration and not has_url:
        raise ValidationFailed(
            message="A post set live needs the url it was published at.",
            errors=[FieldError(key="url", message="is required to set the status to live")],
        )
    effect = PublisherEffect.NONE if acting_as_publisher else rule.effect
    return _plan(previous, target, stored, live_at, now, effect)


def plan_system_transition(
    current: PostStatus | str,
    requested: PostStatus | str,
    *,
    actor: SystemActor,
    live_at: datetime | None,
    now: datetime,
) -> TransitionPlan:
    """Plan a move by the approval workflow or the publisher.

    Anything outside the actor's table, a no-op included, is a ``Conflict``: the post moved
    since the work was scheduled (a user paused it, say), and the caller should drop the
    work rather than overwrite the user's decision.
    """
    _require_aware(now, "now")
    previous = parse_status(current)
    target = parse_status(requested)
    table = APPROVAL_TRANSITIONS if actor is SystemActor.APPROVAL else PUBLISHER_TRANSITIONS
    rule = table.get((previous, target))
    if rule is None:
        raise _conflict(previous, target, f"the {actor} cannot move a post from {previous}")
    return _plan(previous, target, rule.lands_in or target, live_at, now, rule.effect)


def on_approved(
    current: PostStatus | str, *, live_at: datetime | None, now: datetime
) -> TransitionPlan:
    """The approval workflow completed: ``approvals.queued`` → queued, ``approvals.draft`` →
    draft (a ``Conflict`` if the post is no longer in approvals)."""
    previous = parse_status(current)
    outcome = {
        PostStatus.APPROVALS_QUEUED: PostStatus.QUEUED,
        PostStatus.APPROVALS_DRAFT: PostStatus.DRAFT,
    }.get(previous)
    if outcome is None:
        raise _conflict(previous, PostStatus.QUEUED, "the post is no longer in approvals")
    return plan_system_transition(
        previous, outcome, actor=SystemActor.APPROVAL, live_at=live_at, now=now
    )


def on_rejected(
    current: PostStatus | str, *, live_at: datetime | None, now: datetime
) -> TransitionPlan:
    """The approval workflow was rejected (a Tenantry addition): the post goes back to
    ``draft`` for its author to rework (a ``Conflict`` if it is no longer in approvals)."""
    previous = parse_status(current)
    if previous not in _APPROVALS:
        raise _conflict(previous, PostStatus.DRAFT, "the post is no longer in approvals")
    return plan_system_transition(
        previous, PostStatus.DRAFT, actor=SystemActor.APPROVAL, live_at=live_at, now=now
    )


def _plan(
    previous: PostStatus | None,
    requested: PostStatus,
    status: PostStatus,
    live_at: datetime | None,
    now: datetime,
    effect: PublisherEffect | None,
) -> TransitionPlan:
    # "If null and status is live, live_at will be the current time. In all other cases
    # null indicates that the post should go live ASAP."
    if live_at is None and status is PostStatus.LIVE:
        live_at = now
    publish_at = None
    if status is PostStatus.QUEUED:
        publish_at = live_at if live_at is not None and live_at > now else now
    if effect is None:
        effect = {
            PostStatus.QUEUED: PublisherEffect.PUBLISH,
            PostStatus.QUEUED_PAUSED: PublisherEffect.PAUSE,
        }.get(status, PublisherEffect.NONE)
        if status == previous and effect is PublisherEffect.PAUSE:
            effect = PublisherEffect.NONE  # already paused: nothing to tell anyone
    was_in, now_in = previous in _APPROVALS, status in _APPROVALS
    approval = (
        ApprovalEffect.START
        if now_in and not was_in
        else ApprovalEffect.CLOSE
        if was_in and not now_in
        else ApprovalEffect.NONE
    )
    return TransitionPlan(
        previous=previous,
        requested=requested,
        status=status,
        live_at=live_at,
        publish_at=publish_at,
        effect=effect,
        approval=approval,
    )


def _conflict(
    previous: PostStatus | None, target: PostStatus, reason: str | None = None
) -> Conflict:
    origin = "a new post" if previous is None else str(previous)
    message = reason or f"a post cannot go from {origin} to {target}"
    return Conflict(
        message=f"Illegal status change: {message}.",
        errors=[
            FieldError(key="status", message=message, value=str(target), code="illegal_transition")
        ],
    )


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
