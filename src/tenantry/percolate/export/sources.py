"""Where each export type's rows come from: one SELECT per export, holding only the columns
asked for (and only the joins those need), keyed by the row's id for keyset paging.

Types whose data Tenantry does not keep (social listening: activity, flag, keyword,
monitoring_item; campaigns and shares) have no table: their exports are the header alone.
Columns of a kept type that Tenantry has no data for (per-network metrics, paid flags…)
are empty cells, so every column of the seed's table can be asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.orm import aliased

from tenantry.core.identity.models import User
from tenantry.core.resources.scoped import of_tenant
from tenantry.core.scopes import Scope, in_ids
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.channel.models import Channel
from tenantry.percolate.export.catalog import CATALOG, DATE, INT, STRING
from tenantry.percolate.export.cells import (
    Convert,
    many,
    moment,
    neutralise,
    number,
    text,
    typed_id,
)
from tenantry.percolate.export.lists import (
    asset_posts,
    post_term_names,
    role_names,
    term_names,
)
from tenantry.percolate.export.sqlcells import (
    SqlCell,
    sql_guard,
    sql_many,
    sql_moment,
    sql_record,
    sql_text,
    sql_typed_id,
)
from tenantry.percolate.platform.models import Platform
from tenantry.percolate.post.models import ApprovalWorkflow, Post
from tenantry.percolate.term.models import Term

KEY: Final = "_key"
"""The label of the id column every export query starts with (the keyset cursor)."""

_creator = aliased(User, name="export_creator")
_scope = aliased(Scope, name="export_scope")
_post = aliased(Post, name="export_post")
_channel = aliased(Channel, name="export_channel")
_platform = aliased(Platform, name="export_platform")
_terms = post_term_names()

Join = tuple[Any, ColumnElement[bool]]


@dataclass(frozen=True)
class Column:
    """One field: its SQL expression (``None``: Tenantry keeps no such data), how the value
    becomes a cell, and the joins (by name, in order) it reads from."""

    expression: Any | None
    convert: Convert = text
    joins: tuple[str, ...] = ()
    guard: bool = True
    """Free text a user wrote, so the CSV formula guard applies (not for ids or enums)."""
    sql: SqlCell | None = None
    """``convert`` done by PostgreSQL (the ``COPY`` path); text, numbers and timestamps
    need none."""
    sql_joins: tuple[str, ...] | None = None
    """The joins ``sql`` reads from, when not ``joins``."""

    def sql_cell(self, kind: str) -> ColumnElement[Any] | None:
        """The cell's text as PostgreSQL formats it, formula guard included (``None``: no
        data, an empty cell); raises :class:`LookupError` if ``convert`` has no SQL twin."""
        if self.expression is None:
            return None
        plain = self.convert in (text, number)
        sql = self.sql or _SQL_TWINS.get(self.convert)
        if sql is None:
            raise LookupError(f"no SQL twin for {self.convert!r}")
        cell = sql(self.expression)
        # As the Python path: a plain value is guarded only when it is text (not a number).
        if self.guard and kind == STRING and (not plain or _is_text(self.expression)):
            cell = sql_guard(cell)
        return cell


@dataclass(frozen=True)
class Source:
    model: Any | None
    capability: str
    """Held with ``export:read`` where the rows are (their scope, or the account)."""
    scope_column: Any | None = None
    columns: dict[str, Column] = field(default_factory=dict)
    joins: dict[str, Callable[[], Join]] = field(default_factory=dict)
    where: tuple[Callable[[], ColumnElement[bool]], ...] = ()

    def column(self, key: str, kind: str) -> Column:
        found = self.columns.get(key)
        if found is not None:
            return found
        return Column(None, number if kind == INT else moment if kind == DATE else text)


_SQL_TWINS: Final[dict[Convert, SqlCell]] = {text: sql_text, number: sql_text, moment: sql_moment}


def _is_text(expression: Any) -> bool:
    return isinstance(getattr(expression, "type", None), String)


def _typed(expression: Any, prefix: str) -> Column:
    """A typed id cell (``post:7``): never a formula."""
    return Column(expression, typed_id(prefix), guard=False, sql=sql_typed_id(prefix))


def _tenant_join(target: Any, source: Any, column: Any, key: Any) -> Join:
    return target, and_(target.tenant_id == source.tenant_id, key == column)


def _terms_join(post: Any) -> Join:
    return _terms, and_(_terms.c.tenant_id == post.tenant_id, _terms.c.post_id == post.id)


def _cast(column: Any) -> Any:
    return cast(column, String)


def _scoped(kind_column: Any, id_column: Any) -> Any:
    """``license:3`` built in SQL (so the convert step stays a plain str())."""
    return case((id_column.is_(None), null()), else_=kind_column + literal(":") + id_column)


def _post_columns(post: Any, joined: tuple[str, ...] = ()) -> dict[str, Column]:
    """The columns a post-based type shares; ``joined`` are joins needed to reach ``post``."""
    return {
        "post_permalink": Column(post.url, joins=joined),
        "post_created_at": Column(post.created_at, moment, joined),
        "post_created_by": Column(_creator.email, joins=(*joined, "creator")),
        "platform": Column(_platform.name, joins=(*joined, "channel", "platform")),
        "channel": Column(_channel.name, joins=(*joined, "channel")),
        "channel_name": Column(_channel.name, joins=(*joined, "channel")),
        "license_id": Column(_scoped(_scope.kind, _cast(_scope.id)), joins=("scope",), guard=False),
        "license_name": Column(_scope.name, joins=("scope",)),
        "tags": Column(
            term_names(post.tenant_id, post.id),
            many(),
            joined,
            sql=lambda _: sql_many()(_terms.c.names),
            sql_joins=(*joined, "terms"),
        ),
    }


def _subtype(content_type: Any) -> ColumnElement[Any]:
    """What follows the first ``/`` (``image/png`` → ``png``), empty without one."""
    at = func.strpos(content_type, "/")
    return case((at > 0, func.substr(content_type, at + 1)), else_=literal(""))


POST = Source(
    model=Post,
    capability="post:read",
    scope_column=Post.scope_id,
    columns={
        **_post_columns(Post),
        "uid": _typed(Post.id, "post"),
        "created_at": Column(Post.created_at, moment),
        "created_by": Column(_creator.email, joins=("creator",)),
        "status": Column(Post.status, guard=False),
        "posted_at": Column(Post.live_at, moment),
        "post_type": Column(_channel.type, joins=("channel",)),
    },
    joins={
        "creator": lambda: _tenant_join(_creator, Post, Post.user_id, _creator.id),
        "scope": lambda: _tenant_join(_scope, Post, Post.scope_id, _scope.id),
        "channel": lambda: _tenant_join(_channel, Post, Post.channel_id, _channel.id),
        "platform": lambda: _tenant_join(_platform, _channel, _channel.platform_id, _platform.id),
        "terms": lambda: _terms_join(Post),
    },
)

APPROVAL = Source(
    model=ApprovalWorkflow,
    capability="approval:post:read",
    scope_column=ApprovalWorkflow.scope_id,
    columns={
        **_post_columns(_post, ("post",)),
        "uid": _typed(ApprovalWorkflow.id, "approval"),
        "approval_workflow_created_at": Column(ApprovalWorkflow.created_at, moment),
        "approval_workflow_completed_at": Column(ApprovalWorkflow.completed_at, moment),
        "approval_workflow_name": Column(ApprovalWorkflow.approval_group_id),
        "status": Column(ApprovalWorkflow.status),
        "creative_type": Column(_channel.type, joins=("post", "channel")),
    },
    joins={
        "post": lambda: _tenant_join(_post, ApprovalWorkflow, ApprovalWorkflow.post_id, _post.id),
        "creator": lambda: _tenant_join(_creator, _post, _post.user_id, _creator.id),
        "scope": lambda: _tenant_join(
            _scope, ApprovalWorkflow, ApprovalWorkflow.scope_id, _scope.id
        ),
        "channel": lambda: _tenant_join(_channel, _post, _post.channel_id, _channel.id),
        "platform": lambda: _tenant_join(_platform, _channel, _channel.platform_id, _platform.id),
        "terms": lambda: _terms_join(_post),
    },
)

ASSET = Source(
    model=Asset,
    capability="media:read",
    scope_column=Asset.scope_id,
    columns={
        "uid": _typed(Asset.id, "asset"),
        "created_at": Column(Asset.created_at, moment),
        "created_by": Column(_creator.email, joins=("creator",)),
        "description": Column(Asset.description),
        "filename": Column(Asset.filename),
        "ingested_from": Column(Asset.created_through),
        "media_type": Column(Asset.type),
        "media_subtype": Column(
            Asset.content_type,
            lambda value: None if value is None else value.partition("/")[2],
            sql=_subtype,
        ),
        "tags": Column(Asset.tags, many(), sql=sql_many()),
        "title": Column(Asset.title),
        "post_ids": Column(
            asset_posts(Asset.tenant_id, Asset.id),
            many(typed_id("post")),
            guard=False,
            sql=sql_many(sql_typed_id("post")),
        ),
    },
    joins={"creator": lambda: _tenant_join(_creator, Asset, Asset.creator_id, _creator.id)},
    where=(lambda: Asset.deleted.is_(False),),
)

USER = Source(
    model=User,
    capability="user:read",
    columns={
        "uid": _typed(User.id, "user"),
        "created_at": Column(User.created_at, moment),
        "email": Column(User.email),
        "username": Column(User.email),
        "name": Column(User.name),
        "role": Column(role_names(User.tenant_id, User.id), many(), sql=sql_many()),
        "status": Column(
            User.active,
            lambda active: "active" if active else "inactive",
            sql=lambda active: case((active, literal("active")), else_=literal("inactive")),
        ),
        "last_active": Column(User.last_login_at, moment),
    },
)

TAG = Source(
    model=Term,
    capability="term:read",
    scope_column=Term.scope_id,
    columns={
        "uid": _typed(Term.id, "term"),
        "created_at": Column(Term.created_at, moment),
        "tag": Column(Term.name),
    },
)

SOURCES: Final[dict[str, Source]] = {
    "post": POST,
    "approval": APPROVAL,
    "asset": ASSET,
    "user": USER,
    "tag": TAG,
    **{
        name: Source(None, capability)
        for name, capability in (
            ("activity", "export:read"),
            ("campaign", "export:read"),
            ("flag", "export:read"),
            ("keyword", "export:read"),
            ("share", "share:read"),
            ("monitoring_item", "export:read"),
        )
    },
}
assert set(SOURCES) == set(CATALOG)


@dataclass(frozen=True)
class Plan:
    """What one export reads, resolved once (at request time) and stored with the export:
    the same plan drives the preview and the job.

    ``scopes``: the scope rows the rows may be in (``None``: anywhere in the account, and
    the account's own rows); ``dates``: per date field, ``[from, to)`` as ISO strings.
    """

    type: str
    fields: tuple[str, ...]
    scopes: tuple[int, ...] | None
    dates: dict[str, tuple[str | None, str | None]]

    @property
    def source(self) -> Source:
        return SOURCES[self.type]

    def converters(self) -> list[Convert]:
        kinds = {f.key: f.kind for f in CATALOG[self.type]}
        return [self.source.column(key, kinds[key]).convert for key in self.fields]

    def csv_steps(self) -> list[tuple[int, Convert]]:
        """What each CSV cell needs, skipping cells the CSV writer takes as they are (text
        and numbers; ``None`` is an empty cell): (position, step) pairs. Text cells users
        wrote get the formula guard."""
        kinds = {f.key: f.kind for f in CATALOG[self.type]}
        steps: list[tuple[int, Convert]] = []
        for index, key in enumerate(self.fields):
            column = self.source.column(key, kinds[key])
            if column.convert in (text, number):
                if column.guard and kinds[key] == STRING and column.expression is not None:
                    steps.append((index, neutralise))
            elif column.guard and kinds[key] == STRING:
                steps.append((index, _guarded(column.convert)))
            else:
                steps.append((index, column.convert))
        return steps

    def select(self, tenant_id: int, *, after: int | None = None) -> Select[Any] | None:
        """The rows in id order (after the keyset cursor ``after``); ``None``: no table."""
        source = self.source
        if source.model is None:
            return None
        kinds = {f.key: f.kind for f in CATALOG[self.type]}
        expressions = [source.model.id.label(KEY)]
        for key in self.fields:
            column = source.column(key, kinds[key])
            expression = column.expression if column.expression is not None else null()
            expressions.append(expression.label(key))
        return self._rows(select(*expressions), tenant_id, after)

    def copy_select(self, tenant_id: int) -> Select[Any] | None:
        """One text value per row, in id order: its CSV record (no line end) as PostgreSQL
        formats it, byte for byte the Python writer's; ``None``: no table, or a column
        PostgreSQL cannot format."""
        source = self.source
        if source.model is None:
            return None
        kinds = {f.key: f.kind for f in CATALOG[self.type]}
        try:
            cells = [source.column(key, kinds[key]).sql_cell(kinds[key]) for key in self.fields]
        except LookupError:
            return None
        return self._rows(select(sql_record(cells)), tenant_id, None, copy=True)

    def _rows(
        self, stmt: Select[Any], tenant_id: int, after: int | None, *, copy: bool = False
    ) -> Select[Any]:
        """``stmt`` (the output columns) read from the source's table with the joins the
        fields and date filters need, the tenant, scope and date filters, in id order."""
        from tenantry.percolate.export.filters import moment_of

        source = self.source
        model = source.model
        assert model is not None
        kinds = {f.key: f.kind for f in CATALOG[self.type]}
        needed: set[str] = set()
        for key in self.fields:
            column = source.column(key, kinds[key])
            joins = column.sql_joins if copy and column.sql_joins is not None else column.joins
            needed.update(joins)
        for key in self.dates:
            needed.update(source.column(key, DATE).joins)
        stmt = stmt.select_from(model)
        for name, join in source.joins.items():
            if name in needed:
                target, onclause = join()
                stmt = stmt.outerjoin(target, onclause)
        stmt = stmt.where(of_tenant(model, tenant_id), *(make() for make in source.where))
        if self.scopes is not None:
            if source.scope_column is None or not self.scopes:
                stmt = stmt.where(false())
            else:
                stmt = stmt.where(in_ids(source.scope_column, self.scopes))
        for key, (start, end) in self.dates.items():
            expression = source.column(key, DATE).expression
            if expression is None:
                stmt = stmt.where(false())
                continue
            if start is not None:
                stmt = stmt.where(expression >= moment_of(start))
            if end is not None:
                stmt = stmt.where(expression < moment_of(end))
        if after is not None:
            stmt = stmt.where(model.id > after)
        return stmt.order_by(model.id)


def _guarded(convert: Convert) -> Convert:
    """``convert``, then the formula guard on what it made."""

    def step(value: Any) -> Any:
        return neutralise(convert(value))

    return step
