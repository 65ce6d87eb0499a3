"""Collect what a tenant transaction changes, and write its one entry before it commits.

Writes reach the database two ways and both are seen here: ORM flushes (``after_flush``
reads each object's attribute history) and Core ``insert``/``update``/``delete`` statements
on the session's connection (``before_execute`` reads the rows an update or delete will
touch, ``after_execute`` reads them again). ``before_commit`` flushes what is pending, then
hands the changes to :func:`tenantry.core.audit.chain.append` in the same transaction, so a
change and its entry commit or roll back together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, event, inspect, select, tuple_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.dml import Delete, Insert, Update, UpdateBase

from tenantry.core.audit.actor import Origin, actor_of, audit_origin
from tenantry.core.audit.redact import REDACTED, audited_table, is_noise, is_secret
from tenantry.core.audit.values import jsonable
from tenantry.core.base import TenantScoped
from tenantry.core.tenancy import TENANT_KEY

__all__ = ["CHANGED_KEY", "Change", "entry_of", "note"]

_BUFFER = "tenantry.audit.buffer"
CHANGED_KEY = "tenantry.changed"
"""Set in ``session.info`` when the committing transaction changed audited tenant data
(caches of that tenant's derived state, such as verified credentials, then let go)."""


@dataclass
class Change:
    """One row changed: its table, id, action and ``{column: [before, after]}``."""

    table: str
    key: str | None
    action: str
    changes: dict[str, list[Any]]

    def as_related(self) -> dict[str, Any]:
        return {
            "resource_type": self.table,
            "resource_id": self.key,
            "action": self.action,
            "changes": self.changes,
        }


@dataclass
class _Buffer:
    session: Session
    changes: list[Change] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    pending: dict[int, tuple[Table, list[dict[str, Any]]]] = field(default_factory=dict)

    @property
    def tenant_id(self) -> int | None:
        value = self.session.info.get(TENANT_KEY)
        return value if isinstance(value, int) else None


def _diff(column: str, before: Any, after: Any) -> tuple[str, list[Any]] | None:
    if is_noise(column) or before == after:
        return None
    if is_secret(column):
        return column, [REDACTED if before is not None else None, REDACTED if after else None]
    return column, [jsonable(before), jsonable(after)]


def _diffs(columns: list[str], before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    found = (_diff(column, before.get(column), after.get(column)) for column in columns)
    return dict(pair for pair in found if pair is not None)


def _key_of(table: Table, row: dict[str, Any]) -> str | None:
    """The row's id as the log names it: ``id``, else the other key columns joined by ``:``."""
    if "id" in table.c and row.get("id") is not None:
        return str(row["id"])
    parts = [str(row.get(c.name)) for c in table.primary_key.columns if c.name != "tenant_id"]
    return ":".join(parts) or None


def _buffer_of(session: Session) -> _Buffer:
    buffer = session.info.get(_BUFFER)
    if not isinstance(buffer, _Buffer):
        buffer = _Buffer(session)
        session.info[_BUFFER] = buffer
    return buffer


def note(
    session: Session, table: str, key: str, action: str, changes: dict[str, list[Any]]
) -> None:
    """Record an action whose only writes are to tables the log leaves out (a replayed
    webhook delivery is a queued job): somebody did it, so the transaction's entry names it."""
    if session.info.get(TENANT_KEY) is not None:
        changes = {column: [jsonable(a), jsonable(b)] for column, (a, b) in changes.items()}
        _buffer_of(session).changes.append(Change(table, key, action, changes))


# -- ORM writes ----------------------------------------------------------------------------


def _row_of(obj: Any) -> tuple[Table, dict[str, Any], dict[str, Any]] | None:
    """The object's table, its values before this flush and after (loaded columns only)."""
    state = inspect(obj)
    mapper = state.mapper
    table = mapper.local_table
    if not isinstance(table, Table) or not audited_table(table.name):
        return None
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if not isinstance(column.table, Table) or column.table is not table:
            continue
        history = state.attrs[prop.key].history
        if history.added or history.deleted:
            before[column.name] = history.deleted[0] if history.deleted else None
            after[column.name] = history.added[0] if history.added else None
        elif history.unchanged:
            before[column.name] = after[column.name] = history.unchanged[0]
    return table, before, after


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get(TENANT_KEY) is None:
        return
    buffer = _buffer_of(session)
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, TenantScoped):
                continue
            if action == "update" and not session.is_modified(obj):
                continue
            found = _row_of(obj)
            if found is None:
                continue
            table, before, after = found
            columns = list(after)
            if action == "create":
                before = {}
            elif action == "delete":
                after = {}
            changes = _diffs(columns, before, after)
            if changes or action != "update":
                key = _key_of(table, after or before)
                buffer.changes.append(Change(table.name, key, action, changes))


# -- Core statements -----------------------------------------------------------------------


def _audited_target(buffer: _Buffer | None, statement: Any) -> Table | None:
    if buffer is None or buffer.session._flushing or buffer.tenant_id is None:
        return None
    if not isinstance(statement, UpdateBase):
        return None
    table = getattr(statement, "table", None)
    table = getattr(table, "__clause_element__", lambda: table)()
    if not isinstance(table, Table) or "tenant_id" not in table.c:
        return None
    return table if audited_table(table.name) else None


def _rows(conn: Connection, table: Table, where: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(select(table).where(where)).mappings()]


@event.listens_for(Engine, "before_execute")
def _before_execute(
    conn: Connection, statement: Any, multiparams: Any, params: Any, _options: Any
) -> None:
    buffer = conn.info.get(_BUFFER)
    table = _audited_target(buffer, statement)
    if buffer is None or table is None or not isinstance(statement, Update | Delete):
        return
    where = table.c.tenant_id == buffer.tenant_id
    if statement.whereclause is not None:
        where = and_(where, statement.whereclause)
    buffer.pending[id(statement)] = (table, _rows(conn, table, where))


def _inserted(conn: Connection, statement: Insert, multiparams: Any, params: Any) -> list[Any]:
    compiled = dict(statement.compile(dialect=conn.dialect).params)
    given: list[dict[str, Any]] = []
    for item in multiparams or ():
        if isinstance(item, dict):
            given.append(item)
        elif isinstance(item, list | tuple):
            given.extend(entry for entry in item if isinstance(entry, dict))
    if params:
        given.append(dict(params))
    return [{**compiled, **entry} for entry in given] or [compiled]


@event.listens_for(Engine, "after_execute")
def _after_execute(
    conn: Connection,
    statement: Any,
    multiparams: Any,
    params: Any,
    _options: Any,
    _result: Any,
) -> None:
    buffer = conn.info.get(_BUFFER)
    table = _audited_target(buffer, statement)
    if buffer is None or table is None:
        return
    columns = [column.name for column in table.c]
    if isinstance(statement, Insert):
        for values in _inserted(conn, statement, multiparams, params):
            row = {column: values.get(column) for column in columns if column in values}
            changes = _diffs(columns, {}, row)
            buffer.changes.append(Change(table.name, _key_of(table, row), "create", changes))
        return
    table, before_rows = buffer.pending.pop(id(statement), (table, []))
    if not before_rows:
        return
    if isinstance(statement, Delete):
        for row in before_rows:
            changes = _diffs(columns, row, {})
            buffer.changes.append(Change(table.name, _key_of(table, row), "delete", changes))
        return
    keys = [c for c in table.primary_key.columns]
    wanted = [tuple(row[c.name] for c in keys) for row in before_rows]
    after_rows = {
        tuple(row[c.name] for c in keys): row
        for row in _rows(conn, table, tuple_(*keys).in_(wanted))
    }
    for key, before in zip(wanted, before_rows, strict=True):
        after = after_rows.get(key, {})
        changes = _diffs(columns, before, after)
        if changes:
            buffer.changes.append(Change(table.name, _key_of(table, before), "update", changes))


# -- the transaction -----------------------------------------------------------------------


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    buffer = _buffer_of(session)
    connection.info[_BUFFER] = buffer
    buffer.connections.append(connection)


_PATH_ID = re.compile(r"\d+")


def _named_by_request(changes: list[Change], origin: Origin) -> Change | None:
    """The changed row whose id the request's path names (``PUT /v1/ranks/12``, ``PUT
    /api/v5/post/post:7``), the last id in the path first."""
    if origin.method not in ("PUT", "PATCH") or not origin.path:
        return None
    for number in reversed(_PATH_ID.findall(origin.path)):
        for change in changes:
            if change.key == number and change.action != "create":
                return change
    return None


def _main(changes: list[Change], origin: Origin) -> Change:
    """The row the transaction was about: for a DELETE request the last row deleted (children
    and links go first); for PUT or PATCH the row the path names; else the first row created;
    else the last deleted; else the first updated."""
    deleted = [change for change in changes if change.action == "delete"]
    if origin.method == "DELETE" and deleted:
        return deleted[-1]
    named = _named_by_request(changes, origin)
    if named is not None:
        return named
    for change in changes:
        if change.action == "create":
            return change
    for change in reversed(changes):
        if change.action == "delete":
            return change
    return changes[0]


def entry_of(changes: list[Change], origin: Origin | None = None) -> dict[str, Any]:
    main = _main(changes, origin or audit_origin.get())
    return {
        "action": main.action,
        "resource_type": main.table,
        "resource_id": main.key,
        "changes": main.changes,
        "related": [change.as_related() for change in changes if change is not main],
    }


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    from tenantry.core.audit.chain import append
    from tenantry.core.audit.retention import schedule_prune

    tenant_id = session.info.get(TENANT_KEY)
    if not isinstance(tenant_id, int):
        return
    session.flush()
    buffer = _buffer_of(session)
    if not buffer.changes:
        return
    fields = entry_of(buffer.changes)
    buffer.changes = []
    session.info[CHANGED_KEY] = True
    connection = session.connection()
    append(connection, tenant_id, actor_of(session), fields)
    days = connection.get_execution_options().get("tenantry_audit_retention_days")
    if isinstance(days, int) and days > 0:
        schedule_prune(connection, tenant_id, days)


def _forget(session: Session) -> None:
    buffer = session.info.pop(_BUFFER, None)
    if isinstance(buffer, _Buffer):
        for connection in buffer.connections:
            if connection.info.get(_BUFFER) is buffer:
                del connection.info[_BUFFER]


event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_rollback", _forget)
