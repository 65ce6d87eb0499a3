"""The post status machine (reference §3.9.1): every pair of statuses, for every kind of user.

The expected outcomes are written out here as the seed states them, independently of the
tables in ``lifecycle.py``, so a change to those tables that the seed does not allow fails.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import product

import pytest

from tenantry.core.errors import Conflict, Forbidden, ValidationFailed
from tenantry.percolate.post.lifecycle import (
    ApprovalEffect,
    PostStatus,
    PublisherEffect,
    SystemActor,
    TransitionPlan,
    expand_status_filter,
    is_due,
    on_approved,
    parse_status,
    plan_system_transition,
    plan_transition,
    url_settable,
)

S = PostStatus
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=3)
EARLIER = NOW - timedelta(hours=3)

# Anyone who may edit the post.
BY_ANYONE = {
    (None, S.DRAFT),
    (None, S.APPROVALS_QUEUED),
    (None, S.APPROVALS_DRAFT),
    (S.DRAFT, S.APPROVALS_QUEUED),
    (S.DRAFT, S.APPROVALS_DRAFT),
    (S.APPROVALS_QUEUED, S.APPROVALS_DRAFT),
    (S.APPROVALS_DRAFT, S.APPROVALS_QUEUED),
    (S.APPROVALS_QUEUED, S.DRAFT),
    (S.APPROVALS_DRAFT, S.DRAFT),
    (S.QUEUED, S.DRAFT),
    (S.QUEUED, S.QUEUED_PAUSED),
    (S.QUEUED_PAUSED, S.DRAFT),
    (S.QUEUED_ERROR, S.DRAFT),
    (S.UNPUBLISHED, S.DRAFT),
}
# Only with post:publish: queueing (bypassing approvals), going live, unpublishing.
BY_PUBLISHERS = {
    (None, S.QUEUED),
    (None, S.LIVE),
    (S.DRAFT, S.QUEUED),
    (S.DRAFT, S.LIVE),
    (S.APPROVALS_QUEUED, S.QUEUED),
    (S.APPROVALS_DRAFT, S.QUEUED),
    (S.APPROVALS_QUEUED, S.LIVE),
    (S.APPROVALS_DRAFT, S.LIVE),
    (S.QUEUED, S.LIVE),
    (S.QUEUED_PAUSED, S.QUEUED),
    (S.QUEUED_PAUSED, S.LIVE),
    (S.QUEUED_ERROR, S.QUEUED),
    (S.QUEUED_ERROR, S.LIVE),
    (S.QUEUED_PUBLISHED, S.LIVE),
    (S.LIVE, S.UNPUBLISHED),
    (S.UNPUBLISHED, S.QUEUED),
    (S.UNPUBLISHED, S.LIVE),
}
# The publisher's own moves: a post:publish holder on a custom channel may make them.
BY_INTEGRATIONS = {
    (S.QUEUED, S.QUEUED_PUBLISHING),
    (S.QUEUED_PUBLISHING, S.QUEUED_PUBLISHED),
    (S.QUEUED_PUBLISHING, S.QUEUED_ERROR),
    (S.LIVE, S.QUEUED_UNPUBLISHING),
    (S.QUEUED_UNPUBLISHING, S.UNPUBLISHED),
    (S.QUEUED_UNPUBLISHING, S.LIVE),
}

ALL_PAIRS = [
    (current, requested)
    for current, requested in product([None, *PostStatus], PostStatus)
    if current != requested
]


def plan(
    current: PostStatus | None,
    requested: PostStatus | None,
    *,
    can_publish: bool = True,
    has_approval_group: bool = True,
    live_at: datetime | None = None,
    via_integration: bool = False,
    has_url: bool = True,
) -> TransitionPlan:
    return plan_transition(
        current,
        requested,
        can_publish=can_publish,
        has_approval_group=has_approval_group,
        live_at=live_at,
        now=NOW,
        via_integration=via_integration,
        has_url=has_url,
    )


def test_the_oracle_covers_distinct_pairs() -> None:
    assert not BY_ANYONE & BY_PUBLISHERS
    assert not (BY_ANYONE | BY_PUBLISHERS) & BY_INTEGRATIONS
    assert len(ALL_PAIRS) == 12 * 11 - 11  # (creation + 11 statuses) x 11 targets, no no-ops


def test_the_status_list_is_the_seeds() -> None:
    assert [s.value for s in PostStatus] == [
        "draft",
        "approvals.queued",
        "approvals.draft",
        "queued",
        "queued.paused",
        "queued.publishing",
        "queued.published",
        "queued.error",
        "queued.unpublishing",
        "live",
        "unpublished",
    ]


@pytest.mark.parametrize("via_integration", [False, True], ids=["native", "custom"])
@pytest.mark.parametrize("can_publish", [False, True], ids=["no-publish", "publish"])
@pytest.mark.parametrize(("current", "requested"), ALL_PAIRS, ids=str)
def test_every_transition(
    current: PostStatus | None,
    requested: PostStatus,
    can_publish: bool,
    via_integration: bool,
) -> None:
    pair = (current, requested)
    attempt = partial(
        plan, current, requested, can_publish=can_publish, via_integration=via_integration
    )
    if pair in BY_ANYONE:
        assert attempt().requested == requested
    elif pair in BY_PUBLISHERS or (pair in BY_INTEGRATIONS and via_integration):
        if can_publish:
            assert attempt().requested == requested
        else:
            with pytest.raises(Forbidden) as refused:
                attempt()
            assert refused.value.errors[0].key == "status"
    else:
        with pytest.raises(Conflict) as conflict:
            attempt()
        assert conflict.value.status == 409
        assert conflict.value.errors[0].key == "status"
        assert conflict.value.errors[0].value == requested.value


@pytest.mark.parametrize("status", list(PostStatus), ids=str)
@pytest.mark.parametrize("can_publish", [False, True])
def test_keeping_the_status_is_always_allowed(status: PostStatus, can_publish: bool) -> None:
    result = plan_transition(
        status, status, can_publish=can_publish, has_approval_group=False, live_at=None, now=NOW
    )
    assert (result.status, result.changed, result.approval) == (
        status,
        False,
        ApprovalEffect.NONE,
    )
    omitted = plan_transition(
        status, None, can_publish=can_publish, has_approval_group=False, live_at=None, now=NOW
    )
    assert (omitted.status, omitted.changed) == (status, False)


def test_a_new_post_is_a_draft_by_default() -> None:
    created = plan(None, None, can_publish=False)
    assert (created.previous, created.status, created.effect) == (
        None,
        S.DRAFT,
        PublisherEffect.NONE,
    )


@pytest.mark.parametrize("target", [S.APPROVALS_QUEUED, S.APPROVALS_DRAFT])
@pytest.mark.parametrize("current", [None, S.DRAFT])
def test_entering_approvals_needs_an_approval_group(
    current: PostStatus | None, target: PostStatus
) -> None:
    with pytest.raises(ValidationFailed) as missing:
        plan(current, target, has_approval_group=False)
    assert missing.value.errors[0].key == "approval_group_id"
    started = plan(current, target, can_publish=False)
    assert started.approval is ApprovalEffect.START


@pytest.mark.parametrize(
    ("current", "target", "effect"),
    [
        (S.APPROVALS_QUEUED, S.DRAFT, ApprovalEffect.CLOSE),
        (S.APPROVALS_DRAFT, S.QUEUED, ApprovalEffect.CLOSE),
        (S.APPROVALS_QUEUED, S.APPROVALS_DRAFT, ApprovalEffect.NONE),
        (S.QUEUED, S.DRAFT, ApprovalEffect.NONE),
    ],
)
def test_leaving_approvals_closes_the_workflow(
    current: PostStatus, target: PostStatus, effect: ApprovalEffect
) -> None:
    assert plan(current, target).approval is effect


def test_approval_moves_the_post_on() -> None:
    queued = on_approved(S.APPROVALS_QUEUED, live_at=None, now=NOW)
    assert (queued.status, queued.effect, queued.publish_at, queued.approval) == (
        S.QUEUED,
        PublisherEffect.PUBLISH,
        NOW,
        ApprovalEffect.CLOSE,
    )
    back = on_approved(S.APPROVALS_DRAFT, live_at=LATER, now=NOW)
    assert (back.status, back.effect, back.publish_at) == (S.DRAFT, PublisherEffect.NONE, None)
    with pytest.raises(Conflict):
        on_approved(S.DRAFT, live_at=None, now=NOW)


class TestLiveAt:
    def test_going_live_without_live_at_means_now(self) -> None:
        assert plan(S.QUEUED, S.LIVE).live_at == NOW
        assert plan(None, S.LIVE).live_at == NOW

    def test_going_live_keeps_a_given_live_at(self) -> None:
        assert plan(S.DRAFT, S.LIVE, live_at=EARLIER).live_at == EARLIER

    def test_null_live_at_elsewhere_means_as_soon_as_possible(self) -> None:
        queued = plan(S.DRAFT, S.QUEUED)
        assert (queued.live_at, queued.publish_at) == (None, NOW)
        assert plan(S.QUEUED, S.DRAFT).live_at is None

    def test_a_queued_post_publishes_at_live_at_or_now_if_past(self) -> None:
        assert plan(S.DRAFT, S.QUEUED, live_at=LATER).publish_at == LATER
        assert plan(S.DRAFT, S.QUEUED, live_at=EARLIER).publish_at == NOW
        assert plan(S.QUEUED, S.DRAFT, live_at=LATER).publish_at is None

    def test_a_naive_live_at_is_refused(self) -> None:
        with pytest.raises(ValidationFailed) as naive:
            plan(S.DRAFT, S.QUEUED, live_at=datetime(2026, 12, 1, 9, 0))
        assert naive.value.errors[0].key == "live_at"

    def test_is_due_only_when_queued_and_live_at_passed(self) -> None:
        assert is_due(S.QUEUED, None, NOW)
        assert is_due(S.QUEUED, EARLIER, NOW)
        assert is_due(S.QUEUED, NOW, NOW)
        assert not is_due(S.QUEUED, LATER, NOW)
        assert not is_due(S.QUEUED_PAUSED, None, NOW)
        assert not is_due(S.DRAFT, EARLIER, NOW)


class TestEffects:
    def test_queueing_asks_for_a_publication(self) -> None:
        assert plan(S.DRAFT, S.QUEUED).effect is PublisherEffect.PUBLISH
        # A PUT that keeps a queued post queued (a new live_at, say) asks again: idempotent.
        assert plan(S.QUEUED, S.QUEUED, live_at=LATER).effect is PublisherEffect.PUBLISH

    def test_pausing_asks_the_publisher_to_hold(self) -> None:
        assert plan(S.QUEUED, S.QUEUED_PAUSED).effect is PublisherEffect.PAUSE
        assert plan(S.QUEUED_PAUSED, S.QUEUED_PAUSED).effect is PublisherEffect.NONE

    def test_unpublishing_is_carried_out_by_the_publisher(self) -> None:
        result = plan(S.LIVE, S.UNPUBLISHED)
        assert (result.requested, result.status, result.effect) == (
            S.UNPUBLISHED,
            S.QUEUED_UNPUBLISHING,
            PublisherEffect.UNPUBLISH,
        )

    def test_an_integration_acting_as_publisher_triggers_nothing(self) -> None:
        result = plan(S.QUEUED, S.QUEUED_PUBLISHING, via_integration=True)
        assert (result.status, result.effect) == (
            S.QUEUED_PUBLISHING,
            PublisherEffect.NONE,
        )


class TestUrl:
    @pytest.mark.parametrize("current", [None, S.DRAFT, S.QUEUED, S.QUEUED_PUBLISHED])
    def test_going_live_on_a_native_channel_needs_a_url(self, current: PostStatus | None) -> None:
        with pytest.raises(ValidationFailed) as missing:
            plan(current, S.LIVE, has_url=False)
        assert missing.value.errors[0].key == "url"

    def test_a_custom_channel_goes_live_without_url(self) -> None:
        assert (
            plan(S.QUEUED_PUBLISHED, S.LIVE, has_url=False, via_integration=True).status is S.LIVE
        )

    def test_url_is_settable_only_when_live_or_published(self) -> None:
        assert {s for s in PostStatus if url_settable(s)} == {S.LIVE, S.QUEUED_PUBLISHED}


def test_the_wordpress_walk_on_a_custom_channel() -> None:
    """draft → queued → queued.publishing → queued.published → live, PUT by PUT, no url."""
    status: PostStatus = S.DRAFT
    for target in (S.QUEUED, S.QUEUED_PUBLISHING, S.QUEUED_PUBLISHED, S.LIVE):
        step = plan_transition(
            status,
            target,
            can_publish=True,
            has_approval_group=False,
            live_at=EARLIER if target is S.LIVE else None,
            now=NOW,
            via_integration=True,
        )
        assert step.status is target
        status = step.status
    assert step.live_at == EARLIER


def test_the_walk_is_refused_without_post_publish_or_off_custom_channels() -> None:
    with pytest.raises(Forbidden):
        plan(S.QUEUED, S.QUEUED_PUBLISHING, can_publish=False, via_integration=True)
    with pytest.raises(Conflict):
        plan(S.QUEUED, S.QUEUED_PUBLISHING, can_publish=True, via_integration=False)


class TestSystemTransitions:
    @pytest.mark.parametrize(
        ("current", "target"),
        sorted(BY_INTEGRATIONS | {(S.QUEUED_PUBLISHED, S.LIVE)}, key=str),
        ids=str,
    )
    def test_the_publisher_walk(self, current: PostStatus, target: PostStatus) -> None:
        result = plan_system_transition(
            current, target, actor=SystemActor.PUBLISHER, live_at=None, now=NOW
        )
        assert result.status is target

    @pytest.mark.parametrize(
        ("current", "target"),
        [
            (S.QUEUED_PAUSED, S.QUEUED_PUBLISHING),  # the user paused it meanwhile
            (S.DRAFT, S.QUEUED_PUBLISHING),
            (S.QUEUED_PUBLISHING, S.QUEUED_PUBLISHING),
            (S.QUEUED, S.LIVE),
            (S.APPROVALS_QUEUED, S.QUEUED),
        ],
        ids=str,
    )
    def test_the_publisher_cannot_overrule_a_user(
        self, current: PostStatus, target: PostStatus
    ) -> None:
        with pytest.raises(Conflict):
            plan_system_transition(
                current, target, actor=SystemActor.PUBLISHER, live_at=None, now=NOW
            )

    def test_the_approval_actor_only_approves(self) -> None:
        with pytest.raises(Conflict):
            plan_system_transition(
                S.QUEUED, S.QUEUED_PUBLISHING, actor=SystemActor.APPROVAL, live_at=None, now=NOW
            )


class TestStatusFilter:
    def test_wildcards_expand_in_life_cycle_order(self) -> None:
        assert expand_status_filter(["live", "queued.*"]) == (
            S.QUEUED,
            S.QUEUED_PAUSED,
            S.QUEUED_PUBLISHING,
            S.QUEUED_PUBLISHED,
            S.QUEUED_ERROR,
            S.QUEUED_UNPUBLISHING,
            S.LIVE,
        )
        assert expand_status_filter(["approvals.*"]) == (S.APPROVALS_QUEUED, S.APPROVALS_DRAFT)

    def test_duplicates_and_blanks_are_dropped(self) -> None:
        assert expand_status_filter(["draft", " draft", "", "queued", "queued"]) == (
            S.DRAFT,
            S.QUEUED,
        )

    @pytest.mark.parametrize("bad", ["approvals", "live.*", "*", "queued.", "QUEUED", "post"])
    def test_unknown_values_are_a_400_naming_the_filter(self, bad: str) -> None:
        with pytest.raises(ValidationFailed) as refused:
            expand_status_filter(["draft", bad])
        assert (refused.value.errors[0].key, refused.value.errors[0].value) == ("statuses", bad)


@pytest.mark.parametrize("bad", ["approvals", "Live", "", 3, None])
def test_parse_status_refuses_unknown_values(bad: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_status(bad)
    assert refused.value.errors[0].key == "status"


def test_a_naive_clock_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        plan_transition(
            S.DRAFT,
            S.QUEUED,
            can_publish=True,
            has_approval_group=False,
            live_at=None,
            now=datetime(2026, 1, 1),
        )
