"""Running Core statements: through SQLAlchemy, or straight through asyncpg for reads.

Every query is a Core ``select()`` built by the engine (most of them once, at start-up).
Writes and everything on SQLite execute them through SQLAlchemy. Reads on PostgreSQL run
the compiled SQL text on the pooled asyncpg connection itself: SQLAlchemy's per-statement
execution costs about three times the database round trip on this hardware, and a read
needs none of what it adds (no ORM, no type coercion that asyncpg does not already do).
The SQL text of the statements prepared at start-up (:meth:`StatementTexts.prepare`) or
marked :func:`fixed` at import is compiled once and reused; a statement built per request is
compiled once per shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

E = TypeVar("E", bound=Executable)


def mapping(row: Any) -> Mapping[str, Any]:
    """Name access to a row, whichever driver produced it (SQLAlchemy ``Row`` or ``Record``)."""
    if isinstance(row, Row):
        return cast("Mapping[str, Any]", row._mapping)
    return cast("Mapping[str, Any]", row)


class Database(Protocol):
    """What the engine's read code needs from a connection."""

    async def rows(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any]: ...

    async def first(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Any | None: ...

    async def scalar(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Any: ...

    async def mappings(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> list[Mapping[str, Any]]:
        """Rows by column name, JSON columns decoded (whichever driver ran them)."""
        ...


class AlchemyDatabase:
    """Statements through SQLAlchemy (writes, SQLite): on a connection, or on a tenant ORM
    session, where pending changes are flushed first and the tenant criteria apply."""

    def __init__(self, conn: AsyncConnection | AsyncSession) -> None:
        self.conn = conn

    @property
    def dialect(self) -> str:
        bind = self.conn.get_bind() if isinstance(self.conn, AsyncSession) else self.conn
        return str(bind.dialect.name)

    async def rows(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        return (await self.conn.execute(statement, dict(params or {}))).all()

    async def first(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Any | None:
        return (await self.conn.execute(statement, dict(params or {}))).first()

    async def scalar(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.conn.execute(statement, dict(params or {}))).scalar()

    async def mappings(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> list[Mapping[str, Any]]:
        result = await self.conn.execute(statement, dict(params or {}))
        return cast("list[Mapping[str, Any]]", result.mappings().all())


class CompiledText:
    """One statement as asyncpg SQL: text, parameter order, fixed values, converters."""

    __slots__ = ("converters", "fixed", "order", "sql")

    def __init__(
        self,
        sql: str,
        order: Sequence[str],
        fixed: Mapping[str, Any],
        processors: Mapping[str, Any],
    ) -> None:
        self.sql = sql
        self.order = tuple(order)
        self.fixed = dict(fixed)
        self.converters: dict[str, Any] = {
            name: processors[name] for name in self.order if name in processors
        }

    @classmethod
    def of(cls, compiled: SQLCompiler) -> CompiledText:
        return cls(
            compiled.string,
            compiled.positiontup or (),
            compiled.params,
            compiled._bind_processors,
        )

    def arguments(self, params: Mapping[str, Any] | None) -> list[Any]:
        values = {**self.fixed, **(params or {})}
        arguments = []
        for name in self.order:
            value = values[name]
            convert = self.converters.get(name)
            arguments.append(convert(value) if convert is not None and value is not None else value)
        return arguments


MAX_SHAPES = 2000
"""Compiled forms of request-built statements kept (by shape); the cache restarts past it."""

_FIXED: dict[int, Executable] = {}
"""Statements built once (module level) with bind parameters for every value: see :func:`fixed`."""


def fixed(statement: E) -> E:
    """Mark ``statement`` as built once and run many times with its values as parameters:
    its SQL text is compiled on first use and reused, so a hot read costs neither building a
    select nor SQLAlchemy's cache key per request. (Kept for the life of the process.)"""
    _FIXED[id(statement)] = statement
    return statement


class _Slot:
    """Stands for element ``index`` of IN list ``name`` while its text is rendered."""

    __slots__ = ("index", "name")

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index


class StatementTexts:
    """SQL text of statements: long-lived ones compiled once per statement object, those
    built per request once per shape (SQLAlchemy's cache key: the same select with other
    values), as SQLAlchemy's own compiled cache does."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._texts: dict[int, tuple[Executable, CompiledText]] = {}
        self._fixed: dict[int, SQLCompiler] = {}
        self._templates: dict[tuple[int, tuple[int, ...]], tuple[CompiledText, dict[str, Any]]] = {}
        self._shapes: dict[Any, SQLCompiler] = {}

    def prepare(self, statement: Executable) -> None:
        """Compile ``statement`` now (at start-up) and reuse the text afterwards."""
        self._texts[id(statement)] = (statement, CompiledText.of(self._compile(statement)))

    def text_of(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> CompiledText:
        known = self._texts.get(id(statement))
        if known is not None and known[0] is statement:
            return known[1]
        if _FIXED.get(id(statement)) is statement:
            shape = self._fixed.get(id(statement))
            if shape is None:
                shape = self._fixed[id(statement)] = self._compile(statement)
            if shape.post_compile_params and not shape.literal_execute_params:
                return self._expanded(id(statement), shape, params)
            return self._bound(shape, params, None)
        key = statement._generate_cache_key()  # type: ignore[attr-defined]
        if key is None:  # not cacheable: compile it as it is, IN lists expanded
            return CompiledText.of(self._compile(statement, postcompile=True))
        shape = self._shapes.get(key.key)
        if shape is None:
            shape = self._compile(statement, cache_key=key)
            if len(self._shapes) >= MAX_SHAPES:
                self._shapes.clear()
            self._shapes[key.key] = shape
        return self._bound(shape, params, key.bindparams)

    def _expanded(
        self,
        key: int,
        compiled: SQLCompiler,
        params: Mapping[str, Any] | None,
    ) -> CompiledText:
        """A fixed statement with IN lists: its text for lists of these lengths is rendered
        once (SQLAlchemy's expansion costs about as much as the query's round trip), and
        each call only places its values."""
        values = compiled.construct_params(
            dict(params) if params else None, extracted_parameters=None, escape_names=False
        )
        lists = [compiled.bind_names[bind] for bind in compiled.post_compile_params]
        lengths = tuple(len(values[name]) for name in lists)
        template = self._templates.get((key, lengths))
        if template is None:
            probe = dict(values)
            for name in lists:
                probe[name] = [_Slot(name, index) for index in range(len(values[name]))]
            expanded = compiled._process_parameters_for_postcompile(probe)
            slots = {
                name: (value.name, value.index)
                for name, value in expanded.parameters.items()
                if isinstance(value, _Slot)
            }
            processors = {**compiled._bind_processors, **expanded.processors}
            text = CompiledText(expanded.statement, expanded.positiontup or (), {}, processors)
            if len(self._templates) >= MAX_SHAPES:
                self._templates.clear()
            template = self._templates[(key, lengths)] = (text, slots)
        text, slots = template
        for name, (source, index) in slots.items():
            values[name] = values[source][index]
        return CompiledText(text.sql, text.order, values, text.converters)

    @staticmethod
    def _bound(
        compiled: SQLCompiler,
        params: Mapping[str, Any] | None,
        extracted: Any,
    ) -> CompiledText:
        """The compiled shape with this execution's values (IN lists rendered into its text)."""
        values = compiled.construct_params(
            dict(params) if params else None,
            extracted_parameters=extracted,
            escape_names=False,
        )
        if not (compiled.literal_execute_params or compiled.post_compile_params):
            order = compiled.positiontup or ()
            return CompiledText(compiled.string, order, values, compiled._bind_processors)
        expanded = compiled._process_parameters_for_postcompile(values)
        processors = {**compiled._bind_processors, **expanded.processors}
        return CompiledText(
            expanded.statement,
            expanded.positiontup or (),
            expanded.parameters,
            processors,
        )

    def _compile(
        self, statement: Executable, *, postcompile: bool = False, cache_key: Any = None
    ) -> SQLCompiler:
        compiled = statement.compile(  # type: ignore[attr-defined]
            dialect=self.dialect,
            cache_key=cache_key,
            compile_kwargs={"render_postcompile": postcompile},
        )
        assert isinstance(compiled, SQLCompiler)
        return compiled


class AsyncpgDatabase:
    """Statements as SQL text on an asyncpg connection (PostgreSQL reads). The read pool's
    connections decode JSON columns themselves (:mod:`tenantry.core.reads`), so rows come back
    as the driver hands them over."""

    def __init__(self, driver: Any, texts: StatementTexts) -> None:
        self.driver = driver
        self.texts = texts

    async def rows(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        text = self.texts.text_of(statement, params)
        rows: Sequence[Any] = await self.driver.fetch(text.sql, *text.arguments(params))
        return rows

    async def first(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Any | None:
        text = self.texts.text_of(statement, params)
        return await self.driver.fetchrow(text.sql, *text.arguments(params))

    async def scalar(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        text = self.texts.text_of(statement, params)
        return await self.driver.fetchval(text.sql, *text.arguments(params))

    async def mappings(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> list[Mapping[str, Any]]:
        text = self.texts.text_of(statement, params)
        records: list[Mapping[str, Any]] = await self.driver.fetch(
            text.sql, *text.arguments(params)
        )
        return records


def db_dialect(db: Database) -> str:
    """``postgresql`` or ``sqlite``: the dialect statements for ``db`` are built for."""
    if isinstance(db, AsyncpgDatabase):
        return "postgresql"
    if isinstance(db, AlchemyDatabase):
        return db.dialect
    raise TypeError(f"unknown database wrapper {db!r}")
