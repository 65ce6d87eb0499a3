"""Starting an import: the caller updates users account-wide and can read the CSV asset;
the rows are applied by a job."""

from __future__ import annotations

from tenantry.core.jobs import enqueue
from tenantry.percolate.api.context import V5Context, forbidden
from tenantry.percolate.api.ids import invalid
from tenantry.percolate.asset.service import visible_asset
from tenantry.percolate.role.user_role_import.bodies import UserRoleImportCreate
from tenantry.percolate.role.user_role_import.jobs import IMPORT_JOB
from tenantry.percolate.role.user_role_import.models import UserRoleImport


async def create_import(ctx: V5Context, body: UserRoleImportCreate) -> int:
    await ctx.require("user:update", None, "asset_id", body.asset_id)
    asset = await visible_asset(ctx, int(body.asset_id.split(":")[1]))
    if asset.deleted:
        raise forbidden("asset_id", body.asset_id, "asset")
    account = None
    if body.account_id is not None:
        account = int(body.account_id.split(":")[1])
        if account != ctx.tenant_id:
            raise forbidden("account_id", body.account_id, "account")
    if asset.content_type not in ("text/csv", "text/plain", "application/vnd.ms-excel"):
        raise invalid("asset_id", "The asset is not a CSV file.", body.asset_id)
    run = UserRoleImport(
        tenant_id=ctx.tenant_id, asset_id=asset.id, account_id=account, creator_id=ctx.user_id
    )
    ctx.session.add(run)
    await ctx.session.flush()
    await enqueue(ctx.session, IMPORT_JOB, {"import_id": run.id}, tenant_id=ctx.tenant_id)
    return run.id
