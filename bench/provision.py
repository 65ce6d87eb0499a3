"""``python -m bench.provision``: many credentials in one process, for a spread load.

A spread scenario needs fifty credentials; fifty ``tenantry`` CLI calls cost fifty interpreter
starts (minutes on a busy machine). This runs the same functions the CLI commands run
(``tenantry apikey create``, ``oauth-client create``, ``token create``) in one process with
one engine, under the environment it is given (the server's: same database, same signing
keys), and prints one JSON line: ``{"credentials": [...]}`` in the order asked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.console import with_sessions
from tenantry.percolate.oauth.cli import create_oauth_client, create_token
from tenantry.perscom.cli import create_api_key
from tenantry.settings import Settings, load_settings


async def perscom_keys(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], tenants: list[int], scopes: str
) -> list[str]:
    """One API key per tenant (``apikey create --tenant T --scopes ...``)."""
    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    tokens = []
    for tenant in tenants:
        created = await create_api_key(
            settings,
            sessions,
            tenant_id=tenant,
            name="bench",
            scopes=wanted,
            user_id=None,
            expires_in_days=None,
            algorithm="RS256",
        )
        tokens.append(str(created["token"]))
    return tokens


async def percolate_tokens(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tenant: int,
    user: int,
    count: int,
) -> list[str]:
    """``count`` access tokens of ``user``, each through its own client (a user holds one
    live token per client: a new one supersedes the last)."""
    tokens = []
    for index in range(count):
        client = await create_oauth_client(
            settings,
            sessions,
            tenant_id=tenant,
            name=f"bench {index}",
            redirect_uri="http://127.0.0.1/callback",
        )
        token = await create_token(
            settings, sessions, tenant_id=tenant, user_id=user, client_id=client["client_id"]
        )
        tokens.append(str(token["access_token"]))
    return tokens


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.provision")
    kinds = parser.add_subparsers(dest="kind", required=True)
    keys = kinds.add_parser("perscom-keys")
    keys.add_argument("--tenants", required=True, help="comma-separated tenant ids")
    keys.add_argument("--scopes", required=True)
    tokens = kinds.add_parser("percolate-tokens")
    tokens.add_argument("--tenant", type=int, required=True)
    tokens.add_argument("--user", type=int, required=True)
    tokens.add_argument("--count", type=int, required=True)
    args = parser.parse_args(argv)
    settings = load_settings()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
        if args.kind == "perscom-keys":
            tenants = [int(t) for t in args.tenants.split(",") if t]
            return await perscom_keys(settings, sessions, tenants, args.scopes)
        return await percolate_tokens(settings, sessions, args.tenant, args.user, args.count)

    made: list[Any] = asyncio.run(with_sessions(settings, work))
    sys.stdout.write(json.dumps({"credentials": made}) + "\n")


if __name__ == "__main__":
    main()
