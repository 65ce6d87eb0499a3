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

from bench.common import ROOT, VENV_BIN
from bench.data import Dataset

SPREAD = 50
"""How many tenants and credentials a scenario's load is spread over (wrk picks per request)."""


class Unavailable(Exception):
    """The scenario cannot run against this build of Tenantry yet (the reason is the message)."""


@dataclass(frozen=True)
class Slot:
    """One request of a spread: the tenant it reads, a user of that tenant, its credential."""

    index: int
    tenant_id: int
    user_id: int
    spread: str = "tenants"


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

    def slots(self, spread: str) -> list[Slot]:
        """The requests a scenario's load cycles through.

        ``tenants``: ``SPREAD`` tenants (every other one, from the bench tenant on, so the
        bench tenant is among them), each read with its own credential and its own user
        half-way down its list. ``credentials``: the bench tenant only (the data the scenario
        reads exists there alone: Percolate's tree and posts, PERSCOM's records, roster and
        newsfeed) but ``SPREAD`` distinct credentials and users. ``single``: one request (no
        tenant, no credential).
        """
        if spread == "single":
            return [Slot(0, self.tenant_id, self.user_id, spread)]
        if spread == "credentials":
            users = self.dataset.users_in_tenant(self.tenant_id)
            return [
                Slot(
                    i,
                    self.tenant_id,
                    self.dataset.user_id(self.tenant_id, (users // 2 + 7 * i) % users),
                    spread,
                )
                for i in range(SPREAD)
            ]
        if spread != "tenants":
            raise ValueError(f"unknown spread {spread!r}")
        ids = self.dataset.tenant_ids
        count = min(SPREAD, len(ids))
        step = max(1, len(ids) // count)
        middle = ids.index(self.tenant_id)
        picked: list[int] = []
        for i in range(len(ids)):
            tenant = ids[(middle + i * step) % len(ids)]
            if tenant not in picked:
                picked.append(tenant)
            if len(picked) == count:
                break
        return [
            Slot(i, t, self.dataset.user_id(t, self.dataset.users_in_tenant(t) // 2), spread)
            for i, t in enumerate(picked)
        ]

    def variables(self, slot: Slot | None = None) -> dict[str, Any]:
        values: dict[str, Any] = {
            "tenant_id": self.tenant_id if slot is None else slot.tenant_id,
            "user_id": self.user_id if slot is None else slot.user_id,
        }
        tree = self.dataset.facts.get("percolate_scopes")
        if tree:
            values["scope_probe"] = tree["probe"]
        posts = self.dataset.facts.get("percolate_posts")
        if posts:
            values["license_probe"] = posts["license_probe"]
            values["meta_schema"] = posts["meta_schema"]
            # Posts spread over the whole set, one per slot (ids are consecutive).
            index = 0 if slot is None else slot.index
            stride = int(posts["count"]) // SPREAD
            values["post_id"] = int(posts["id_base"]) + index * stride + stride // 2
        return values

    def provision(self, *args: str, timeout: float = 600.0) -> list[str]:
        """Many credentials in one process (``bench/provision.py``, the CLI's functions)."""
        command = [str(VENV_BIN / "python"), "-m", "bench.provision", *args]
        try:
            done = subprocess.run(
                command,
                env=self.env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise Unavailable(f"provisioning {args[0]} timed out") from exc
        if done.returncode != 0:
            raise Unavailable(f"provisioning {args[0]} failed: {_gist(done)}")
        lines = done.stdout.strip().splitlines()
        if not lines:
            raise Unavailable(f"provisioning {args[0]} printed nothing")
        return [str(c) for c in json.loads(lines[-1])["credentials"]]

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
HeaderHook = Callable[[ProvisionContext, Slot], Headers]


def no_credentials(_ctx: ProvisionContext, _slot: Slot) -> Headers:
    return {}


PERSCOM_SCOPES = (
    "view:user,view:rank,view:awardrecord,view:rankrecord,view:award,"
    "view:newsfeed,view:group,view:unit,view:position,view:specialty,view:status"
)


def _provisioned(
    ctx: ProvisionContext, name: str, make: Callable[[], list[str]], index: int
) -> str:
    """The ``index``-th credential of kind ``name``, made once per run (errors are kept too,
    so a missing CLI command is reported once, not fifty times)."""
    if name not in ctx.cache:
        try:
            ctx.cache[name] = make()
        except Unavailable as exc:
            ctx.cache[name] = exc
    made = ctx.cache[name]
    if isinstance(made, Unavailable):
        raise made
    return str(made[index % len(made)])


def _perscom_keys(ctx: ProvisionContext, spread: str) -> list[str]:
    """One read-scoped API key per slot of the spread, in its slot's tenant."""
    tenants = ",".join(str(slot.tenant_id) for slot in ctx.slots(spread))
    return ctx.provision("perscom-keys", "--tenants", tenants, "--scopes", PERSCOM_SCOPES)


def perscom_api_key(ctx: ProvisionContext, slot: Slot) -> Headers:
    """The slot tenant's own PERSCOM API key (read scopes), with its ``X-Perscom-Id``."""
    key = _provisioned(
        ctx, f"perscom_keys_{slot.spread}", lambda: _perscom_keys(ctx, slot.spread), slot.index
    )
    return {
        "Authorization": f"Bearer {key}",
        "X-Perscom-Id": str(slot.tenant_id),
        "Accept": "application/json",
    }


def _percolate_tokens(ctx: ProvisionContext) -> list[str]:
    """``SPREAD`` OAuth access tokens of the bench tenant's admin (its first user), each
    through its own client (one live token per user and client)."""
    if "percolate_scopes" not in ctx.dataset.facts:
        raise Unavailable("the data set has no Percolate scope tree (migration 0005)")
    admin = ctx.dataset.user_id(ctx.tenant_id, 0)
    return ctx.provision(
        "percolate-tokens", "--tenant", str(ctx.tenant_id), "--user", str(admin),
        "--count", str(SPREAD),
    )  # fmt: skip


def percolate_token(ctx: ProvisionContext, slot: Slot) -> Headers:
    """One of the admin's access tokens (a distinct credential per slot)."""
    token = _provisioned(ctx, "percolate_tokens", lambda: _percolate_tokens(ctx), slot.index)
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def percolate_posts_token(ctx: ProvisionContext, slot: Slot) -> Headers:
    """The admin's tokens, once the data set has posts (migration 0007 and the posts step)."""
    if "percolate_posts" not in ctx.dataset.facts:
        raise Unavailable("the data set has no Percolate posts (migration 0007)")
    return percolate_token(ctx, slot)


def perscom_tenant_header(_ctx: ProvisionContext, slot: Slot) -> Headers:
    return {"X-Perscom-Id": str(slot.tenant_id), "Accept": "application/json"}


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
    spread: str = "tenants"
    """What the load cycles through (:meth:`ProvisionContext.slots`): ``tenants``,
    ``credentials`` (data in the bench tenant only) or ``single``."""

    def render(self, template: str, ctx: ProvisionContext, slot: Slot | None = None) -> str:
        """Fill ``{tenant_id}``, ``{user_id}``... (plain replacement: JSON braces stay)."""
        for name, value in ctx.variables(slot).items():
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
        spread="single",
    ),
    Scenario(
        name="readyz",
        title="GET /readyz (database ping + migration head check)",
        method="GET",
        path="/readyz",
        floor_path="/readyz",
        spread="single",
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
        spread="credentials",
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
        spread="credentials",
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
        spread="credentials",
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
        spread="credentials",
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
        spread="credentials",
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
        spread="credentials",
        target=Target(0.60),
    ),
    Scenario(
        name="post-show",
        title="Percolate GET /api/v5/post/{id}?include=schema_id (one post and its schema)",
        method="GET",
        path="/api/v5/post/post:{post_id}?include=schema_id",
        floor_path="/api/v5/post/post:{post_id}?include=schema_id",
        credentials=percolate_posts_token,
        floor_headers=perscom_tenant_header,
        target=Target(0.50),
        spread="credentials",
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
        spread="credentials",
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
