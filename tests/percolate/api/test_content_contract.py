"""schemathesis over every content operation of the Percolate spec: generated requests from a
desk's administrator never get a 5xx, and every answer matches the spec (status, content
type, body).

The run itself is tests/contract.py's, on a fresh app. The desk is stocked with one object
of every kind first; about half the generated path ids, and the ids a body refers to, are
swapped for those real objects so the run reaches rows and the rules behind them, not only
400s and 403s. Deletes run last so the rows survive for the other operations.

New content operations (any ``/api/v5/`` path outside the organisation resources, which
test_contract.py covers) join the run by themselves.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from tests.contract import check_contract
from tests.percolate.support.desks import Desk
from tests.percolate.support.stock import HOOK_URL, SECRET, Stock, stock

from tenantry import percolate
from tenantry.app import create_app
from tenantry.settings import Settings
from tenantry.web.face import WebFace

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("TENANTRY_CONTENT_SCHEMATHESIS_EXAMPLES", "30"))
ORGANISATION = {"user", "role", "scope", "term", "platform", "channel", "user_role", "me", "spec"}
"""First path segments of the organisation operations (test_contract.py covers them)."""


def is_content(path: str) -> bool:
    """A content operation: not an organisation one, except a channel's publisher."""
    if not path.startswith("/api/v5/"):
        return False
    first = path.removeprefix("/api/v5/").split("/")[0]
    return first not in ORGANISATION or path.endswith("/publisher")


def known_ids(desk: Desk, made: Stock) -> dict[str, list[str]]:
    """Real ids by the path parameter or body key that takes them."""
    return {
        "schema_id": [made.schema, f"{made.schema}_1", made.meta_schema],
        "post_id": [made.post],
        "metadata_id": [made.metadata],
        "comment_id": [made.comment],
        "parent_comment_id": [made.comment],
        "webhook_id": [made.webhook],
        "postwebhook_id": [made.postwebhook],
        "delivery_id": [made.delivery],
        "channel_id": [made.channel, desk.native_channel],
        "object_id": [made.post, made.channel],
        "copy_from_id": [made.post],
        "scope_id": [desk.license, desk.account.wire],
        "assignee_id": [desk.admin.wire],
    }


def fills(desk: Desk, made: Stock) -> dict[str, dict[str, Any]]:
    """Valid parts of a body by operation, laid over half the generated bodies so creates and
    updates get past validation to the rules behind it."""
    hook = {"url": HOOK_URL, "secret": SECRET}
    return {
        "POST /api/v5/post/": {
            "scope_id": desk.license,
            "channel_id": made.channel,
            "schema_id": made.schema,
            "ext": {"message": "Generated", "tags": [made.term]},
        },
        "PUT /api/v5/post/{post_id}": {"ext": {"message": "Changed", "count": 2}},
        "POST /api/v5/metadata/": {
            "object_id": made.channel,
            "schema_id": made.meta_schema,
            "ext": {"budget": 1},
        },
        "PUT /api/v5/metadata/{metadata_id}": {"ext": {"budget": 2}},
        "POST /api/v5/comment/": {"object_id": made.post},
        "POST /api/v5/webhook/": hook,
        "PUT /api/v5/webhook/{webhook_id}": hook,
        "PUT /api/v5/channel/{channel_id}/publisher": hook,
        "POST /api/v5/postwebhook/": {"post_id": made.post, "webhook_id": made.webhook},
    }


def _swap(values: dict[str, Any] | None, known: dict[str, list[str]]) -> None:
    """Replace about half the ids in ``values`` with real ones (deterministically)."""
    for name, value in list((values or {}).items()):
        choices = known.get(name)
        if choices and isinstance(value, str) and len(value) % 2 == 0:
            assert values is not None
            values[name] = choices[len(value) // 2 % len(choices)]


def _last_for_deletes(operation: Any) -> tuple[bool, bool]:
    """Deletes after everything else; a post's or webhook's last (theirs cascade)."""
    delete = operation.method.upper() == "DELETE"
    parent = operation.path in {"/api/v5/post/{post_id}", "/api/v5/webhook/{webhook_id}"}
    return delete, delete and parent


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_schemathesis_finds_no_failures_in_the_content_operations(
    settings: Settings, api: httpx.AsyncClient, desk: Desk
) -> None:
    made = await stock(api, desk)
    known = known_ids(desk, made)
    private = settings.model_copy(update={"allow_private_webhooks": True})
    app = create_app(private, faces=[WebFace(), percolate.face])
    filled = fills(desk, made)

    def prepare(operation: Any, case: Any) -> None:
        """Real ids for about half the generated ones, valid body parts over half the bodies."""
        _swap(case.path_parameters, known)
        if isinstance(case.body, dict):
            _swap(case.body, known)
            fill = filled.get(operation.label)
            if fill is not None and len(case.body) % 2 == 0:
                case.body.update(fill)

    statuses = await check_contract(
        app,
        "/api/v5/spec.json",
        headers=desk.admin.headers,
        examples=EXAMPLES,
        include=lambda operation: is_content(operation.path),
        order=_last_for_deletes,
        prepare=prepare,
    )
    # The run reached real rows: reads and writes that succeeded, not only refusals.
    assert statuses[200] > 20, statuses
    assert statuses[201] + statuses[204] > 3, statuses


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        # PostUpdate.platform_id was `Literal[None] | str` with a pattern: pydantic raised a
        # TypeError for null (a 500) instead of treating it as "not given".
        ("PUT", "/api/v5/post/{post}", {"platform_id": None}),
    ],
)
async def test_inputs_schemathesis_found_are_answered_without_a_500(
    api: httpx.AsyncClient, desk: Desk, method: str, path: str, body: dict[str, Any]
) -> None:
    made = await stock(api, desk)
    response = await api.request(
        method, path.format(post=made.post), json=body, headers=desk.admin.headers
    )
    assert response.status_code < 500, response.text
