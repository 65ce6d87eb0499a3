"""Multi-value cells read from other tables: a correlated subquery that gathers the values
as one JSON array (``json_agg`` on PostgreSQL, ``json_group_array`` on SQLite), which the
cell then joins like any JSON list column.

SQLite before 3.44 has no ``ORDER BY`` inside an aggregate: the values are gathered from an
ordered subquery, whose order SQLite keeps.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    Subquery,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import JSON

from tenantry.core.identity.models import Role, UserRole
from tenantry.percolate.post.models import PostRef
from tenantry.percolate.term.models import Term


class json_list(FunctionElement[Any]):
    """The aggregate of one value per row into a JSON array, in the rows' order."""

    type = JSON()
    inherit_cache = True
    name = "json_list"


@compiles(json_list, "postgresql")
def _postgres(element: json_list, compiler: SQLCompiler, **kw: Any) -> str:
    value, *order = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"json_agg({value} ORDER BY {', '.join(order)})" if order else f"json_agg({value})"


@compiles(json_list, "sqlite")
def _sqlite(element: json_list, compiler: SQLCompiler, **kw: Any) -> str:
    # The rows come in order (an ordered subquery): SQLite 3.40 has no ORDER BY here.
    value = compiler.process(next(iter(element.clauses)), **kw)
    return f"json_group_array({value})"


_OWN = (Role, UserRole, PostRef, Term)
"""The tables the subqueries read; any other table they name is the outer row's."""


def _gathered(ordered: Select[Any]) -> ColumnElement[Any]:
    """The first column of ``ordered`` (a subquery in its own order) as a JSON array."""
    rows = ordered.correlate_except(*_OWN).subquery()
    value = next(iter(rows.c))
    return select(json_list(value)).select_from(rows).scalar_subquery()


def _term_refs() -> Select[int, int, str, int]:
    """Posts' terms (their ``term:N`` refs; gone terms skipped)."""
    return (
        select(PostRef.tenant_id, PostRef.post_id, Term.name, Term.id)
        .join(
            Term,
            (Term.tenant_id == PostRef.tenant_id)
            & (Term.id == cast(func.substr(PostRef.ref, len("term:") + 1), BigInteger)),
        )
        .where(PostRef.kind == "term")
    )


def term_names(tenant_id: Any, post_id: Any) -> ColumnElement[Any]:
    """The names of one post's terms, by name (a correlated subquery: an index lookup per
    post, right for a preview page or SQLite)."""
    rows = (
        _term_refs()
        .where(PostRef.tenant_id == tenant_id, PostRef.post_id == post_id)
        .order_by(Term.name, Term.id)
        .correlate_except(*_OWN)
        .subquery()
    )
    names = json_list(rows.c.name, rows.c.name, rows.c.id)
    return select(names).select_from(rows).scalar_subquery()


def post_term_names() -> Subquery:
    """Per post (``tenant_id``, ``post_id``), :func:`term_names` as ``names``: one grouped
    pass to join to all the posts (a subquery per post made a full export several times
    slower), for the PostgreSQL export."""
    rows = _term_refs().order_by(PostRef.tenant_id, PostRef.post_id, Term.name, Term.id).subquery()
    return (
        select(
            rows.c.tenant_id,
            rows.c.post_id,
            json_list(rows.c.name, rows.c.name, rows.c.id).label("names"),
        )
        .group_by(rows.c.tenant_id, rows.c.post_id)
        .subquery("export_post_terms")
    )


def role_names(tenant_id: Any, user_id: Any) -> ColumnElement[Any]:
    """The names of the roles granted to the user (anywhere), by name, each once."""
    names = (
        select(Role.name)
        .join(UserRole, (UserRole.tenant_id == Role.tenant_id) & (UserRole.role_id == Role.id))
        .where(UserRole.tenant_id == tenant_id, UserRole.user_id == user_id)
        .distinct()
        .order_by(Role.name)
    )
    return _gathered(names)


def asset_posts(tenant_id: Any, asset_id: Any) -> ColumnElement[Any]:
    """The ids of the posts that use the asset, in id order."""
    posts = (
        select(PostRef.post_id)
        .where(
            PostRef.tenant_id == tenant_id,
            PostRef.kind == "asset",
            PostRef.ref == literal("asset:") + cast(asset_id, String),
        )
        .order_by(PostRef.post_id)
    )
    return _gathered(posts)
