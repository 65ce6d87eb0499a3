"""How a PERSCOM resource is declared: once, as data, for the engine to serve.

A declaration names the ORM model (plus an optional 1:1 extension table), which columns a
client may write and with which extra rules, the relations, and the whitelists Orion keeps
per controller (filterable, sortable, searchable, includable). Column types, nullability and
lengths come from the model itself, so a field is never described twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, FromClause, Table

from tenantry.core.base import Base

if TYPE_CHECKING:
    from tenantry.core.errors import FieldError
    from tenantry.perscom.engine.context import Call
    from tenantry.perscom.engine.runtime import Compiled

Kind = Literal["int", "str", "text", "bool", "datetime", "json", "float", "file"]
Direction = Literal["asc", "desc"]


@dataclass(frozen=True)
class Rule:
    """Input rules a column type cannot express (Laravel's ``required``, ``in:``, ``regex:``)."""

    required: bool = False
    """Required on create (``*`` in the reference's catalogue)."""
    choices: tuple[Any, ...] | None = None
    pattern: str | None = None
    max_length: int | None = None
    minimum: int | None = None


@dataclass(frozen=True)
class FileField:
    """A writable field that takes a multipart upload (an image, unless ``any_file``) and
    stores it.

    The stored object's key goes to ``column`` (default: the field's own name) and, when
    set, the client's file name to ``filename_column``.
    """

    prefix: str
    """Storage folder under the tenant's, e.g. ``users/profile``."""
    column: str | None = None
    filename_column: str | None = None
    max_kilobytes: int = 10_000
    """Laravel's ``max:10000`` counts kilobytes."""
    any_file: bool = False
    """Accept any file (an attachment), kept under its own extension and content type."""


@dataclass(frozen=True)
class BelongsTo:
    """This row's ``key`` column points at a ``target`` row (``users.rank_id -> ranks``)."""

    name: str
    target: str
    key: str


@dataclass(frozen=True)
class HasMany:
    """``target`` rows whose ``key`` column points at this row (``positions -> users``).

    ``where`` pins constant columns of the target: ``primary_assignment_records`` are the
    assignment records whose ``type`` is ``primary``.
    """

    name: str
    target: str
    key: str
    where: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class HasManyThrough:
    """``target`` rows whose ``key`` names a ``through`` row that names this row by
    ``through_key``: a slot's users (``users.unit_slot_id -> unit_slots.id``, whose
    ``slot_id`` is the slot). Read only: an include, never an endpoint."""

    name: str
    target: str
    through: FromClause
    """A table, or a derived one (a user's credentials through their training records)."""
    through_key: str
    key: str


@dataclass(frozen=True)
class BelongsToMany:
    """``target`` rows linked through ``pivot`` (``groups <-> units``, pivot field ``order``).

    ``pivot_where`` pins constant pivot columns: a morph pivot such as the categories one
    stores the related model's type next to its id.
    """

    name: str
    target: str
    pivot: Table
    parent_key: str
    related_key: str
    pivot_fields: tuple[str, ...] = ()
    pivot_where: tuple[tuple[str, str], ...] = ()
    pivot_include: str | None = None
    """An include below this relation naming its pivot (``statuses.record``): the pivot
    rides along as ``pivot`` anyway, and under this name too when it is asked for."""
    pivot_defaults: Callable[[], Mapping[str, Any]] | None = None
    """Values of a newly attached pivot row the client did not give (``assigned_at``)."""
    pivot_appends: Callable[[dict[str, Any]], None] | None = None
    """Adds derived keys to a shown pivot (a task assignment's ``status``); it sees the
    pivot's values before datetimes are formatted."""


@dataclass(frozen=True)
class MorphOne:
    """The one ``target`` row whose ``(type_field, id_field)`` names this row (an image)."""

    name: str
    target: str
    type_field: str = "model_type"
    id_field: str = "model_id"


@dataclass(frozen=True)
class MorphTo:
    """The row of whichever resource ``(type_field, id_field)`` names (``images.model``)."""

    name: str
    type_field: str = "model_type"
    id_field: str = "model_id"


Relation = BelongsTo | HasMany | HasManyThrough | BelongsToMany | MorphOne | MorphTo


@dataclass(frozen=True)
class RenderContext:
    """What computed fields may use besides the row: URLs of stored files, the clock."""

    public_url: Callable[[str], str]
    now_epoch: float
    signed_url: Callable[[str], str] | None = None
    """A signed, expiring link to a private stored object (an attachment's file)."""


@dataclass(frozen=True)
class Later:
    """Private values a computed field needs for only a few rows (a record's document tags).

    They are read by a second query, for the rows ``wanted`` picks, instead of riding along
    as correlated look-ups in every row query: a dozen sub-selects cost PostgreSQL more to
    plan than the whole page costs to run.
    """

    sql: Callable[[Compiled], Mapping[str, ColumnElement[Any]]]
    wanted: Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Computed:
    """An appended accessor (Laravel ``$appends``): derived from the row when serialized.

    ``sql`` adds private expressions to the row query (correlated look-ups), so a computed
    field never costs a query of its own; their values reach ``compute`` under their keys.
    """

    name: str
    compute: Callable[[Mapping[str, Any], RenderContext], Any]
    schema: Mapping[str, Any]
    sql: Callable[[Compiled], Mapping[str, ColumnElement[Any]]] | None = None
    spread: bool = False
    """``compute`` returns a mapping merged into the entity's top level (custom-field
    values); keys the entity already has are kept."""
    later: Later | None = None
    """Values read afterwards for the rows that need them; ``compute`` sees them too."""


@dataclass(frozen=True)
class NamedScope:
    """A search ``scopes`` entry the controller exposes (``visible``, ``hidden``...)."""

    name: str
    apply: Callable[[Compiled, Sequence[Any]], ColumnElement[bool] | None]
    max_parameters: int = 0
    lifts_default: bool = False
    """Whether it replaces the resource's default filter (``hidden`` shows hidden rows)."""


class ResourceRules:
    """Rules that are not column rules (unique e-mails, change dates, files): the service.

    The engine calls these inside the request's transaction; raise core errors to refuse.
    ``values`` holds the validated input split by table and may be amended in place.
    """

    open_create: bool = False
    """Whether ``may_create_unscoped`` is asked before refusing a store for its scope."""

    async def may_create_unscoped(self, call: Call, payload: Mapping[str, Any]) -> bool:
        """Whether this create body needs no ``create:<model>`` scope (a public form)."""
        return False

    async def custom_input(
        self,
        call: Call,
        payload: Mapping[str, Any],
        values: dict[str, Any],
        *,
        row_id: int | None,
        prefix: str,
    ) -> list[FieldError]:
        """Input no column declares (custom fields), read from the raw ``payload`` into
        ``values``; returns the problems found (``prefix`` leads their keys)."""
        return []

    async def before_create(self, call: Call, values: dict[str, Any]) -> None:
        return None

    async def after_create(self, call: Call, row_id: int, values: Mapping[str, Any]) -> None:
        """The row is written (same transaction): effects on other rows go here."""
        return None

    async def before_update(self, call: Call, row_id: int, values: dict[str, Any]) -> None:
        return None

    async def before_delete(self, call: Call, row_id: int) -> None:
        return None

    async def after_delete(self, call: Call, row: Mapping[str, Any]) -> None:
        return None


Shaper = Callable[[dict[str, Any]], None]


@dataclass
class Resource:
    """One PERSCOM resource, declared once; the engine compiles it at start-up."""

    name: str
    """The URL segment (``ranks``) and the key of the resource in the registry."""
    model: type[Base]
    label: str
    """``Rank``: used for the ``label`` field (``Rank: 5``) and in the spec."""
    permission: str
    """The scope noun: ``view:<permission>`` etc. (lower-cased model class name)."""
    writable: tuple[str, ...]
    event: str | None = None
    """The webhook event noun (``user``: ``user.created|updated|deleted``); ``None``: the
    resource's writes are not announced."""
    rules: Mapping[str, Rule] = field(default_factory=dict)
    morph_type: str | None = None
    """The Laravel class name other rows use to point here (``App\\Models\\Rank``)."""
    extension: type[Base] | None = None
    """A 1:1 table keyed ``(tenant_id, extension_key)`` holding this face's extra columns."""
    extension_key: str = "user_id"
    extension_defaults: Mapping[str, Any] = field(default_factory=dict)
    """Values reported for extension columns of rows that have no extension row yet."""
    fields: tuple[str, ...] | None = None
    """Output column order; default: ``id``, the table's columns, then the timestamps."""
    hidden: tuple[str, ...] = ()
    files: Mapping[str, FileField] = field(default_factory=dict)
    computed: tuple[Computed, ...] = ()
    relations: tuple[Relation, ...] = ()
    includes: tuple[str, ...] = ()
    filterable: tuple[str, ...] | None = None
    """``None``: every output column, plus ``<relation>.*`` for each to-one relation."""
    sortable: tuple[str, ...] | None = None
    searchable: tuple[str, ...] = ()
    default_sort: tuple[tuple[str, Direction], ...] = ()
    scopes: tuple[NamedScope, ...] = ()
    default_filter: Callable[[Compiled], ColumnElement[bool]] | None = None
    """Applied to lists and includes unless a scope lifts it (Laravel global scopes)."""
    nested: tuple[str, ...] = ()
    """Relations that get their own endpoints (``/groups/{id}/units/attach``...)."""
    service: ResourceRules = field(default_factory=ResourceRules)
    v1_single: Shaper | None = None
    """Reshapes a single entity in ``/v1`` responses (statuses' ``text_color``)."""
    spec_description: str = ""
    addition: bool = False
    """Tenantry's addition, not PERSCOM's: marked ``x-tenantry-extension`` in the spec."""
    only: tuple[str, ...] | None = None
    """Orion's ``->only(...)``: the resource's own operations served (default: all)."""
    nested_only: tuple[str, ...] | None = None
    """The same for the ``nested`` relations' operations (``newsfeed/{id}/likes``)."""
    routed: bool = True
    """``False`` for rows only reached through another resource's relation (an event's
    schedule): no endpoints of their own, but includable, filterable and serialized alike."""
