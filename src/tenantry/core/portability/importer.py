"""``tenantry tenant import``: an archive restored as a new tenant, all or nothing.

Two passes over the archive's tables: the first gives every row a fresh id from this
installation's allocator, the second writes the rows with every reference rewritten
(:mod:`.rewrite`). Everything happens in one transaction; files are stored under their new
keys first and deleted again if anything after fails, so a failed import leaves nothing.
Once committed, the tables written are analyzed (:mod:`tenantry.core.analyze`).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from tenantry.core import migrate as migrations
from tenantry.core.analyze import Analyzer
from tenantry.core.base import Base
from tenantry.core.db import create_engine
from tenantry.core.ids import allocate_ids
from tenantry.core.portability.archive import ArchiveReader
from tenantry.core.portability.catalogue import TENANT_COLUMN, TablePlan, plan, tenant_tables
from tenantry.core.portability.codec import decode_row, decoders
from tenantry.core.portability.errors import PortabilityError
from tenantry.core.portability.export import _enter
from tenantry.core.portability.progress import Silent, Tracker
from tenantry.core.portability.rewrite import IdMap, rewrite_row
from tenantry.core.storage import Storage, open_storage
from tenantry.settings import Settings

BATCH = 5000
TENANTS: Table = Base.metadata.tables["tenants"]


def check_revision(settings: Settings, revision: object) -> None:
    """Refuse an archive whose schema this installation does not know (a newer one)."""
    head = migrations.head_revision(settings)
    if revision == head:
        return
    script = ScriptDirectory.from_config(migrations.alembic_config(settings))
    try:
        known = isinstance(revision, str) and script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise PortabilityError(
            f"the archive is from a newer schema (revision {revision!r}; this installation is "
            f"at {head!r}): upgrade tenantry before importing it"
        )


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(rows, size)):
        yield batch


async def _allocate(connection: AsyncConnection, count: int) -> list[int]:
    return await connection.run_sync(lambda sync: allocate_ids(sync, count))


async def _unclaimed(
    connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows of a table keyed across tenants (a short link's public code) whose key this
    installation has not handed out yet: a code keeps pointing where it first did, so a second
    copy of a tenant keeps its links but not their codes."""
    (key,) = table.primary_key.columns
    taken = set(
        await connection.scalars(select(key).where(key.in_([row[key.name] for row in rows])))
    )
    return [row for row in rows if row[key.name] not in taken]


