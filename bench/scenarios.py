"""The bench scenarios, declared as data.

A scenario is one request sent to Tenantry and its equivalent sent to the floor app
(``bench/floor.py``). Paths and bodies may use ``{tenant_id}`` and ``{user_id}``, filled from the
data set (a tenant in the middle, one of its users half-way down its list).

Credentials are a hook per scenario: ``credentials(ctx)`` returns the headers Tenantry needs
(an API key, ``X-Perscom-Id``, an OAuth token ...), ``floor_headers(ctx)`` what the floor needs
(only the tenant). A hook raises ``Unavailable`` when it cannot provision yet (a CLI command that
does not exist); a Tenantry answer of 401, 404 or 405 to the first request also marks the
scenario "not available yet" instead of failing the run. ``ctx.cache`` lets scenarios share one
credential; ``ctx.tenantry_cli(...)`` runs the ``tenantry`` command against the bench database
with the server's own environment (same data dir, so the same signing keys).

Targets (DESIGN.md §10, issue 4) are ratios: Tenantry's req/s over the floor's in the same run,
or over another Tenantry scenario's (``against=``) for the deep page.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.common import VENV_BIN
from bench.data import Dataset


class Unavailable(Exception):
    """The scenario cannot run against this build of Tenantry yet (the reason is the message)."""


@dataclass
class ProvisionContext:
    dataset: Dataset
    env: dict[str, str]
    """The environment ``tenantry serve`` runs with."""
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def tenant_id(self) -> int:
        return self.dataset.bench_tenant()

    @property
    def user_id(self) -> int:
        tenant = self.tenant_id
        return self.dataset.user_id(tenant, self.dataset.users_in_tenant(tenant) // 2)

    def variables(self) -> dict[str, Any]:
        values: dict[str, Any] = {"tenant_id": self.tenant_id, "user_id": self.user_id}
        tree = self.dataset.facts.get("percolate_scopes")
        if tree:
            values["scope_probe"] = tree["probe"]
        posts = self.dataset.facts.get("percolate_posts")
        if posts:
            values["license_probe"] = posts["license_probe"]
            values["meta_schema"] = posts["meta_schema"]
        return values

    def tenantry_cli(self, *args: str, timeout: float = 120.0) -> dict[str, Any]:
        """Run ``tenantry ARGS`` and return the JSON object it prints (the CLI contract)."""
        command = [str(VENV_BIN / "tenantry"), *args]
        try:
            done = subprocess.run(
                command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise Unavailable(f"`tenantry {' '.join(args[:2])}` timed out") from exc
        if done.returncode != 0:
            raise Unavailable(f"`tenantry {' '.join(args[:2])}` failed: {_gist(done)}")
        lines = done.stdout.strip().splitlines()
        if not lines:
            raise Unavailable(f"`tenantry {' '.join(args[:2])}` printed nothing")
        value = json.loads(lines[-1])
        if not isinstance(value, dict):
            raise Unavailable(f"`tenantry {' '.join(args[:2])}` printed {lines[-1][:80]}")
        return value


def _gist(done: subprocess.CompletedProcess[str]) -> str:
    """The message of a failed command, without the box Typer draws around usage errors."""
    text = (done.stderr or done.stdout).strip()
    lines = [line.strip(" │╭╮╰╯─") for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith(("Usage:", "Try "))]
    return " ".join(lines)[-200:] or f"exit status {done.returncode}"


Headers = dict[str, str]
HeaderHook = Callable[[ProvisionContext], Headers]


def no_credentials(_ctx: ProvisionContext) -> Headers:
    return {}


def perscom_api_key(ctx: ProvisionContext) -> Headers:
    """A PERSCOM API key of the bench tenant with read scopes, created once per run."""
    if "perscom_key" not in ctx.cache:
        try:
            created = ctx.tenantry_cli(
                "apikey",
                "create",
                "--tenant",
                str(ctx.tenant_id),
                "--name",
                "bench",
                "--scopes",
                "view:user,view:rank,view:awardrecord,view:rankrecord,view:award,"
                "view:newsfeed,view:group,view:unit,view:position,view:specialty,view:status",
            )
        except Unavailable as exc:
            ctx.cache["perscom_key"] = exc
        else:
            ctx.cache["perscom_key"] = str(created["token"])
    key = ctx.cache["perscom_key"]
    if isinstance(key, Unavailable):
        raise key
    return {
        "Authorization": f"Bearer {key}",
        "X-Perscom-Id": str(ctx.tenant_id),
        "Accept": "application/json",
    }


def percolate_token(ctx: ProvisionContext) -> Headers:
    """An OAuth access token of the bench tenant's admin (its first user), via the CLI."""
    if "percolate_token" not in ctx.cache:
        try:
            if "percolate_scopes" not in ctx.dataset.facts:
                raise Unavailable("the data set has no Percolate scope tree (migration 0005)")
            admin = ctx.dataset.user_id(ctx.tenant_id, 0)
            client = ctx.tenantry_cli(
                "oauth-client",
                "create",
                "--tenant",
                str(ctx.tenant_id),
                "--name",
                "bench",
                "--redirect-uri",
                "http://127.0.0.1/callback",
            )
            token = ctx.tenantry_cli(
                "token",
                "create",
                "--tenant",
                str(ctx.tenant_id),
                "--user",
                str(admin),
                "--client",
                str(client["client_id"]),
            )
        except Unavailable as exc:
            ctx.cache["percolate_token"] = exc
        else:
            ctx.cache["percolate_token"] = str(token["access_token"])
    token_or_error = ctx.cache["percolate_token"]
    if isinstance(token_or_error, Unavailable):
        raise token_or_error
    return {"Authorization": f"Bearer {token_or_error}", "Accept": "application/json"}


