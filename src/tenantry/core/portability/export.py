"""``tenantry tenant export``: one tenant's rows and files into an archive, streamed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tenantry.core import migrate as migrations
from tenantry.core.base import Base, utcnow
from tenantry.core.db import create_engine
from tenantry.core.portability.archive import FORMAT, FORMAT_VERSION, ArchiveWriter
from tenantry.core.portability.catalogue import SECRET_COLUMNS, TENANT_COLUMN, tenant_tables
from tenantry.core.portability.codec import encode, encoders, python_type
from tenantry.core.portability.errors import PortabilityError
from tenantry.core.portability.progress import Silent, Tracker
from tenantry.core.portability.rewrite import IdMap, storage_keys
from tenantry.core.storage import StorageKeyNotFound, open_storage
from tenantry.core.tenancy import RLS_SETTING, Tenant
from tenantry.settings import Settings

BATCH = 2000
_TEXTUAL = (str, dict, list, None)
"""Column value types that may hold a storage key (in text or deep in JSON)."""


async def _enter(connection: AsyncConnection, tenant_id: int) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": RLS_SETTING, "value": str(tenant_id)},
        )


async def _export_table(
    connection: AsyncConnection,
    writer: ArchiveWriter,
    table: Table,
    tenant_id: int,
    expected: int,
    ids: IdMap,
    keys: set[str],
    tracker: Tracker,
) -> int:
    """Stream one table's rows into its member; returns how many were written. Cells are
    encoded and searched for storage keys only in the columns whose type can need it."""
    sink = writer.open_table()
    if expected:
        secret = SECRET_COLUMNS.get(table.name, frozenset())
        names = [str(column.name) for column in table.columns]
        needs = encoders(table)
        coded = [(i, needs[name]) for i, name in enumerate(names) if name in needs]
        blanked = [i for i, name in enumerate(names) if name in secret]
        textual = [
            i
            for i, column in enumerate(table.columns)
            if python_type(column.type) in _TEXTUAL and column.name not in secret
        ]
        query = (
            select(table)
            .where(table.c[TENANT_COLUMN] == tenant_id)
            .order_by(*table.primary_key.columns)
        )
        result = await connection.stream(query.execution_options(yield_per=BATCH))
        async for batch in result.partitions(BATCH):
            records = []
            for row in batch:
                values = list(row)
                for i in blanked:
                    values[i] = None
                for i, convert in coded:
                    if values[i] is not None:
                        values[i] = convert(values[i])
                for i in textual:
                    value = values[i]
                    if isinstance(value, list | dict) or (isinstance(value, str) and "/" in value):
                        keys.update(storage_keys(value, ids))
                records.append(dict(zip(names, values, strict=True)))
            sink.write_many(records)
            tracker.advance(len(records))
    return sink.close(table.name)


async def export_tenant(
    settings: Settings, tenant_id: int, output: Path, tracker: Tracker | None = None
) -> dict[str, Any]:
    """Write tenant ``tenant_id`` to ``output``; returns the manifest's summary. Every
    table mapped on ``Base.metadata`` travels, so the caller (the CLI) imports every face's
    models first."""
    tracker = tracker or Silent()
    tables = tenant_tables(Base.metadata)
    engine = create_engine(settings)
    storage = open_storage(settings)
    writer = ArchiveWriter(output)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                tenant = (
                    (
                        await connection.execute(
                            select(Tenant.__table__).where(Tenant.id == tenant_id)
                        )
                    )
                    .mappings()
                    .first()
                )
                if tenant is None:
                    raise PortabilityError(f"no tenant with id {tenant_id}")
                await _enter(connection, tenant_id)
                counts: dict[str, int] = {}
                for table in tables:
                    counts[str(table.name)] = (
                        await connection.scalar(
                            select(func.count())
                            .select_from(table)
                            .where(table.c[TENANT_COLUMN] == tenant_id)
                        )
                        or 0
                    )
                tracker.start("rows", sum(counts.values()))
                ids = IdMap(tenant_id, tenant_id)
                keys: set[str] = set()
                for table in tables:
                    counts[str(table.name)] = await _export_table(
                        connection,
                        writer,
                        table,
                        tenant_id,
                        counts[str(table.name)],
                        ids,
                        keys,
                        tracker,
                    )
        files: dict[str, dict[str, Any]] = {}
        tracker.start("files", len(keys))
        for key in sorted(keys):
            try:
                stored = await storage.stat(key)
            except StorageKeyNotFound:
                tracker.advance()
                continue
            entry = await writer.file(key, storage.stream(key))
            files[key] = {"content_type": stored.content_type, "size": entry["size"]}
            tracker.advance()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_revision": migrations.head_revision(settings),
            "exported_at": utcnow().isoformat(),
            "tenant": {str(name): encode(value) for name, value in tenant.items()},
            "tables": counts,
            "files": files,
        }
        writer.finish(manifest)
    except BaseException:
        writer.abort()
        raise
    finally:
        await storage.close()
        await engine.dispose()
    return {
        "tenant_id": tenant_id,
        "output": str(output),
        "rows": sum(counts.values()),
        "tables": len(counts),
        "files": len(files),
    }