class _Import:
    def __init__(self, archive: ArchiveReader, storage: Storage, tracker: Tracker) -> None:
        self.archive = archive
        self.storage = storage
        self.tracker = tracker
        self.counts: dict[str, int] = archive.manifest.get("tables", {})
        self.stored: list[str] = []

    def _tables(self) -> list[TablePlan]:
        known = {table.name: table for table in tenant_tables(Base.metadata)}
        unknown = sorted(set(self.counts) - set(known))
        if unknown:
            raise PortabilityError(
                f"the archive holds tables this installation does not have: {', '.join(unknown)}"
            )
        return [plan(table) for name, table in known.items() if name in self.counts]

    async def run(self, connection: AsyncConnection, name: str | None) -> tuple[int, IdMap]:
        source = self.archive.manifest["tenant"]
        (new_tenant,) = await _allocate(connection, 1)
        tenant_row = decode_row(dict(source), decoders(TENANTS))
        tenant_row["id"] = new_tenant
        if name:
            tenant_row["name"] = name
        known_columns = set(TENANTS.c.keys())
        await connection.execute(
            insert(TENANTS),
            [{key: value for key, value in tenant_row.items() if key in known_columns}],
        )
        await _enter(connection, new_tenant)
        ids = IdMap(int(source["id"]), new_tenant)
        plans = self._tables()
        total = sum(self.counts.values())
        self.tracker.start("ids", total)
        for table_plan in plans:
            if "id" not in table_plan.table.c:
                self.tracker.advance(self.counts[table_plan.name])
                continue
            for batch in _batches(self.archive.rows(table_plan.name), BATCH):
                fresh = await _allocate(connection, len(batch))
                for row, new in zip(batch, fresh, strict=True):
                    ids.add(row["id"], new)
                self.tracker.advance(len(batch))
        await self._files(ids)
        self.tracker.start("rows", total)
        for table_plan in plans:
            await self._copy(connection, table_plan, ids)
        return new_tenant, ids

    async def _copy(self, connection: AsyncConnection, table_plan: TablePlan, ids: IdMap) -> None:
        table: Table = table_plan.table
        decode = decoders(table)
        columns = set(table.c.keys())
        later: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for batch in _batches(self.archive.rows(table_plan.name), BATCH):
            rows = []
            for archived in batch:
                row = decode_row(rewrite_row(table_plan, archived, ids), decode)
                row = {key: value for key, value in row.items() if key in columns}
                deferred = {
                    key: row[key] for key in table_plan.self_references if row.get(key) is not None
                }
                if deferred:
                    later.append(
                        (
                            {column.name: row[column.name] for column in table.primary_key.columns},
                            deferred,
                        )
                    )
                    row.update(dict.fromkeys(deferred))
                rows.append(row)
            if TENANT_COLUMN not in table.primary_key.columns:
                rows = await _unclaimed(connection, table, rows)
            if rows:
                await connection.execute(insert(table), rows)
            self.tracker.advance(len(batch))
        # Setting a row's own parent is not an edit: keep what onupdate would stamp.
        kept = {column.name: column for column in table.columns if column.onupdate is not None}
        for key, values in later:
            values.update({name: column for name, column in kept.items() if name not in values})
            await connection.execute(
                update(table)
                .where(and_(*(table.c[name] == value for name, value in key.items())))
                .values(values)
            )

    async def _files(self, ids: IdMap) -> None:
        files: dict[str, dict[str, Any]] = self.archive.manifest.get("files", {})
        self.tracker.start("files", len(files))
        for key, entry in files.items():
            new_key = ids.segments(key)

            async def chunks(key: str = key) -> Any:
                for chunk in self.archive.file_chunks(key):
                    yield chunk

            self.stored.append(new_key)
            await self.storage.put(
                new_key, chunks(), entry.get("content_type") or "application/octet-stream"
            )
            self.tracker.advance()

    def written(self) -> list[str]:
        """The tables the import added rows to, and the tenants table."""
        return [TENANTS.name, *(name for name, count in self.counts.items() if count)]

    async def undo_files(self) -> None:
        for key in self.stored:
            await self.storage.delete(key)


async def _analyze(settings: Settings, tables: list[str]) -> None:
    """A restored tenant is a bulk load: statistics now, not when autoanalyze gets there."""
    analyzer = Analyzer(settings)
    try:
        await analyzer.analyze(tables)
    finally:
        await analyzer.close()


async def import_tenant(
    settings: Settings, path: Path, *, name: str | None = None, tracker: Tracker | None = None
) -> dict[str, Any]:
    """Restore the archive at ``path`` as a new tenant; returns its id and what was copied
    (the caller imports every face's models first, as for the export)."""
    archive = ArchiveReader(path)
    try:
        check_revision(settings, archive.manifest.get("schema_revision"))
        archive.verify()
        engine = create_engine(settings)
        storage = open_storage(settings)
        job = _Import(archive, storage, tracker or Silent())
        try:
            async with engine.begin() as connection:
                new_tenant, ids = await job.run(connection, name)
            await _analyze(settings, job.written())
        except IntegrityError as exc:
            await job.undo_files()
            detail = str(exc.orig).splitlines()[0][:200] if exc.orig else str(exc)[:200]
            raise PortabilityError(
                f"the archive's rows conflict with this installation: {detail}"
            ) from exc
        except BaseException:
            await job.undo_files()
            raise
        finally:
            await storage.close()
            await engine.dispose()
    finally:
        archive.close()
    return {
        "tenant_id": new_tenant,
        "source_tenant_id": ids.old_tenant,
        "rows": sum(job.counts.values()),
        "files": len(job.stored),
    }