def percolate_posts_token(ctx: ProvisionContext) -> Headers:
    """The admin's token, once the data set has posts (migration 0007 and the posts step)."""
    if "percolate_posts" not in ctx.dataset.facts:
        raise Unavailable("the data set has no Percolate posts (migration 0007)")
    return percolate_token(ctx)


def perscom_tenant_header(ctx: ProvisionContext) -> Headers:
    return {"X-Perscom-Id": str(ctx.tenant_id), "Accept": "application/json"}


@dataclass(frozen=True)
class Target:
    """Met when ``tenantry req/s >= min_ratio x baseline req/s`` (and the p99 bound holds)."""

    min_ratio: float
    against: str | None = None
    """None: the floor of the same scenario; else another scenario's Tenantry figure."""
    max_p99_ratio: float | None = None
    """Tenantry p99 at most this many times the floor's."""

    def describe(self) -> str:
        baseline = f"Tenantry `{self.against}`" if self.against else "floor"
        text = f"req/s >= {self.min_ratio:.2f}x {baseline}"
        if self.max_p99_ratio is not None:
            text += f", p99 <= {self.max_p99_ratio:g}x floor"
        return text


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    method: str
    path: str
    floor_path: str
    credentials: HeaderHook = no_credentials
    floor_headers: HeaderHook = no_credentials
    body: Any = None
    """JSON body (sent to both sides), or None."""
    target: Target | None = None

    def render(self, template: str, ctx: ProvisionContext) -> str:
        """Fill ``{tenant_id}`` and ``{user_id}`` (plain replacement: JSON braces stay)."""
        for name, value in ctx.variables().items():
            template = template.replace("{" + name + "}", str(value))
        return template

    def body_bytes(self, ctx: ProvisionContext) -> bytes | None:
        if self.body is None:
            return None
        return self.render(json.dumps(self.body), ctx).encode()


# A 3-filter search over fields the PERSCOM users declaration filters on (its default whitelist:
# every output field); all three are core ``users`` columns, so the face's LEFT JOIN to the
# profile is in the FROM but no filter needs it.
SEARCH_BODY = {
    "filters": [
        {"field": "name", "operator": "like", "value": "%son%"},
        {"field": "created_at", "operator": ">=", "value": "2021-01-01T00:00:00Z"},
        {"field": "updated_at", "operator": "<", "value": "2024-06-01T00:00:00Z"},
    ]
}

SCENARIOS: list[Scenario] = [
    Scenario(
        name="healthz",
        title="GET /healthz (no database)",
        method="GET",
        path="/healthz",
        floor_path="/healthz",
    ),
    Scenario(
        name="readyz",
        title="GET /readyz (database ping + migration head check)",
        method="GET",
        path="/readyz",
        floor_path="/readyz",
    ),
    Scenario(
        name="users-list",
        title="PERSCOM GET /v1/users?limit=15&include=rank (first page + total)",
        method="GET",
        path="/v1/users?limit=15&include=rank",
        floor_path="/v1/users?limit=15&include=rank",
        credentials=perscom_api_key,
        floor_headers=perscom_tenant_header,
        target=Target(0.60, max_p99_ratio=2.0),
    ),
    Scenario(
        name="users-show",
        title="PERSCOM GET /v1/users/{id} (one row)",
        method="GET",
        path="/v1/users/{user_id}",
        floor_path="/v1/users/{user_id}",
        credentials=perscom_api_key,
        floor_headers=perscom_tenant_header,
        target=Target(0.50),
    ),
    Scenario(
        name="users-deep-page",
        title="PERSCOM GET /v1/users?limit=15&include=rank&page=600 (offset 8 985)",
        method="GET",
        path="/v1/users?limit=15&include=rank&page=600",
        floor_path="/v1/users?limit=15&include=rank&page=600",
        credentials=perscom_api_key,
        floor_headers=perscom_tenant_header,
        target=Target(0.70, against="users-list"),
    ),
    Scenario(
        name="users-search",
        title="PERSCOM POST /v1/users/search (3 filters, first page + total)",
        method="POST",
        path="/v1/users/search?limit=15",
        floor_path="/v1/users/search?limit=15",
        credentials=perscom_api_key,
        floor_headers=perscom_tenant_header,
        body=SEARCH_BODY,
        target=Target(0.40),
    ),
    Scenario(
        name="records-list",
        title="PERSCOM GET /v1/users/{id}/award-records?include=award (a user's award records)",
        method="GET",
        path="/v1/users/{user_id}/award-records?include=award",
        floor_path="/v1/users/{user_id}/award-records?include=award",
        credentials=perscom_api_key,
        floor_headers=perscom_tenant_header,
        target=Target(0.50),
    ),
    Scenario(
        name="records-user",
        title="PERSCOM GET /v1/users/{id}?include=rank_records,award_records.award",
        method="GET",
        path="/v1/users/{user_id}?include=rank_records,award_records.award",
        floor_path="/v1/users/{user_id}?include=rank_records,award_records.award",
        credentials=perscom_api_key,
        floor_headers=perscom_tenant_header,
        target=Target(0.50),
    ),
    Scenario(
        name="newsfeed",
        title="PERSCOM GET /v1/newsfeed (newest first, authors, recipients and likes)",
        method="GET",
        path="/v1/newsfeed",
        floor_path="/v1/newsfeed",
        credentials=perscom_api_key,
        floor_headers=perscom_tenant_header,
        target=Target(0.40),
    ),
    Scenario(
        name="roster-automatic",
        title="PERSCOM GET /v1/roster?type=automatic (groups, units, every member with rank)",
        method="GET",
        path="/v1/roster?type=automatic",
        floor_path="/v1/roster?type=automatic",
        credentials=perscom_api_key,
        floor_headers=perscom_tenant_header,
        target=Target(0.40),
    ),
    Scenario(
        name="user-roles-scope-tree",
        title=(
            "Percolate GET /api/v5/user_role/?scope_ids=…&extend_scopes=true&limit=100"
            " (100 k grants in a 7-level scope tree, first page + total)"
        ),
        method="GET",
        path="/api/v5/user_role/?scope_ids=license_group:{scope_probe}&extend_scopes=true&limit=100",
        floor_path="/api/v5/user_role/?scope_ids={scope_probe}&limit=100",
        credentials=percolate_token,
        floor_headers=perscom_tenant_header,
        target=Target(0.60),
    ),
    Scenario(
        name="posts-list",
        title=(
            "Percolate GET /api/v5/post/?scope_ids=…&statuses=queued,live&limit=100"
            "&include=channel_id (1 M posts over 324 licenses, first page + total)"
        ),
        method="GET",
        path=(
            "/api/v5/post/?scope_ids=license:{license_probe}&statuses=queued,live&limit=100"
            "&include=channel_id"
        ),
        floor_path=(
            "/api/v5/post/?scope_ids={license_probe}&statuses=queued,live&limit=100"
            "&include=channel_id"
        ),
        credentials=percolate_posts_token,
        floor_headers=perscom_tenant_header,
        target=Target(0.60),
    ),
    Scenario(
        name="posts-metadata",
        title=(
            "Percolate GET /api/v5/post/?scope_ids=…&metadata.schema:N.launch.from=…"
            "&metadata.schema:N.launch.to=…&limit=100 (one license's posts whose metadata"
            " launch date falls in March 2022)"
        ),
        method="GET",
        path=(
            "/api/v5/post/?scope_ids=license:{license_probe}"
            "&metadata.schema:{meta_schema}.launch.from=2022-03-01"
            "&metadata.schema:{meta_schema}.launch.to=2022-04-01&limit=100"
        ),
        floor_path=(
            "/api/v5/post/?scope_ids={license_probe}"
            "&metadata.schema:{meta_schema}.launch.from=2022-03-01"
            "&metadata.schema:{meta_schema}.launch.to=2022-04-01&limit=100"
        ),
        credentials=percolate_posts_token,
        floor_headers=perscom_tenant_header,
        target=Target(0.60),
    ),
]

SERVER_ENV_EXTRA: dict[str, str] = {
    "TENANTRY_PERSCOM_KEY_RATE": "100000000/minute",
    "TENANTRY_PERSCOM_IP_RATE": "100000000/minute",
    "TENANTRY_PERCOLATE_TOKEN_RATE": "100000000/minute",
}
"""Extra environment for ``tenantry serve`` in the bench. PERSCOM limits an API key to 1000
requests a minute and an address to 100 (``tenantry.perscom.gate.PerscomSettings``); wrk sends
thousands a second from one key and one address, so both are lifted here (the harness flags any
non-2xx answer as an invalid run)."""


def by_name(names: list[str] | None) -> list[Scenario]:
    if not names:
        return list(SCENARIOS)
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names]
